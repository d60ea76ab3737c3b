/**
 * Exporters and the pipeline fan-out over real sockets: encodings and
 * compression, sending_queue (answered on enqueue; full -> 429 /
 * RESOURCE_EXHAUSTED with a retry delay), retry_on_failure (backoff,
 * Retry-After), and without a queue the request waiting for its export
 * (downstream failure after retries -> 503 / UNAVAILABLE; permanent -> 400).
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRequest, otlpSchema, OtlpSink, type Collector, type SinkRequest, type OtlpSinkOptions } from '@otel-policy/collector';
import { closeGrpcClients, eventually, grpcExport, grpcTarget, httpBase, logsPayload, postOtlp, startCollector } from './support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  closeGrpcClients();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sinkWith(options: OtlpSinkOptions = {}): Promise<OtlpSink> {
  const s = await new OtlpSink(options).start();
  cleanups.push(() => s.stop());
  return s;
}

async function collectorWith(exporters: string, pipelineExporters: string, extra = ''): Promise<Collector> {
  const c = await startCollector(`
receivers:
  otlp: { protocols: { http: { endpoint: "127.0.0.1:0" }, grpc: { endpoint: "127.0.0.1:0" } } }
exporters:
${exporters}
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [${pipelineExporters}] }
    traces: { receivers: [otlp], exporters: [${pipelineExporters}] }
${extra}`);
  cleanups.push(() => c.shutdown());
  return c;
}

const body = (n = 1) => encodeRequest('logs', logsPayload(n), 'proto');
const FAST_RETRY = 'retry_on_failure: { initial_interval: 20ms, max_interval: 50ms, max_elapsed_time: 400ms, randomization_factor: 0 }';
const { Status, RetryInfo } = otlpSchema();

describe('otlphttp exporter', () => {
  it('posts protobuf with gzip by default, or JSON, to <endpoint>/v1/<signal>, with the configured headers', async () => {
    const sink = await sinkWith();
    const c = await collectorWith(
      `  otlphttp/proto: { endpoint: "${sink.httpUrl}", headers: { x-tenant: acme } }
  otlphttp/json: { endpoint: "${sink.httpUrl}/", encoding: json, compression: none }`,
      'otlphttp/proto, otlphttp/json',
    );
    expect((await postOtlp(httpBase(c), 'logs', body(2))).status).toBe(200);
    await sink.waitFor(() => sink.requests.length === 2);
    const byEncoding = Object.fromEntries(sink.requests.map((r) => [r.encoding, r])) as Record<string, SinkRequest>;
    expect(byEncoding.proto).toMatchObject({ compression: 'gzip', records: 2, headers: { 'x-tenant': 'acme', 'content-type': 'application/x-protobuf' } });
    expect(byEncoding.proto.headers['user-agent']).toMatch(/^otel-policy-collector\//);
    expect(byEncoding.json).toMatchObject({ compression: 'identity', records: 2, headers: { 'content-type': 'application/json' } });
    expect(byEncoding.json.data).toEqual(byEncoding.proto.data);
  });

  it('answers on enqueue, and a full queue answers 429 with Retry-After (nothing enqueued twice)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // The sink holds every request until the gate opens.
    const sink = await sinkWith({ answer: () => ({ until: gate }) });
    const c = await collectorWith(`  otlphttp: { endpoint: "${sink.httpUrl}", compression: none, sending_queue: { num_consumers: 1, queue_size: 2 } }`, 'otlphttp');
    cleanups.push(() => release());
    const base = httpBase(c);
    const t0 = Date.now();
    const first = await postOtlp(base, 'logs', body(1)); // taken by the consumer, blocked
    expect(first.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(2000);
    await eventually(() => (c.exporters.get('otlphttp') as unknown as { pending: number }).pending === 1, 2000, 'the consumer to take the first request');
    expect((await postOtlp(base, 'logs', body(1))).status).toBe(200); // queued (1/2)
    expect((await postOtlp(base, 'logs', body(1))).status).toBe(200); // queued (2/2)
    const full = await postOtlp(base, 'logs', body(1));
    expect(full.status).toBe(429);
    expect(full.headers['retry-after']).toBe('1');
    const status = Status.toObject(Status.decode(full.body)) as { code: number; message: string; details: { typeUrl: string; value: Uint8Array }[] };
    expect(status).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, message: 'sending queue of exporter "otlphttp" is full' });
    expect(RetryInfo.toObject(RetryInfo.decode(status.details[0].value), { longs: Number })).toEqual({ retryDelay: { seconds: 1 } });
    const grpcFull = await grpcExport(grpcTarget(c), 'logs', body(1));
    expect(grpcFull.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const details = grpcFull.error!.metadata.get('grpc-status-details-bin')[0] as Buffer;
    expect((Status.toObject(Status.decode(details)) as { details: unknown[] }).details).toHaveLength(1);
    release();
    await sink.waitFor(() => sink.recordsOf('logs') === 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(sink.recordsOf('logs')).toBe(3);
  });

  it('with block_on_overflow, a full queue holds the request until there is room instead of refusing it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sink = await sinkWith({ answer: () => ({ until: gate }) });
    const c = await collectorWith(`  otlphttp: { endpoint: "${sink.httpUrl}", compression: none, sending_queue: { num_consumers: 1, queue_size: 1, block_on_overflow: true } }`, 'otlphttp');
    cleanups.push(() => release());
    const base = httpBase(c);
    expect((await postOtlp(base, 'logs', body(1))).status).toBe(200); // taken by the consumer
    await eventually(() => (c.exporters.get('otlphttp') as unknown as { pending: number }).pending === 1, 2000, 'the consumer to take it');
    expect((await postOtlp(base, 'logs', body(1))).status).toBe(200); // queued
    let answered = false;
    const third = postOtlp(base, 'logs', body(1)).then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false);
    release();
    expect((await third).status).toBe(200);
    await sink.waitFor(() => sink.recordsOf('logs') === 3);
  });

  it('retries retryable failures with backoff until the sink accepts', async () => {
    const sink = await sinkWith({ answer: (_r, n) => (n < 2 ? { httpStatus: 503 } : undefined) });
    const c = await collectorWith(`  otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false }, ${FAST_RETRY} }`, 'otlphttp');
    const res = await postOtlp(httpBase(c), 'logs', body(3));
    expect(res.status).toBe(200);
    expect(sink.attempts).toBe(3);
    expect(sink.recordsOf('logs')).toBe(3);
  });

  it('honours Retry-After from a throttling downstream', async () => {
    const times: number[] = [];
    const sink = await sinkWith({
      answer: (_r, n) => {
        times.push(Date.now());
        return n === 0 ? { httpStatus: 429, retryAfterSecs: 1 } : undefined;
      },
    });
    const c = await collectorWith(`  otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false }, retry_on_failure: { initial_interval: 10ms, max_elapsed_time: 5s } }`, 'otlphttp');
    expect((await postOtlp(httpBase(c), 'logs', body())).status).toBe(200);
    expect(times).toHaveLength(2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
  });

  it('without a queue, a downstream failure after retries answers 503 / UNAVAILABLE', async () => {
    const sink = await sinkWith({ answer: () => ({ httpStatus: 503, message: 'backend down' }) });
    const c = await collectorWith(`  otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false }, ${FAST_RETRY} }`, 'otlphttp');
    const res = await postOtlp(httpBase(c), 'logs', body());
    expect(res.status).toBe(503);
    const s = Status.toObject(Status.decode(res.body)) as { code: number; message: string };
    expect(s.code).toBe(grpc.status.UNAVAILABLE);
    expect(s.message).toMatch(/answered HTTP 503: backend down .*no more retries left/);
    expect(sink.attempts).toBeGreaterThan(2);
    const g = await grpcExport(grpcTarget(c), 'logs', body());
    expect(g.error?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('without a queue, an unreachable downstream answers 503 after retries', async () => {
    const gone = await new OtlpSink().start();
    const url = gone.httpUrl;
    await gone.stop();
    const c = await collectorWith(`  otlphttp: { endpoint: "${url}", sending_queue: { enabled: false }, ${FAST_RETRY} }`, 'otlphttp');
    const res = await postOtlp(httpBase(c), 'logs', body());
    expect(res.status).toBe(503);
    expect((Status.toObject(Status.decode(res.body)) as { message: string }).message).toMatch(/ECONNREFUSED/);
  });

  it('does not retry a permanent error, and answers 400 without a queue', async () => {
    const sink = await sinkWith({ answer: () => ({ httpStatus: 400, message: 'bad data' }) });
    const c = await collectorWith(`  otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false }, ${FAST_RETRY} }`, 'otlphttp');
    const res = await postOtlp(httpBase(c), 'logs', body());
    expect(res.status).toBe(400);
    expect(sink.attempts).toBe(1);
  });

  it('times out slow exports (timeout), counting them as failures', async () => {
    const sink = await sinkWith({ answer: () => ({ delayMs: 1500 }) });
    const c = await collectorWith(`  otlphttp: { endpoint: "${sink.httpUrl}", timeout: 100ms, sending_queue: { enabled: false }, retry_on_failure: { enabled: false } }`, 'otlphttp');
    const t0 = Date.now();
    const res = await postOtlp(httpBase(c), 'logs', body());
    expect(res.status).toBe(503);
    expect(Date.now() - t0).toBeLessThan(1200);
    expect((Status.toObject(Status.decode(res.body)) as { message: string }).message).toMatch(/timed out after 100ms/);
  });

  it('gives up on a queued request after max_elapsed_time and counts it as failed', async () => {
    const sink = await sinkWith({ answer: () => ({ httpStatus: 502 }) });
    const c = await collectorWith(`  otlphttp: { endpoint: "${sink.httpUrl}", ${FAST_RETRY} }`, 'otlphttp');
    expect((await postOtlp(httpBase(c), 'logs', body(4))).status).toBe(200);
    await eventually(() => c.metrics.render().includes('otelcol_exporter_send_failed_log_records_total{exporter="otlphttp"} 4'), 5000, 'the failure to be counted');
  });
});

describe('otlp (gRPC) exporter', () => {
  it('exports over gRPC with metadata headers', async () => {
    const sink = await sinkWith();
    const c = await collectorWith(`  otlp: { endpoint: "${sink.grpcTarget}", tls: { insecure: true }, headers: { X-Tenant: acme } }`, 'otlp');
    expect((await postOtlp(httpBase(c), 'logs', body(3))).status).toBe(200);
    await sink.waitFor(() => sink.recordsOf('logs') === 3);
    expect(sink.requests[0]).toMatchObject({ transport: 'grpc', headers: { 'x-tenant': 'acme' } });
  });

  it('retries UNAVAILABLE, and RESOURCE_EXHAUSTED when it carries RetryInfo', async () => {
    const sink = await sinkWith({
      answer: (_r, n) => (n === 0 ? { grpcCode: grpc.status.UNAVAILABLE } : n === 1 ? { grpcCode: grpc.status.RESOURCE_EXHAUSTED, retryAfterSecs: 0 } : undefined),
    });
    const c = await collectorWith(`  otlp: { endpoint: "http://${sink.grpcTarget}", sending_queue: { enabled: false }, ${FAST_RETRY} }`, 'otlp');
    expect((await postOtlp(httpBase(c), 'logs', body(2))).status).toBe(200);
    expect(sink.attempts).toBe(3);
  });

  it('treats INVALID_ARGUMENT as permanent', async () => {
    const sink = await sinkWith({ answer: () => ({ grpcCode: grpc.status.INVALID_ARGUMENT }) });
    const c = await collectorWith(`  otlp: { endpoint: "${sink.grpcTarget}", tls: { insecure: true }, sending_queue: { enabled: false }, ${FAST_RETRY} }`, 'otlp');
    const res = await grpcExport(grpcTarget(c), 'logs', body());
    expect(res.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(sink.attempts).toBe(1);
  });
});

describe('pipelines', () => {
  it('fans out to several exporters and gives each pipeline its own copy', async () => {
    const a = await sinkWith();
    const b = await sinkWith();
    const { dir, cleanup } = await import('./support.js').then((m) => m.tempDir());
    cleanups.push(cleanup);
    const { writeFile } = await import('./support.js');
    writeFile(dir, 'p.yaml', 'policies:\n  - id: drop-even\n    name: d\n    log:\n      match:\n        - log_field: body\n          regex: "[02468]$"\n      keep: none\n');
    const c = await startCollector(
      `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
processors: { policy: { providers: [ { type: file, id: f, path: ./p.yaml } ] } }
exporters:
  otlphttp/a: { endpoint: "${a.httpUrl}" }
  otlphttp/b: { endpoint: "${b.httpUrl}" }
  debug: { verbosity: basic, use_internal_logger: false }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs/filtered: { receivers: [otlp], processors: [policy], exporters: [otlphttp/a, debug] }
    logs/raw: { receivers: [otlp], exporters: [otlphttp/b] }
`,
      dir,
    );
    cleanups.push(() => c.shutdown());
    expect((await postOtlp(httpBase(c), 'logs', body(10))).status).toBe(200);
    await a.waitFor(() => a.recordsOf('logs') === 5);
    await b.waitFor(() => b.recordsOf('logs') === 10);
  });
});

describe('debug exporter', () => {
  it('prints a summary, one line per record, or the whole payload; sampled per second', async () => {
    const { DebugExporter } = await import('../src/exporter/debug.js');
    const { exportItem } = await import('../src/exporter/item.js');
    const { silentLogger, ObjectPayload } = await import('@otel-policy/collector');
    const payload = logsPayload(2, { severity: (i) => (i ? 'WARN' : 'INFO') });
    const out: string[] = [];
    const make = (verbosity: 'basic' | 'normal' | 'detailed', samplingInitial = 5) =>
      new DebugExporter({ id: 'debug', type: 'debug', verbosity, samplingInitial, samplingThereafter: 0, useInternalLogger: false }, silentLogger, (t) => out.push(t));
    await make('basic').consume(exportItem(new ObjectPayload('logs', payload as never, 2)));
    expect(out.pop()).toBe('{"data_type":"logs","resource logs":1,"log records":2}\n');
    await make('normal').consume(exportItem(new ObjectPayload('logs', payload as never, 2)));
    expect(out.pop()).toBe('{"data_type":"logs","resource logs":1,"log records":2}\nINFO message 0 i=0\nWARN message 1 i=1\n');
    await make('detailed').consume(exportItem(new ObjectPayload('logs', payload as never, 2)));
    expect(JSON.parse(out.pop()!.split('\n').slice(1).join('\n'))).toEqual(payload);
    const sampled = make('basic', 2);
    for (let i = 0; i < 5; i++) await sampled.consume(exportItem(new ObjectPayload('logs', payload as never, 2)));
    expect(out).toHaveLength(2);
  });
});
