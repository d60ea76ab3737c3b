/**
 * Protobuf requests are located, not decoded (readRequest): policies read
 * them in place, what they leave alone goes out byte for byte (unknown
 * fields included), only dropped parts disappear and only the parts a
 * policy wrote are decoded and re-encoded.
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '@otel-policy/core';
import { decodeRequest, otlpSchema, PolicyProcessor, MetricsRegistry, readRequest, silentLogger } from '@otel-policy/collector';

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

describe('protobuf requests located, read in place and spliced', () => {
  it('returns the original bytes when nothing changed', () => {
    const req = logsRequest(['a', 'b', 'c']);
    const d = readRequest('logs', req, 'proto');
    expect(JSON.stringify(decodeRequest('logs', req, 'proto').data)).not.toContain('UNKNOWN');
    const out = d.payload.encode('proto');
    expect(Buffer.from(out).equals(Buffer.from(req))).toBe(true);
    // A policy that matches nothing changes nothing.
    d.payload.applyPolicies(engineWith([{ id: 'x', name: 'x', log: { match: [{ log_field: 'body', exact: 'zzz' }], keep: 'none' } }]));
    expect(Buffer.from(d.payload.encode('proto')).equals(Buffer.from(req))).toBe(true);
  });

  it('drops records by leaving their bytes out, keeping the others verbatim', () => {
    const d = readRequest('logs', logsRequest(['keep-0', 'drop-1', 'keep-2']), 'proto');
    const o = d.payload.applyPolicies(engineWith([{ id: 'd', name: 'd', log: { match: [{ log_field: 'body', starts_with: 'drop' }], keep: 'none' } }]));
    expect(o.dropped).toBe(1);
    const out = d.payload.encode('proto');
    expect([0, 1, 2, 80, 90].map((n) => has(out, n))).toEqual([true, false, true, true, true]);
    const back = decodeRequest('logs', out, 'proto').data as { resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string }; traceId: string }[] }[] }[] };
    expect(back.resourceLogs[0].scopeLogs[0].logRecords.map((r) => [r.body.stringValue, r.traceId])).toEqual([
      ['keep-0', '01'.repeat(16)],
      ['keep-2', '03'.repeat(16)],
    ]);
  });

  it('re-encodes only the record a transform changed', () => {
    const d = readRequest('logs', logsRequest(['plain', 'secret=42', 'plain too']), 'proto');
    d.payload.applyPolicies(engineWith([{ id: 't', name: 't', log: { match: [{ log_field: 'body', starts_with: 'secret' }], transform: { redact: [{ log_field: 'body' }] } } }]));
    const out = d.payload.encode('proto');
    expect([0, 1, 2, 80, 90].map((n) => has(out, n))).toEqual([true, false, true, true, true]);
    const back = decodeRequest('logs', out, 'proto').data as { resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string }; traceId: string }[] }[] }[] };
    expect(back.resourceLogs[0].scopeLogs[0].logRecords.map((r) => r.body.stringValue)).toEqual(['plain', '[REDACTED]', 'plain too']);
    expect(back.resourceLogs[0].scopeLogs[0].logRecords[1].traceId).toBe('02'.repeat(16));
  });

  it('re-encodes only the resource head when a transform writes a resource attribute', () => {
    const d = readRequest('logs', logsRequest(['a', 'tag-me']), 'proto');
    d.payload.applyPolicies(engineWith([{ id: 'r', name: 'r', log: { match: [{ log_field: 'body', exact: 'tag-me' }], transform: { add: [{ resource_attribute: 'tagged', value: 'yes' }] } } }]));
    const out = d.payload.encode('proto');
    // The records and the resource level's other fields are copied; only Resource itself is encoded again.
    expect([0, 1, 80].map((n) => has(out, n))).toEqual([true, true, true]);
    const back = decodeRequest('logs', out, 'proto').data as { resourceLogs: { resource: { attributes: unknown[] } }[] };
    expect(back.resourceLogs[0].resource.attributes).toEqual([kv('service.name', 'api'), kv('tagged', 'yes')]);
  });

  it('leaves out resources and scopes whose records were all dropped, and splices sampled spans', () => {
    const span = (i: number, name: string) =>
      field(2, withUnknown(traces.levels.record.encode({ name, traceId: Buffer.from(`${i}`.padStart(32, '0'), 'hex'), spanId: Buffer.alloc(8, 1) }).finish(), i));
    const rs = (spans: Uint8Array[]) => field(1, field(2, Buffer.concat(spans)));
    const req = Buffer.concat([rs([span(1, 'drop'), span(2, 'drop')]), rs([span(3, 'keep'), span(4, 'sampled')])]);
    const d = readRequest('traces', req, 'proto');
    d.payload.applyPolicies(
      engineWith([
        { id: 'a', name: 'a', trace: { match: [{ trace_field: 'name', exact: 'drop' }], keep: { percentage: 0 } } },
        { id: 'b', name: 'b', trace: { match: [{ trace_field: 'name', exact: 'sampled' }], keep: { percentage: 100 } } },
      ]),
    );
    const out = d.payload.encode('proto');
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
    const d = readRequest('metrics', req, 'proto');
    d.payload.applyPolicies(engineWith([{ id: 'p', name: 'p', metric: { match: [{ datapoint_attribute: 'k', exact: '2' }], keep: false } }]));
    const out = d.payload.encode('proto');
    expect([1, 2].map((n) => has(out, n))).toEqual([true, true]);
    const back = decodeRequest('metrics', out, 'proto').data as { resourceMetrics: { scopeMetrics: { metrics: { name: string; gauge: { dataPoints: { asInt: string }[] } }[] }[] }[] };
    expect(back.resourceMetrics[0].scopeMetrics[0].metrics.map((m) => [m.name, m.gauge.dataPoints.map((p) => p.asInt)])).toEqual([
      ['m1', ['1', '3']],
      ['m2', ['4']],
    ]);
  });

  it('gives each pipeline its own edits over the same bytes', () => {
    const req = logsRequest(['a', 'b']);
    const d = readRequest('logs', req, 'proto');
    const copy = d.payload.copy();
    d.payload.applyPolicies(engineWith([{ id: 'd', name: 'd', log: { match: [{ log_field: 'body', exact: 'a' }], keep: 'none' } }]));
    expect(Buffer.from(copy.encode('proto')).equals(Buffer.from(req))).toBe(true);
    expect([0, 1].map((n) => has(d.payload.encode('proto'), n))).toEqual([false, true]);
    expect(d.payload.records).toBe(1);
    expect(copy.records).toBe(2);
  });

  it('leaves out records with invalid identifiers, the rest verbatim, and reports them', () => {
    const records = [Buffer.alloc(16, 1), Buffer.alloc(5, 2), Buffer.alloc(0)].map((traceId, i) =>
      field(2, withUnknown(logs.levels.record.encode({ body: { stringValue: `r${i}` }, traceId }).finish(), i)),
    );
    const req = field(1, field(2, Buffer.concat(records)));
    const d = readRequest('logs', req, 'proto');
    expect([d.records, d.rejected, d.rejectMessage]).toEqual([2, 1, 'log record rejected: invalid trace_id or span_id']);
    expect([0, 1, 2].map((n) => has(d.payload.encode('proto'), n))).toEqual([true, false, true]);
  });

  it('writes a JSON body and the debug view from the spliced bytes', () => {
    const d = readRequest('logs', logsRequest(['keep', 'drop']), 'proto');
    d.payload.applyPolicies(engineWith([{ id: 'd', name: 'd', log: { match: [{ log_field: 'body', exact: 'drop' }], keep: 'none' } }]));
    const json = JSON.parse(Buffer.from(d.payload.encode('json')).toString()) as { resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string } }[] }[] }[] };
    expect(json.resourceLogs[0].scopeLogs[0].logRecords.map((r) => r.body.stringValue)).toEqual(['keep']);
    expect(d.payload.toData()).toEqual(json);
  });

  it('refuses a body that is not a valid request, with the reason', () => {
    const good = Buffer.from(logsRequest(['a']));
    expect(() => readRequest('logs', good.subarray(0, good.length - 3), 'proto')).toThrow(/^cannot decode the protobuf ExportLogsServiceRequest: .*(bytes long|truncated)/);
    // A string where the schema has a message (LogRecord.body is an AnyValue; wire type 0 instead of 2).
    const bad = field(1, field(2, field(2, Buffer.from([0x28, 0x01]))));
    expect(() => readRequest('logs', bad, 'proto')).toThrow(/LogRecord field 5 has wire type 0, expected 2/);
  });

  it('refuses a fixed-width field that runs past its message', () => {
    const body = Buffer.concat([Buffer.from(logsRequest(['a'])), Buffer.from([0x99, 0x06, 0x41])]);
    expect(() => readRequest('logs', body, 'proto')).toThrow(/needs 8 bytes but only 1 remain/);
  });

  it('does not evaluate again what an earlier policy processor of the pipeline dropped', () => {
    const d = readRequest('logs', logsRequest(['drop', 'keep']), 'proto');
    const first = d.payload.applyPolicies(engineWith([{ id: 'a', name: 'a', log: { match: [{ log_field: 'body', exact: 'drop' }], keep: 'none' } }]));
    const second = d.payload.applyPolicies(engineWith([{ id: 'b', name: 'b', log: { match: [{ log_field: 'body', regex: '.' }], keep: 'none' } }]));
    expect([first.total, first.dropped, second.total, second.dropped, d.payload.records]).toEqual([2, 1, 1, 1, 0]);
    expect(d.payload.isEmpty()).toBe(true);
  });

  it('judges an identifier by its last occurrence, as decoders keep it', () => {
    const record = Buffer.concat([field(9, Buffer.alloc(3, 1)), field(9, Buffer.alloc(16, 2)), field(5, field(1, Buffer.from('x')))]);
    const d = readRequest('logs', field(1, field(2, field(2, record))), 'proto');
    expect([d.records, d.rejected]).toEqual([1, 0]);
    const bad = Buffer.concat([field(9, Buffer.alloc(16, 2)), field(9, Buffer.alloc(3, 1))]);
    expect(readRequest('logs', field(1, field(2, field(2, bad))), 'proto').rejected).toBe(1);
  });

  it('decodes, rather than reads in place, a request with a message field that should occur once occurring twice', async () => {
    const { ObjectPayload, WirePayload } = await import('@otel-policy/collector');
    // Two Resource fields in one ResourceLogs: decoders keep the last; the request is decoded and re-encoded as evaluated.
    const resource = (service: string) => field(1, Resource.encode({ attributes: [kv('service.name', service)] }).finish());
    const scope = field(2, field(2, logs.levels.record.encode({ body: { stringValue: 'x' } }).finish()));
    const d = readRequest('logs', field(1, Buffer.concat([resource('secret'), resource('other'), scope])), 'proto');
    expect(d.payload).toBeInstanceOf(ObjectPayload);
    d.payload.applyPolicies(engineWith([{ id: 'o', name: 'o', log: { match: [{ resource_attribute: 'service.name', exact: 'other' }], keep: 'none' } }]));
    expect(d.payload.isEmpty()).toBe(true);
    expect(readRequest('logs', logsRequest(['a']), 'proto').payload).toBeInstanceOf(WirePayload);
  });

  it('refuses a metric with more than one data case', () => {
    const metric = Buffer.concat([field(1, Buffer.from('m')), field(5, Buffer.alloc(0)), field(7, field(1, Buffer.alloc(0)))]);
    expect(() => readRequest('metrics', field(1, field(2, field(2, metric))), 'proto')).toThrow(/a Metric holds more than one data case \(fields 5, 7\)/);
  });

  it('the policy processor applies its engine through the same path', async () => {
    const p = new PolicyProcessor({ id: 'policy', type: 'policy', providers: [], serviceMetadata: {} }, { logger: silentLogger, metrics: new MetricsRegistry(), resource: {} });
    p.engine.load(JSON.stringify({ policies: [{ id: 'd', name: 'd', log: { match: [{ log_field: 'body', exact: 'b' }], keep: 'none' } }] }));
    const d = readRequest('logs', logsRequest(['a', 'b']), 'proto');
    p.process(d.payload);
    expect([0, 1].map((n) => has(d.payload.encode('proto'), n))).toEqual([true, false]);
  });
});
