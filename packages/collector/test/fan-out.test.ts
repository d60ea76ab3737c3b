/**
 * A request fanned out to several exporters: each keeps its own copy on
 * disk and forgets only its own, and an exporter in several pipelines of a
 * signal has room checked for every copy it will take, all or nothing.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRequest, OtlpSink } from '@otel-policy/collector';
import { eventually, httpBase, logsPayload, postOtlp, sleep, spawnCollector, startCollector, tempDir } from './support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A sink that answers 503 until `up` is set. */
async function sink() {
  const s = { up: false, sink: new OtlpSink({ answer: () => (s.up ? undefined : { httpStatus: 503, grpcCode: grpc.status.UNAVAILABLE }) }) };
  await s.sink.start();
  cleanups.push(() => s.sink.stop());
  return s;
}

const RETRY = 'retry_on_failure: { initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 10m }';
const queueFiles = (dir: string, exporter: string) => readdirSync(path.join(dir, 'queue', `exporter_${exporter}`)).filter((f) => f.endsWith('.pb'));

describe('fan-out to several exporters', () => {
  it('two persistent exporters of one pipeline: after kill -9, each backend gets the request once', async () => {
    const { dir, cleanup } = tempDir('otel-policy-fanout-');
    cleanups.push(cleanup);
    const a = await sink();
    a.up = true;
    const b = await sink();
    const file = path.join(dir, 'config.yaml');
    writeFileSync(
      file,
      `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
extensions: { file_storage: { directory: ./queue, create_directory: true } }
exporters:
  otlphttp/a: { endpoint: "${a.sink.httpUrl}", sending_queue: { storage: file_storage }, ${RETRY} }
  otlphttp/b: { endpoint: "${b.sink.httpUrl}", sending_queue: { storage: file_storage }, ${RETRY} }
service:
  extensions: [file_storage]
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [otlp], exporters: [otlphttp/a, otlphttp/b] } }
`,
    );
    const start = async () => {
      const s = await spawnCollector(file, {}, 1);
      cleanups.push(() => {
        if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      });
      return s;
    };
    const first = await start();
    expect((await postOtlp(first.url('Starting HTTP server'), 'logs', encodeRequest('logs', logsPayload(5), 'proto'))).status).toBe(200);
    await eventually(() => a.sink.recordsOf('logs') === 5);
    // A has sent and forgotten its copy; B's stays on disk while its backend refuses.
    await eventually(() => queueFiles(dir, 'otlphttp_a').length === 0 && queueFiles(dir, 'otlphttp_b').length === 1);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    b.up = true;
    const second = await start();
    await eventually(() => b.sink.recordsOf('logs') === 5);
    await sleep(500);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
    expect(a.sink.recordsOf('logs')).toBe(5);
    expect(b.sink.recordsOf('logs')).toBe(5);
  }, 30_000);

  it('a persistent and an in-memory exporter: the persistent copy is forgotten once it is sent, and not sent again after a restart', async () => {
    const { dir, cleanup } = tempDir('otel-policy-fanout-');
    cleanups.push(cleanup);
    const a = await sink();
    const b = await sink();
    b.up = true;
    const yaml = `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
extensions: { file_storage: { directory: ./queue, create_directory: true } }
exporters:
  otlphttp/a: { endpoint: "${a.sink.httpUrl}", sending_queue: { storage: file_storage }, ${RETRY} }
  otlphttp/b: { endpoint: "${b.sink.httpUrl}" }
service:
  extensions: [file_storage]
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [otlp], exporters: [otlphttp/a, otlphttp/b] } }
`;
    const first = await startCollector(yaml, dir);
    expect((await postOtlp(httpBase(first), 'logs', encodeRequest('logs', logsPayload(5), 'proto'))).status).toBe(200);
    await eventually(() => b.sink.recordsOf('logs') === 5);
    a.up = true;
    await eventually(() => a.sink.recordsOf('logs') === 5);
    await eventually(() => queueFiles(dir, 'otlphttp_a').length === 0);
    await first.shutdown();
    const second = await startCollector(yaml, dir);
    cleanups.push(() => second.shutdown());
    await sleep(800);
    expect(a.sink.recordsOf('logs')).toBe(5);
  }, 30_000);

  it('an exporter in two pipelines of a signal: room is checked for both copies, so a refusal queues nothing', async () => {
    const s = await sink();
    s.up = true;
    const c = await startCollector(`
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
exporters:
  otlphttp: { endpoint: "${s.sink.httpUrl}", sending_queue: { queue_size: 1, num_consumers: 1 } }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs/a: { receivers: [otlp], exporters: [otlphttp] }
    logs/b: { receivers: [otlp], exporters: [otlphttp] }
`);
    cleanups.push(() => c.shutdown());
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await postOtlp(httpBase(c), 'logs', encodeRequest('logs', logsPayload(5), 'proto'))).status);
      await sleep(300);
    }
    // Two copies of 5 records never fit a queue of 1 that is not empty: accepted into an empty one (as one request
    // larger than the queue is), or refused whole. Either way, what the sink got is what was accepted, twice.
    const accepted = statuses.filter((st) => st === 200).length;
    expect(statuses.every((st) => st === 200 || st === 429)).toBe(true);
    expect(accepted).toBeGreaterThan(0);
    await eventually(() => s.sink.recordsOf('logs') === accepted * 10);
  }, 30_000);
});
