/**
 * Lifecycle over real sockets: self-metrics and health endpoints, hot reload
 * of policies, graceful shutdown draining the sending queue (in process and
 * through the CLI on SIGTERM): nothing answered 2xx is lost.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRequest, OtlpSink, type OtlpSinkOptions } from '@otel-policy/collector';
import { eventually, httpBase, logsPayload, parseProm, post, postOtlp, sleep, spawnCollector, startCollector, tempDir, writeFile } from './support.js';

const BIN = fileURLToPath(new URL('../../cli/bin/otel-policy.js', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sinkWith(options: OtlpSinkOptions = {}): Promise<OtlpSink> {
  const s = await new OtlpSink(options).start();
  cleanups.push(() => s.stop());
  return s;
}

function tmp(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

const POLICIES = `policies:
  - id: drop-debug
    name: Drop debug
    log:
      match:
        - log_field: severity_text
          exact: DEBUG
      keep: none
  - id: keep-info
    name: Keep info
    log:
      match:
        - log_field: severity_text
          exact: INFO
      keep: all
  - id: tag-warn
    name: Tag warnings
    log:
      match:
        - log_field: severity_text
          exact: WARN
      transform:
        add:
          - log_attribute: tagged
            value: "yes"
  - id: sample-traces
    name: Keep half the traces
    trace:
      match:
        - trace_field: name
          exists: true
      keep:
        percentage: 50
`;

const get = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, text: await r.text() };
};

describe('self-telemetry and health', () => {
  it('serves processor_policy_records, per-policy hits and misses, queue size and export failures; health follows the lifecycle', async () => {
    const dir = tmp();
    writeFile(dir, 'policies.yaml', POLICIES);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sink = await sinkWith({ answer: (r) => (r.signal === 'logs' ? { until: gate } : undefined) });
    const failing = await sinkWith({ answer: () => ({ httpStatus: 400 }) });
    const c = await startCollector(
      `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
processors: { policy: { providers: [ { type: file, id: local, path: ./policies.yaml } ] } }
exporters:
  otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { num_consumers: 1, queue_size: 10 } }
  otlphttp/broken: { endpoint: "${failing.httpUrl}", retry_on_failure: { enabled: false } }
extensions: { health_check: { endpoint: "127.0.0.1:0", path: /health } }
service:
  extensions: [health_check]
  telemetry: { metrics: { readers: [ { pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0 } } } } ] } }
  pipelines:
    logs: { receivers: [otlp], processors: [policy], exporters: [otlphttp] }
    traces: { receivers: [otlp], processors: [policy], exporters: [otlphttp/broken] }
`,
      dir,
    );
    cleanups.push(() => c.shutdown());
    cleanups.push(() => release());
    const health = `http://${c.endpoints.health!.health_check}/health`;
    const h = await get(health);
    expect(h.status).toBe(200);
    expect(JSON.parse(h.text)).toMatchObject({ status: 'Server available', upSince: expect.any(String), uptime: expect.stringMatching(/s$/) });
    expect((await get(`http://${c.endpoints.health!.health_check}/other`)).status).toBe(404);

    const severities = ['DEBUG', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
    for (let i = 0; i < 3; i++) expect((await postOtlp(httpBase(c), 'logs', encodeRequest('logs', logsPayload(5, { severity: (j) => severities[j] }), 'proto'))).status).toBe(200);
    const spans = {
      resourceSpans: [{ scopeSpans: [{ spans: Array.from({ length: 40 }, (_, i) => ({ name: `s${i}`, traceId: createHash('md5').update(String(i)).digest('hex'), spanId: '0102030405060708' })) }] }],
    };
    expect((await postOtlp(httpBase(c), 'traces', encodeRequest('traces', spans, 'proto'))).status).toBe(200);

    const metricsUrl = `http://${c.endpoints.metrics}/metrics`;
    let m = new Map<string, number>();
    await eventually(
      async () => {
        m = parseProm((await get(metricsUrl)).text);
        return (m.get('otelcol_exporter_send_failed_spans_total{exporter="otlphttp/broken"}') ?? 0) > 0;
      },
      5000,
      'the failed export to be counted',
    );
    const res = await fetch(metricsUrl);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.get('processor_policy_records{telemetry_type="logs",result="dropped"}')).toBe(6);
    expect(m.get('processor_policy_records{telemetry_type="logs",result="kept"}')).toBe(3);
    expect(m.get('processor_policy_records{telemetry_type="logs",result="transformed"}')).toBe(3);
    expect(m.get('processor_policy_records{telemetry_type="logs",result="no_match"}')).toBe(3);
    const sampled = m.get('processor_policy_records{telemetry_type="traces",result="sampled"}')!;
    const dropped = m.get('processor_policy_records{telemetry_type="traces",result="dropped"}')!;
    expect(sampled + dropped).toBe(40);
    expect(sampled).toBeGreaterThan(5);
    expect(dropped).toBeGreaterThan(5);
    expect(m.get('processor_policy_hits{policy_id="drop-debug"}')).toBe(6);
    expect(m.get('processor_policy_hits{policy_id="tag-warn"}')).toBe(3);
    expect(m.get('processor_policy_misses{policy_id="keep-info"}')).toBe(0);
    expect(m.get('processor_policy_policies{state="active"}')).toBe(4);
    expect(m.get('otelcol_exporter_send_failed_spans_total{exporter="otlphttp/broken"}')).toBe(sampled);
    expect(m.get('otelcol_exporter_queue_capacity{exporter="otlphttp"}')).toBe(10);
    // One request is held by the consumer, the other two wait in the queue.
    expect(m.get('otelcol_exporter_queue_size{exporter="otlphttp"}')).toBe(2);
    expect(m.get('otelcol_receiver_accepted_log_records_total{receiver="otlp",transport="http"}')).toBe(15);

    // Health goes unavailable as soon as shutdown starts (the queue is still draining).
    const stopping = c.shutdown();
    expect((await get(health)).status).toBe(503);
    release();
    await stopping;
    expect(sink.recordsOf('logs')).toBe(9);
  });
});

describe('hot reload', () => {
  it('applies an edited policy file without a restart', async () => {
    const dir = tmp();
    const file = writeFile(dir, 'policies.yaml', POLICIES);
    const sink = await sinkWith();
    const c = await startCollector(
      `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
processors: { policy: { providers: [ { type: file, id: local, path: ./policies.yaml, poll_interval_secs: 1 } ] } }
exporters: { otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false } } }
service:
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [otlp], processors: [policy], exporters: [otlphttp] } }
`,
      dir,
    );
    cleanups.push(() => c.shutdown());
    const send = () => postOtlp(httpBase(c), 'logs', encodeRequest('logs', logsPayload(2, { severity: () => 'DEBUG' }), 'proto'));
    expect((await send()).status).toBe(200);
    expect(sink.recordsOf('logs')).toBe(0);
    const reloads = c.processors.get('policy')!.registry.reloads;
    writeFile(dir, 'policies.yaml', POLICIES.replace('exact: DEBUG', 'exact: TRACE'));
    void file;
    await eventually(() => c.processors.get('policy')!.registry.reloads > reloads, 10_000, 'the reload');
    expect((await send()).status).toBe(200);
    expect(sink.recordsOf('logs')).toBe(2);
    // A broken edit keeps the last good set.
    writeFile(dir, 'policies.yaml', 'policies: [ {');
    await sleep(1500);
    expect((await send()).status).toBe(200);
    expect(sink.recordsOf('logs')).toBe(4);
  });
});

describe('graceful shutdown', () => {
  it('in process: stops accepting, drains the queue, and loses nothing answered 2xx', async () => {
    const sink = await sinkWith({ answer: () => ({ delayMs: 30 }) });
    const c = await startCollector(`
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" }, grpc: { endpoint: "127.0.0.1:0" } } } }
exporters: { otlp: { endpoint: "${sink.grpcTarget}", tls: { insecure: true }, sending_queue: { num_consumers: 2, queue_size: 500 } } }
service:
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [otlp], exporters: [otlp] } }
`);
    const base = httpBase(c);
    const results = await Promise.all(Array.from({ length: 40 }, () => postOtlp(base, 'logs', encodeRequest('logs', logsPayload(5), 'proto'))));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(sink.recordsOf('logs')).toBeLessThan(200);
    await c.shutdown();
    expect(sink.recordsOf('logs')).toBe(200);
    await expect(postOtlp(base, 'logs', encodeRequest('logs', logsPayload(1), 'proto'))).rejects.toThrow(/ECONNREFUSED/);
  });

  it.skipIf(!existsSync(BIN.replace('bin/otel-policy.js', 'dist/main.js')))('through the CLI: SIGTERM stops accepting, drains, flushes and exits 0 with every accepted record delivered', async () => {
    const dir = tmp();
    const sink = await sinkWith({ answer: () => ({ delayMs: 25 }) });
    writeFile(dir, 'policies.yaml', POLICIES);
    const config = writeFile(
      dir,
      'config.yaml',
      `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
processors: { policy: { providers: [ { type: file, id: local, path: ./policies.yaml } ] } }
exporters: { otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { num_consumers: 1, queue_size: 1000 } } }
service:
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [otlp], processors: [policy], exporters: [otlphttp] } }
`,
    );
    const { child, exited, stderr, url } = await spawnCollector(config);
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    expect(stderr()).toContain('Everything is ready');
    const base = url('Starting HTTP server');

    const severities = ['INFO', 'DEBUG', 'WARN', 'ERROR'];
    const results = await Promise.all(Array.from({ length: 30 }, () => postOtlp(base, 'logs', encodeRequest('logs', logsPayload(8, { severity: (j) => severities[j % 4] }), 'proto'))));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const acceptedKept = 30 * 6; // DEBUG is dropped by policy
    expect(sink.recordsOf('logs')).toBeLessThan(acceptedKept);

    child.kill('SIGTERM');
    // Stop accepting: new connections are refused (or answered 503) while the queue drains.
    await sleep(200);
    expect(child.exitCode).toBeNull();
    const late = await post(`${base}/v1/logs`, encodeRequest('logs', logsPayload(1), 'proto'), { 'content-type': 'application/x-protobuf' }).then(
      (r) => r.status,
      (e: Error) => e.message,
    );
    expect(String(late)).toMatch(/ECONNREFUSED|503/);

    expect(await exited).toBe(0);
    expect(sink.recordsOf('logs')).toBe(acceptedKept);
    expect(stderr()).toContain('Draining sending queues');
    expect(stderr()).toContain('Shutdown complete.');
  });
});
