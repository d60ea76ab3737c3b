/**
 * Bounded shutdown over real sockets: with a backend that keeps failing, the
 * drain stops at service.shutdown_timeout and says per exporter and signal
 * how many records it dropped; requests waiting on an abandoned export are
 * answered; slow clients do not hold the process; through the CLI, a second
 * signal exits at once and reports what it dropped.
 */
import { existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, encodeRequest, OtlpSink, type Collector } from '@otel-policy/collector';
import { makeCerts } from '../../../test/support/certs.js';
import { eventually, grpcExport, grpcTarget, httpBase, logsPayload, parseProm, postOtlp, sleep, spawnCollector, startCollector, tempDir, writeFile, closeGrpcClients } from './support.js';

const BIN = fileURLToPath(new URL('../../cli/bin/otel-policy.js', import.meta.url));
const built = existsSync(BIN.replace('bin/otel-policy.js', 'dist/main.js'));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function failingSink(): Promise<OtlpSink> {
  const s = await new OtlpSink({ answer: () => ({ httpStatus: 503, grpcCode: grpc.status.UNAVAILABLE }) }).start();
  cleanups.push(() => s.stop());
  return s;
}

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'info', encoding: 'json', write: (l) => lines.push(l) }) };
}

const logged = (lines: string[], msg: string) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === msg);

/** Resolve with how long `p` took, or 'timeout' after `ms` (a bound on behaviour, not a performance figure). */
async function within<T>(p: Promise<T>, ms: number): Promise<number | 'timeout'> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([p.then(() => Date.now() - t0), new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]);
  clearTimeout(timer);
  return r;
}

const traces = (n: number) => ({
  resourceSpans: [{ scopeSpans: [{ spans: Array.from({ length: n }, (_, i) => ({ name: `s${i}`, traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '0102030405060708' })) }] }],
});

describe('shutdown deadline', () => {
  it('stops draining at shutdown_timeout when the backend keeps failing, and reports the records dropped per exporter and signal', async () => {
    const sink = await failingSink();
    const { lines, logger } = capture();
    const c: Collector = await startCollector(
      `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
exporters:
  otlphttp:
    endpoint: "${sink.httpUrl}"
    sending_queue: { num_consumers: 2, queue_size: 100 }
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 10m }
  otlp:
    endpoint: "${sink.grpcTarget}"
    tls: { insecure: true }
    sending_queue: { num_consumers: 1, queue_size: 100 }
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 10m }
service:
  shutdown_timeout: 1s
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [otlphttp] }
    traces: { receivers: [otlp], exporters: [otlp] }
`,
      process.cwd(),
      logger,
    );
    cleanups.push(() => c.shutdown());
    for (let i = 0; i < 5; i++) expect((await postOtlp(httpBase(c), 'logs', encodeRequest('logs', logsPayload(4), 'proto'))).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await postOtlp(httpBase(c), 'traces', encodeRequest('traces', traces(2), 'proto'))).status).toBe(200);
    await eventually(() => sink.attempts >= 6, 5000, 'exports to be attempted');

    const took = await within(c.shutdown(), 8000);
    expect(took).not.toBe('timeout');
    const dropped = logged(lines, 'Dropped data at shutdown: shutdown_timeout reached');
    expect(dropped.map(({ exporter, signal, dropped_items }) => ({ exporter, signal, dropped_items }))).toEqual([
      { exporter: 'otlphttp', signal: 'logs', dropped_items: 20 },
      { exporter: 'otlp', signal: 'traces', dropped_items: 6 },
    ]);
    expect(logged(lines, 'Shutdown complete.')).toHaveLength(1);
    const m = parseProm(c.metrics.render());
    expect(m.get('otelcol_exporter_send_failed_log_records_total{exporter="otlphttp"}')).toBe(20);
    expect(m.get('otelcol_exporter_send_failed_spans_total{exporter="otlp"}')).toBe(6);
  });

  it('answers a request waiting on an export without a queue (503) instead of holding it, and still stops at the deadline', async () => {
    const sink = await failingSink();
    const { lines, logger } = capture();
    const c = await startCollector(
      `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" }, grpc: { endpoint: "127.0.0.1:0" } } } }
exporters:
  otlphttp:
    endpoint: "${sink.httpUrl}"
    sending_queue: { enabled: false }
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 10m }
service:
  shutdown_timeout: 800ms
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [otlp], exporters: [otlphttp] } }
`,
      process.cwd(),
      logger,
    );
    cleanups.push(() => c.shutdown());
    cleanups.push(closeGrpcClients);
    const waiting = postOtlp(httpBase(c), 'logs', encodeRequest('logs', logsPayload(3), 'proto'));
    const waitingGrpc = grpcExport(grpcTarget(c), 'logs', encodeRequest('logs', logsPayload(2), 'proto'));
    await eventually(() => sink.attempts >= 2, 5000, 'exports to be attempted');
    expect(await within(c.shutdown(), 6000)).not.toBe('timeout');
    const res = await waiting;
    expect(res.status).toBe(503);
    expect((await waitingGrpc).error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(logged(lines, 'Dropped data at shutdown: shutdown_timeout reached').map((l) => l.dropped_items)).toEqual([5]);
  });

  it('cuts a client still sending its body after a short grace, and closes idle keep-alive connections at once', async () => {
    const sink = await new OtlpSink().start();
    cleanups.push(() => sink.stop());
    const c = await startCollector(`
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
exporters: { otlphttp: { endpoint: "${sink.httpUrl}" } }
service:
  shutdown_timeout: 2s
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [otlp], exporters: [otlphttp] } }
`);
    cleanups.push(() => c.shutdown());
    const port = Number(httpBase(c).split(':').at(-1));
    const open = (): Promise<net.Socket> =>
      new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.on('error', () => undefined);
      });
    const closedIn = (s: net.Socket, ms: number) => within(new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve()))), ms);
    const slow = await open();
    slow.write('POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100000\r\n\r\n');
    const trickle = setInterval(() => slow.write(Buffer.alloc(1)), 50);
    cleanups.push(() => clearInterval(trickle));
    const idle = await open();
    await sleep(100);

    const stopping = c.shutdown();
    expect(await closedIn(idle, 300)).not.toBe('timeout');
    // The grace is a quarter of shutdown_timeout (500 ms); the default request timeout would be a minute.
    expect(await closedIn(slow, 3000)).not.toBe('timeout');
    expect(await within(stopping, 3000)).not.toBe('timeout');
  });
});

describe.skipIf(!built)('through the CLI', () => {
  async function run(sinkUrl: string, shutdownTimeout: string) {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const config = writeFile(
      t.dir,
      'config.yaml',
      `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
exporters:
  otlphttp:
    endpoint: "${sinkUrl}"
    sending_queue: { num_consumers: 1, queue_size: 100 }
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 10m }
service:
  shutdown_timeout: ${shutdownTimeout}
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [otlp], exporters: [otlphttp] } }
`,
    );
    const c = await spawned(config);
    const base = c.url('Starting HTTP server');
    for (let i = 0; i < 6; i++) expect((await postOtlp(base, 'logs', encodeRequest('logs', logsPayload(5), 'proto'))).status).toBe(200);
    return c;
  }

  /** The CLI's collector on `config`, ready, killed after the test if it is still running. */
  async function spawned(config: string) {
    const c = await spawnCollector(config);
    cleanups.push(() => {
      if (c.child.exitCode === null) c.child.kill('SIGKILL');
    });
    return c;
  }

  it('SIGTERM with a failing backend exits 0 at shutdown_timeout, reporting the records dropped', async () => {
    const sink = await failingSink();
    const { child, exited, stderr } = await run(sink.httpUrl, '1s');
    await eventually(() => sink.attempts >= 1, 5000, 'an export attempt');
    child.kill('SIGTERM');
    expect(await within(exited, 10_000)).not.toBe('timeout');
    expect(await exited).toBe(0);
    expect(stderr()).toMatch(/error\tDropped data at shutdown: shutdown_timeout reached\t\{"exporter":"otlphttp","signal":"logs","dropped_items":30\}/);
    expect(stderr()).toContain('Shutdown complete.');
  });

  it('SIGTERM exits promptly with connections that never sent anything open (gRPC without its preface, HTTPS in its handshake)', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const certs = makeCerts();
    cleanups.push(() => rmSync(certs.dir, { recursive: true, force: true }));
    const config = writeFile(
      t.dir,
      'config.yaml',
      `
receivers:
  otlp:
    protocols:
      grpc: { endpoint: "127.0.0.1:0" }
      http: { endpoint: "127.0.0.1:0", tls: { cert_file: ${certs.files.serverCert}, key_file: ${certs.files.serverKey} } }
exporters: { debug: {} }
service:
  shutdown_timeout: 30s
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [otlp], exporters: [debug] } }
`,
    );
    const { child, exited, stderr, url } = await spawned(config);
    const port = (message: string) => Number(new URL(url(message)).port);
    const silent: net.Socket[] = [];
    for (const p of [port('Starting GRPC server'), port('Starting HTTP server')]) {
      const s = net.connect(p, '127.0.0.1');
      s.on('error', () => {});
      await new Promise((r) => s.once('connect', r));
      silent.push(s);
    }
    cleanups.push(() => silent.forEach((s) => s.destroy()));
    const started = Date.now();
    child.kill('SIGTERM');
    // Before: the HTTPS socket held shutdown to its deadline (30 s here), and either socket kept the process alive after it.
    expect(await within(exited, 8000)).not.toBe('timeout');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(stderr()).toContain('Shutdown complete.');
  });

  it('a second signal exits 1 at once, reporting the records it dropped', async () => {
    const sink = await failingSink();
    const { child, exited, stderr } = await run(sink.httpUrl, '1m');
    await eventually(() => sink.attempts >= 1, 5000, 'an export attempt');
    child.kill('SIGTERM');
    await eventually(() => stderr().includes('Draining sending queues'), 5000, 'the drain to start');
    child.kill('SIGTERM');
    expect(await within(exited, 5000)).not.toBe('timeout');
    expect(await exited).toBe(1);
    expect(stderr()).toMatch(/error\tDropped data: exiting without draining\t\{"exporter":"otlphttp","signal":"logs","dropped_items":30\}/);
  });
});
