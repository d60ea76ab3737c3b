/**
 * Reading in place agrees with decoding: the same records, encoded as
 * protobuf, read through the adapters' otlp-proto accessors (over the
 * located request) exactly as the OTLP/JSON accessors read them decoded,
 * through every kind of reference and every kind of value (empty versus
 * missing, every AnyValue case, nested kvlists, duplicated keys, events,
 * links, enums, schema URLs).
 */
import { describe, expect, it } from 'vitest';
import { otlpJsonDataPointAccessor, otlpJsonLogAccessor, otlpJsonSpanAccessor, otlpProto, type DataPointCursor, type LogCursor, type SpanCursor } from '@otel-policy/adapters';
import { LogField, MetricField, RefKind, TraceField, type Matchable } from '@otel-policy/core';
import { reading, ref } from '../../../test/support/accessor-reads.js';
import { decodeRequest, encodeRequest } from '@otel-policy/collector';
import { WireRequest } from '../src/otlp/wire-request.js';

const s = (v: string) => ({ stringValue: v });
const ATTRIBUTES = [
  { key: 'str', value: s('GET') },
  { key: 'empty', value: s('') },
  { key: 'novalue' },
  { key: 'emptyvalue', value: {} },
  { key: 'int', value: { intValue: '-42' } },
  { key: 'big', value: { intValue: '9007199254740993' } },
  { key: 'dbl', value: { doubleValue: 2.5 } },
  { key: 'bool', value: { boolValue: true } },
  { key: 'falsy', value: { boolValue: false } },
  { key: 'bytes', value: { bytesValue: Buffer.from([1, 2, 255]).toString('base64') } },
  { key: 'arr', value: { arrayValue: { values: [s('x')] } } },
  {
    key: 'kv',
    value: {
      kvlistValue: {
        values: [
          { key: 'inner', value: s('deep') },
          { key: 'n', value: { kvlistValue: { values: [{ key: 'leaf', value: s('L') }] } } },
        ],
      },
    },
  },
  { key: 'dup', value: s('first') },
  { key: 'dup', value: s('second') },
  { key: 'ünï', value: s('çødé ✓') },
];
const PATHS = [
  ['str'],
  ['empty'],
  ['novalue'],
  ['emptyvalue'],
  ['int'],
  ['big'],
  ['dbl'],
  ['bool'],
  ['falsy'],
  ['bytes'],
  ['arr'],
  ['kv'],
  ['kv', 'inner'],
  ['kv', 'n', 'leaf'],
  ['kv', 'missing'],
  ['str', 'x'],
  ['dup'],
  ['ünï'],
  ['missing'],
];
const attrRefs = [RefKind.RecordAttribute, RefKind.ResourceAttribute, RefKind.ScopeAttribute].flatMap((kind) => PATHS.map((path) => ref(kind, { path })));

const resource = (extra: object = {}) => ({ resource: { attributes: ATTRIBUTES }, schemaUrl: 'https://r', ...extra });
const scope = { scope: { name: 'lib', version: '', attributes: ATTRIBUTES }, schemaUrl: '' };

/** Locate `bytes` and visit each record with a cursor, beside the decoded record. */
function eachRecord(signal: 'logs' | 'traces', bytes: Uint8Array, fn: (wire: otlpProto.WireCursor, index: number) => void): void {
  const req = new WireRequest(signal, bytes);
  const c = new otlpProto.WireCursor();
  let i = 0;
  for (const r of req.resources) {
    c.enterResource(bytes, r.body, r.end);
    for (const sc of r.scopes) {
      c.enterScope(sc.body, sc.end);
      for (const rec of sc.records) {
        c.enterRecord(rec.body, rec.end);
        fn(c, i++);
      }
    }
  }
}

describe('otlp-proto reads as otlp-json reads the decoded request', () => {
  it('log records: every field, every attribute value kind', () => {
    const records = [
      { body: s('hello'), severityText: 'INFO', traceId: '5b8efff798038103d269b633813fc60c', spanId: '0000000000000000', eventName: 'evt', attributes: ATTRIBUTES },
      { body: s(''), severityText: '', attributes: [] },
      { body: { intValue: '7' } },
      { body: { kvlistValue: { values: [] } } },
      {},
    ];
    const bytes = encodeRequest('logs', { resourceLogs: [{ ...resource(), scopeLogs: [{ ...scope, logRecords: records }] }] }, 'proto');
    const decoded = decodeRequest('logs', bytes, 'proto').data as { resourceLogs: [{ scopeLogs: [{ logRecords: object[] }] }] };
    const refs = [...Object.values(LogField).map((code) => ref(RefKind.Field, { code, bytes: code === LogField.TraceId || code === LogField.SpanId })), ...attrRefs];
    let n = 0;
    eachRecord('logs', bytes, (wire, i) => {
      const rl = decoded.resourceLogs[0];
      const json = { resourceLogs: rl, scopeLogs: rl.scopeLogs[0], record: rl.scopeLogs[0].logRecords[i] } as unknown as LogCursor;
      for (const f of refs) expect(reading(otlpProto.otlpProtoLogAccessor as Matchable<otlpProto.WireCursor>, wire, f), `record ${i} ${f.key}`).toEqual(reading(otlpJsonLogAccessor, json, f));
      n++;
    });
    expect(n).toBe(records.length);
  });

  it('spans: fields, kind, status, events, links and event attributes', () => {
    const spans = [
      {
        traceId: '5b8efff798038103d269b633813fc60c',
        spanId: 'eee19b7ec3c1b174',
        parentSpanId: '0000000000000001',
        traceState: 'ot=th:8',
        name: 'GET /',
        kind: 2,
        status: { code: 2, message: 'bad' },
        attributes: ATTRIBUTES,
        events: [
          { name: '', attributes: [] },
          { name: 'done', attributes: [{ key: 'attempt', value: { intValue: '2' } }] },
        ],
        links: [{ traceId: '00000000000000000000000000000abc', spanId: '0000000000000002' }, {}],
      },
      { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b175', kind: 9, status: {} },
      { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b176' },
    ];
    const bytes = encodeRequest('traces', { resourceSpans: [{ ...resource(), scopeSpans: [{ ...scope, spans }] }] }, 'proto');
    const decoded = decodeRequest('traces', bytes, 'proto').data as { resourceSpans: [{ scopeSpans: [{ spans: object[] }] }] };
    const refs = [
      ...Object.values(TraceField).map((code) => ref(RefKind.Field, { code, bytes: code === TraceField.TraceId || code === TraceField.SpanId || code === TraceField.ParentSpanId })),
      ...attrRefs,
      ref(RefKind.SpanKind),
      ref(RefKind.SpanStatus),
      ref(RefKind.EventName, { name: 'done' }),
      ref(RefKind.EventName, { name: '' }),
      ref(RefKind.EventName, { name: 'nope' }),
      ref(RefKind.LinkTraceId, { name: '00000000000000000000000000000abc' }),
      ref(RefKind.LinkTraceId, { name: '' }),
      ref(RefKind.EventAttribute, { path: ['attempt'] }),
      ref(RefKind.EventAttribute, { path: ['missing'] }),
    ];
    let n = 0;
    eachRecord('traces', bytes, (wire, i) => {
      const rs = decoded.resourceSpans[0];
      const json = { resourceSpans: rs, scopeSpans: rs.scopeSpans[0], span: rs.scopeSpans[0].spans[i] } as unknown as SpanCursor;
      for (const f of refs) expect(reading(otlpProto.otlpProtoSpanAccessor as Matchable<otlpProto.WireCursor>, wire, f), `span ${i} ${f.key}`).toEqual(reading(otlpJsonSpanAccessor, json, f));
      n++;
    });
    expect(n).toBe(spans.length);
  });

  it('metric data points of every data case, and a metric without points', () => {
    const point = { attributes: ATTRIBUTES, asInt: '1' };
    const metrics = [
      { name: 'g', description: 'd', unit: 'ms', gauge: { dataPoints: [point] } },
      { name: 's', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [point, { asDouble: 1 }] } },
      { name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ attributes: ATTRIBUTES, count: '1' }] } },
      { name: 'e', exponentialHistogram: { dataPoints: [{ attributes: ATTRIBUTES, scale: 1 }] } },
      { name: 'q', summary: { dataPoints: [{ attributes: ATTRIBUTES }] } },
      { name: 'none' },
    ];
    const bytes = encodeRequest('metrics', { resourceMetrics: [{ ...resource(), scopeMetrics: [{ ...scope, metrics }] }] }, 'proto');
    const decoded = decodeRequest('metrics', bytes, 'proto').data as { resourceMetrics: [{ scopeMetrics: [{ metrics: Record<string, { dataPoints?: object[] }>[] }] }] };
    const refs = [...Object.values(MetricField).map((code) => ref(RefKind.Field, { code })), ...attrRefs, ref(RefKind.MetricType), ref(RefKind.AggregationTemporality)];
    const req = new WireRequest('metrics', bytes);
    const c = new otlpProto.WireCursor();
    const r = req.resources[0];
    const sc = r.scopes[0];
    c.enterResource(bytes, r.body, r.end);
    c.enterScope(sc.body, sc.end);
    let n = 0;
    sc.metrics!.forEach((m, i) => {
      c.enterRecord(m.body, m.end);
      const rm = decoded.resourceMetrics[0];
      const metric = rm.scopeMetrics[0].metrics[i];
      const points = Object.values(metric).find((v) => typeof v === 'object' && v !== null && 'dataPoints' in v)?.dataPoints ?? [undefined];
      points.forEach((p, k) => {
        const wp = m.points[k];
        c.enterPoint(m.kindField, m.kind?.body ?? 0, m.kind?.end ?? 0, wp ? wp.body : -1, wp ? wp.end : -1, m.attributesField);
        const json = { resourceMetrics: rm, scopeMetrics: rm.scopeMetrics[0], metric, dataPoint: p } as unknown as DataPointCursor;
        for (const f of refs)
          expect(reading(otlpProto.otlpProtoDataPointAccessor as Matchable<otlpProto.WireCursor>, c, f), `${String(metric.name)}[${k}] ${f.key}`).toEqual(reading(otlpJsonDataPointAccessor, json, f));
        n++;
      });
    });
    expect(n).toBe(7);
  });
});
