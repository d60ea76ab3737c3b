/**
 * The two adapter families read through one definition per record shape
 * (src/shared): the same record, as an OTLP/JSON payload and as SDK objects,
 * reads the same through every kind of reference: strings, existence, typed
 * values and the multi-valued event attributes.
 */
import { describe, expect, it } from 'vitest';
import { LogField, MetricField, RefKind, TraceField } from '@otel-policy/core';
import { reading, ref } from '../../../test/support/accessor-reads.js';
import { otlpJsonDataPointAccessor, otlpJsonLogAccessor, otlpJsonSpanAccessor, type DataPointCursor, type LogCursor, type SpanCursor } from '../src/otlp-json/index.js';
import { sdkLogRecordAccessor, type SdkLogRecordLike } from '../src/sdk/logs.js';
import { SdkSpanCursor, sdkSpanAccessor, type ReadableSpanLike } from '../src/sdk/spans.js';
import { SdkDataPointCursor, sdkDataPointAccessor, SdkDataPointType, type SdkResourceMetrics } from '../src/sdk/metrics.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';
const LINKED = '00000000000000000000000000000abc';

const attrRefs = [
  ref(RefKind.RecordAttribute, { path: ['http.method'] }),
  ref(RefKind.RecordAttribute, { path: ['count'] }),
  ref(RefKind.RecordAttribute, { path: ['missing'] }),
  ref(RefKind.RecordAttribute, { path: ['empty'] }),
  ref(RefKind.ResourceAttribute, { path: ['service.name'] }),
  ref(RefKind.ScopeAttribute, { path: ['team'] }),
];

describe('log records read alike in both families', () => {
  const json: LogCursor = {
    resourceLogs: { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, schemaUrl: 'https://r', scopeLogs: [] },
    scopeLogs: { scope: { name: 's', attributes: [{ key: 'team', value: { stringValue: 'core' } }] }, schemaUrl: '', logRecords: [] },
    record: {
      body: { stringValue: 'hello' },
      severityText: 'INFO',
      traceId: TRACE.toUpperCase(),
      spanId: '0000000000000000',
      eventName: '',
      attributes: [
        { key: 'http.method', value: { stringValue: 'GET' } },
        { key: 'count', value: { intValue: '3' } },
        { key: 'empty', value: { stringValue: '' } },
      ],
    },
  };
  const sdk: SdkLogRecordLike = {
    body: 'hello',
    severityText: 'INFO',
    spanContext: { traceId: TRACE, spanId: '0000000000000000', traceFlags: 1 },
    eventName: '',
    attributes: { 'http.method': 'GET', count: 3, empty: '' },
    resource: { attributes: { 'service.name': 'svc' }, schemaUrl: 'https://r' },
    instrumentationScope: { name: 's', attributes: { team: 'core' }, schemaUrl: '' },
  };

  it('for every log field and attribute reference', () => {
    const refs = [...Object.values(LogField).map((code) => ref(RefKind.Field, { code, bytes: code === LogField.TraceId || code === LogField.SpanId })), ...attrRefs];
    for (const f of refs) expect(reading(sdkLogRecordAccessor, sdk, f), f.key).toEqual(reading(otlpJsonLogAccessor, json, f));
  });
});

describe('spans read alike in both families', () => {
  const json: SpanCursor = {
    resourceSpans: { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [] },
    scopeSpans: { scope: { name: 's', version: '1', attributes: [{ key: 'team', value: { stringValue: 'core' } }] }, spans: [] },
    span: {
      name: 'GET /',
      traceId: TRACE,
      spanId: SPAN,
      traceState: 'ot=th:8',
      kind: 2,
      status: { code: 2 },
      attributes: [
        { key: 'http.method', value: { stringValue: 'GET' } },
        { key: 'count', value: { intValue: '3' } },
        { key: 'empty', value: { stringValue: '' } },
      ],
      events: [{ name: 'retry', attributes: [{ key: 'attempt', value: { intValue: '1' } }] }, { name: 'done' }],
      links: [{ traceId: LINKED, spanId: SPAN }],
    },
  };
  const span: ReadableSpanLike = {
    name: 'GET /',
    kind: 1,
    spanContext: () => ({ traceId: TRACE, spanId: SPAN, traceFlags: 1, traceState: { serialize: () => 'ot=th:8' } as never }),
    status: { code: 2 },
    attributes: { 'http.method': 'GET', count: 3, empty: '' },
    events: [{ name: 'retry', attributes: { attempt: 1 } }, { name: 'done' }],
    links: [{ context: { traceId: LINKED } }],
    resource: { attributes: { 'service.name': 'svc' } },
    instrumentationScope: { name: 's', version: '1', attributes: { team: 'core' } },
  };
  const sdk = new SdkSpanCursor().reset(span);

  it('for every trace field, kind, status, event, link and attribute reference', () => {
    const refs = [
      ...Object.values(TraceField).map((code) => ref(RefKind.Field, { code, bytes: code === TraceField.TraceId || code === TraceField.SpanId || code === TraceField.ParentSpanId })),
      ...attrRefs,
      ref(RefKind.SpanKind),
      ref(RefKind.SpanStatus),
      ref(RefKind.EventName, { name: 'done' }),
      ref(RefKind.EventName, { name: '' }),
      ref(RefKind.EventName, { name: 'nope' }),
      ref(RefKind.LinkTraceId, { name: LINKED }),
      ref(RefKind.LinkTraceId, { name: '' }),
      ref(RefKind.LinkTraceId, { name: TRACE }),
      ref(RefKind.EventAttribute, { path: ['attempt'] }),
    ];
    for (const f of refs) expect(reading(sdkSpanAccessor, sdk, f), f.key).toEqual(reading(otlpJsonSpanAccessor, json, f));
  });
});

describe('metric data points read alike in both families', () => {
  const json: DataPointCursor = {
    resourceMetrics: { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeMetrics: [] },
    scopeMetrics: { scope: { name: 'meter', version: '2', attributes: [{ key: 'team', value: { stringValue: 'core' } }] }, metrics: [] },
    metric: { name: 'http.requests', unit: '1', sum: { aggregationTemporality: 1, dataPoints: [] } },
    dataPoint: {
      attributes: [
        { key: 'http.method', value: { stringValue: 'GET' } },
        { key: 'count', value: { intValue: '3' } },
        { key: 'empty', value: { stringValue: '' } },
      ],
    },
  };
  const rm: SdkResourceMetrics = { resource: { attributes: { 'service.name': 'svc' } }, scopeMetrics: [] };
  const sdk = new SdkDataPointCursor(rm);
  sdk.scopeMetrics = { scope: { name: 'meter', version: '2', attributes: { team: 'core' } }, metrics: [] };
  sdk.metric = { descriptor: { name: 'http.requests', unit: '1' }, dataPointType: SdkDataPointType.SUM, aggregationTemporality: 0, dataPoints: [] };
  sdk.dataPoint = { attributes: { 'http.method': 'GET', count: 3, empty: '' } };

  it('for every metric field, type, temporality and attribute reference', () => {
    const refs = [...Object.values(MetricField).map((code) => ref(RefKind.Field, { code })), ...attrRefs, ref(RefKind.MetricType), ref(RefKind.AggregationTemporality)];
    for (const f of refs) expect(reading(sdkDataPointAccessor, sdk, f), f.key).toEqual(reading(otlpJsonDataPointAccessor, json, f));
  });
});
