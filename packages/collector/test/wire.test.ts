/**
 * Splicing: what the policies leave alone goes out byte for byte (unknown
 * fields included), only dropped parts disappear and only modified parts are
 * re-encoded.
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '@otel-policy/core';
import { decodeRequest, encodeRequest, otlpSchema, PolicyProcessor, MetricsRegistry, silentLogger, type OtlpData } from '@otel-policy/collector';
import { applyLogs, applyMetrics, applyTraces } from '../src/processor/apply.js';

/** An unknown field (number 1000, bytes "UNKNOWN-n") appended to a message: only a splice keeps it. */
const unknown = (n: number) => {
  const w = protobuf.Writer.create();
  w.uint32((1000 << 3) | 2).bytes(Buffer.from(`UNKNOWN-${n}`));
  return w.finish();
};
const withUnknown = (msg: Uint8Array, n: number) => Buffer.concat([msg, unknown(n)]);
const field = (num: number, body: Uint8Array) => {
  const w = protobuf.Writer.create();
  w.uint32((num << 3) | 2).bytes(body);
  return w.finish();
};
const has = (bytes: Uint8Array, n: number) => Buffer.from(bytes).includes(Buffer.from(`UNKNOWN-${n}`));

const { logs, traces, metrics } = otlpSchema();
const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });

const Resource = otlpSchema().root.lookupType('opentelemetry.proto.resource.v1.Resource');
const Scope = otlpSchema().root.lookupType('opentelemetry.proto.common.v1.InstrumentationScope');

/** A logs request: one resource (unknown field 80), one scope (90), records with bodies `bodies` (unknown field i). */
function logsRequest(bodies: string[]): Uint8Array {
  const records = bodies.map((b, i) => field(2, withUnknown(logs.levels.record.encode({ body: { stringValue: b }, traceId: Buffer.alloc(16, i + 1) }).finish(), i)));
  const scopeLogs = withUnknown(Buffer.concat([field(1, Scope.encode({ name: 'lib' }).finish()), ...records]), 90);
  const resourceLogs = withUnknown(Buffer.concat([field(1, Resource.encode({ attributes: [kv('service.name', 'api')] }).finish()), field(2, scopeLogs)]), 80);
  return field(1, resourceLogs);
}

const engineWith = (policies: unknown) => new PolicyEngine({ policies: JSON.stringify({ policies }) });

describe('splicing re-encoder', () => {
  it('returns the original bytes when nothing changed', () => {
    const req = logsRequest(['a', 'b', 'c']);
    const d = decodeRequest('logs', req, 'proto');
    expect(JSON.stringify(d.data)).not.toContain('UNKNOWN');
    const out = encodeRequest('logs', d.data, 'proto');
    expect(Buffer.from(out).equals(Buffer.from(req))).toBe(true);
    // A policy that matches nothing changes nothing.
    applyLogs(engineWith([{ id: 'x', name: 'x', log: { match: [{ log_field: 'body', exact: 'zzz' }], keep: 'none' } }]), d.data);
    expect(Buffer.from(encodeRequest('logs', d.data, 'proto')).equals(Buffer.from(req))).toBe(true);
  });

  it('drops records by leaving their bytes out, keeping the others verbatim', () => {
    const d = decodeRequest('logs', logsRequest(['keep-0', 'drop-1', 'keep-2']), 'proto');
    const o = applyLogs(engineWith([{ id: 'd', name: 'd', log: { match: [{ log_field: 'body', starts_with: 'drop' }], keep: 'none' } }]), d.data);
    expect(o.dropped).toBe(1);
    const out = encodeRequest('logs', d.data, 'proto');
    expect([0, 1, 2, 80, 90].map((n) => has(out, n))).toEqual([true, false, true, true, true]);
    const back = decodeRequest('logs', out, 'proto').data as { resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string }; traceId: string }[] }[] }[] };
    expect(back.resourceLogs[0].scopeLogs[0].logRecords.map((r) => [r.body.stringValue, r.traceId])).toEqual([
      ['keep-0', '01'.repeat(16)],
      ['keep-2', '03'.repeat(16)],
    ]);
  });

  it('re-encodes only the record a transform changed', () => {
    const d = decodeRequest('logs', logsRequest(['plain', 'secret=42', 'plain too']), 'proto');
    applyLogs(engineWith([{ id: 't', name: 't', log: { match: [{ log_field: 'body', starts_with: 'secret' }], transform: { redact: [{ log_field: 'body' }] } } }]), d.data);
    const out = encodeRequest('logs', d.data, 'proto');
    expect([0, 1, 2, 80, 90].map((n) => has(out, n))).toEqual([true, false, true, true, true]);
    const back = decodeRequest('logs', out, 'proto').data as { resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string }; traceId: string }[] }[] }[] };
    expect(back.resourceLogs[0].scopeLogs[0].logRecords.map((r) => r.body.stringValue)).toEqual(['plain', '[REDACTED]', 'plain too']);
    expect(back.resourceLogs[0].scopeLogs[0].logRecords[1].traceId).toBe('02'.repeat(16));
  });

  it('re-encodes the whole resource when a transform writes a resource attribute', () => {
    const d = decodeRequest('logs', logsRequest(['a', 'tag-me']), 'proto');
    applyLogs(engineWith([{ id: 'r', name: 'r', log: { match: [{ log_field: 'body', exact: 'tag-me' }], transform: { add: [{ resource_attribute: 'tagged', value: 'yes' }] } } }]), d.data);
    const out = encodeRequest('logs', d.data, 'proto');
    expect([0, 1, 80].map((n) => has(out, n))).toEqual([false, false, false]);
    const back = decodeRequest('logs', out, 'proto').data as { resourceLogs: { resource: { attributes: unknown[] } }[] };
    expect(back.resourceLogs[0].resource.attributes).toEqual([kv('service.name', 'api'), kv('tagged', 'yes')]);
  });

  it('leaves out resources and scopes whose records were all dropped, and splices sampled spans', () => {
    const span = (i: number, name: string) =>
      field(2, withUnknown(traces.levels.record.encode({ name, traceId: Buffer.from(`${i}`.padStart(32, '0'), 'hex'), spanId: Buffer.alloc(8, 1) }).finish(), i));
    const rs = (spans: Uint8Array[]) => field(1, field(2, Buffer.concat(spans)));
    const req = Buffer.concat([rs([span(1, 'drop'), span(2, 'drop')]), rs([span(3, 'keep'), span(4, 'sampled')])]);
    const d = decodeRequest('traces', req, 'proto');
    applyTraces(
      engineWith([
        { id: 'a', name: 'a', trace: { match: [{ trace_field: 'name', exact: 'drop' }], keep: { percentage: 0 } } },
        { id: 'b', name: 'b', trace: { match: [{ trace_field: 'name', exact: 'sampled' }], keep: { percentage: 100 } } },
      ]),
      d.data,
    );
    const out = encodeRequest('traces', d.data, 'proto');
    expect([1, 2, 3, 4].map((n) => has(out, n))).toEqual([false, false, true, false]);
    const back = decodeRequest('traces', out, 'proto').data as { resourceSpans: { scopeSpans: { spans: { name: string; traceState?: string }[] }[] }[] };
    expect(back.resourceSpans).toHaveLength(1);
    expect(back.resourceSpans[0].scopeSpans[0].spans.map((s) => [s.name, s.traceState])).toEqual([
      ['keep', undefined],
      ['sampled', 'ot=th:0'],
    ]);
  });

  it('drops metric data points inside an otherwise verbatim metric', () => {
    const metric = (name: string, points: number[], n: number) =>
      field(2, withUnknown(metrics.levels.record.encode({ name, gauge: { dataPoints: points.map((p) => ({ asInt: p, attributes: [kv('k', String(p))] })) } }).finish(), n));
    const req = field(1, field(2, Buffer.concat([metric('m1', [1, 2, 3], 1), metric('m2', [4], 2)])));
    const d = decodeRequest('metrics', req, 'proto');
    applyMetrics(engineWith([{ id: 'p', name: 'p', metric: { match: [{ datapoint_attribute: 'k', exact: '2' }], keep: false } }]), d.data);
    const out = encodeRequest('metrics', d.data, 'proto');
    expect([1, 2].map((n) => has(out, n))).toEqual([true, true]);
    const back = decodeRequest('metrics', out, 'proto').data as { resourceMetrics: { scopeMetrics: { metrics: { name: string; gauge: { dataPoints: { asInt: string }[] } }[] }[] }[] };
    expect(back.resourceMetrics[0].scopeMetrics[0].metrics.map((m) => [m.name, m.gauge.dataPoints.map((p) => p.asInt)])).toEqual([
      ['m1', ['1', '3']],
      ['m2', ['4']],
    ]);
  });

  it('falls back to the generic encoder for copies and JSON requests', () => {
    const d = decodeRequest('logs', logsRequest(['a']), 'proto');
    const copy = structuredClone(d.data) as OtlpData;
    const out = encodeRequest('logs', copy, 'proto');
    expect(has(out, 0)).toBe(false);
    expect(decodeRequest('logs', out, 'proto').data).toEqual(d.data);
  });

  it('the policy processor marks what it changes through the same path', async () => {
    const p = new PolicyProcessor({ id: 'policy', type: 'policy', providers: [], serviceMetadata: {} }, { logger: silentLogger, metrics: new MetricsRegistry(), resource: {} });
    p.engine.load(JSON.stringify({ policies: [{ id: 'd', name: 'd', log: { match: [{ log_field: 'body', exact: 'b' }], keep: 'none' } }] }));
    const d = decodeRequest('logs', logsRequest(['a', 'b']), 'proto');
    p.process('logs', d.data, d.records);
    expect([0, 1].map((n) => has(encodeRequest('logs', d.data, 'proto'), n))).toEqual([true, false]);
  });
});
