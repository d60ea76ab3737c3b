/**
 * The persistent sending queue (`sending_queue.storage` with a file_storage
 * extension): requests accepted while the backend is down survive a kill -9
 * of the service and are sent after the next start; entries that cannot be
 * read are set aside once, never retried in a loop.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRequest, ObjectPayload, OtlpSink, parseConfigText, silentLogger, type Logger } from '@otel-policy/collector';
import { QueueStorage } from '../src/exporter/queue-storage.js';
import { exportItem } from '../src/exporter/item.js';
import { eventually, logsPayload, postOtlp, spawnCollector, tempDir } from './support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function work(): string {
  const { dir, cleanup } = tempDir('otel-policy-pq-');
  cleanups.push(cleanup);
  return dir;
}

describe('QueueStorage', () => {
  it('gives back what was saved and not removed, oldest first, in a new instance', () => {
    const dir = work();
    const a = new QueueStorage(dir, false, silentLogger);
    const first = a.save(exportItem(new ObjectPayload('logs', logsPayload(2) as never, 2)));
    const second = a.save(exportItem(new ObjectPayload('logs', logsPayload(3) as never, 3)));
    const third = a.save(exportItem(new ObjectPayload('logs', logsPayload(1) as never, 1)));
    a.remove(second);
    const loaded = new QueueStorage(dir, false, silentLogger).load();
    expect(loaded.map((l) => [l.file, l.item.records])).toEqual([
      [first, 2],
      [third, 1],
    ]);
  });

  it('sets an unreadable entry aside once, reporting it, and drops an unfinished write', () => {
    const dir = work();
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, '0000000000000007.logs.pb'), Buffer.from([0x0a, 0xff, 0xff, 0xff]));
    writeFileSync(path.join(dir, '0000000000000008.logs.pb.tmp'), 'half');
    const errors: string[] = [];
    const log: Logger = { ...silentLogger, error: (m: string) => errors.push(m), with: () => log };
    const s = new QueueStorage(dir, true, log);
    expect(s.load()).toEqual([]);
    expect(errors).toEqual(['a persisted queue entry cannot be read; set aside, not retried']);
    expect(readdirSync(dir).sort()).toEqual(['0000000000000007.logs.pb.corrupt']);
    expect(new QueueStorage(dir, true, log).load()).toEqual([]);
    expect(errors).toHaveLength(1);
    // New entries never reuse a number an earlier run gave out.
    expect(path.basename(s.save(exportItem(new ObjectPayload('logs', logsPayload(1) as never, 1))))).toBe('0000000000000008.logs.pb');
  });
});

describe('configuration', () => {
  const config = (storage: string, listed = true) =>
    `receivers: { otlp: { protocols: { http: } } }
extensions: { file_storage/q: { directory: ./missing, create_directory: true } }
exporters: { otlphttp: { endpoint: "http://127.0.0.1:1", sending_queue: { storage: ${storage} } } }
service: { extensions: [${listed ? 'file_storage/q' : ''}], pipelines: { logs: { receivers: [otlp], exporters: [otlphttp] } } }`;
  const problems = (text: string) => {
    try {
      parseConfigText(text, process.cwd());
      return [];
    } catch (err) {
      return (err as { problems: string[] }).problems;
    }
  };

  it('takes a listed file_storage extension, and says what is wrong otherwise', () => {
    expect(problems(config('file_storage/q'))).toEqual([]);
    expect(problems(config('file_storage/q', false))).toEqual(['exporters.otlphttp.sending_queue.storage: extension "file_storage/q" must also be listed in service.extensions']);
    expect(problems(config('file_storage/nope'))).toEqual(['exporters.otlphttp.sending_queue.storage: references extension "file_storage/nope", which is not configured under extensions']);
    expect(problems(config('file_storage/q').replace('create_directory: true', 'create_directory: false'))).toEqual([
      `extensions.file_storage/q.directory: no such directory: ${path.resolve('missing')} (create it, or set create_directory: true)`,
    ]);
  });
});

/** A service with a persistent queue in `dir`/queue, exporting to `sinkUrl` with retries for as long as the tests run. */
function queueConfig(dir: string, sinkUrl: string): string {
  const file = path.join(dir, 'config.yaml');
  writeFileSync(
    file,
    `
receivers:
  otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } }
extensions:
  file_storage: { directory: ./queue, create_directory: true }
exporters:
  otlphttp:
    endpoint: "${sinkUrl}"
    sending_queue: { num_consumers: 1, storage: file_storage }
    retry_on_failure: { initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 10m }
service:
  extensions: [file_storage]
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [otlp], exporters: [otlphttp] } }
`,
  );
  return file;
}

describe('a persistent queue across kill -9', () => {
  it('sends after the restart what was accepted before the crash', async () => {
    const dir = work();
    let up = false;
    const sink = await new OtlpSink({ answer: () => (up ? undefined : { httpStatus: 503, grpcCode: grpc.status.UNAVAILABLE }) }).start();
    cleanups.push(() => sink.stop());
    const configFile = queueConfig(dir, sink.httpUrl);
    const start = async (workers = 1): Promise<{ child: ChildProcess; base: string; stderr: () => string }> => {
      const { child, stderr, url } = await spawnCollector(configFile, {}, workers);
      cleanups.push(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      return { child, base: url('Starting HTTP server'), stderr };
    };

    const first = await start();
    for (let i = 0; i < 4; i++) expect((await postOtlp(first.base, 'logs', encodeRequest('logs', logsPayload(5), 'proto'))).status).toBe(200);
    const queueDir = path.join(dir, 'queue', 'exporter_otlphttp');
    expect(existsSync(queueDir)).toBe(true);
    expect(readdirSync(queueDir).filter((f) => f.endsWith('.pb'))).toHaveLength(4);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    expect(sink.recordsOf('logs')).toBe(0);

    up = true;
    const second = await start();
    await eventually(() => sink.recordsOf('logs') === 20, 15_000, 'the persisted records to arrive');
    expect(second.stderr()).toContain('Resuming the persisted sending queue');
    await eventually(() => readdirSync(queueDir).filter((f) => f.endsWith('.pb')).length === 0, 5000, 'the queue files to go');
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
  });

  it('a service on two workers killed with its queues full: one process started after it sends everything', async () => {
    const dir = work();
    let up = false;
    const sink = await new OtlpSink({ answer: () => (up ? undefined : { httpStatus: 503, grpcCode: grpc.status.UNAVAILABLE }) }).start();
    cleanups.push(() => sink.stop());
    const configFile = queueConfig(dir, sink.httpUrl);
    const two = await spawnCollector(configFile, {}, 2);
    const base = two.url('Starting HTTP server');
    // Separate connections: both workers take requests, each into its own queue directory.
    for (let i = 0; i < 12; i++) expect((await postOtlp(base, 'logs', encodeRequest('logs', logsPayload(5), 'proto'), { headers: { connection: 'close' } })).status).toBe(200);
    const queue = path.join(dir, 'queue');
    const entries = () => readdirSync(queue).flatMap((d) => readdirSync(path.join(queue, d)).filter((f) => f.endsWith('.pb')));
    expect(readdirSync(queue).sort()).toEqual(['exporter_otlphttp', 'exporter_otlphttp.worker-1']);
    expect(entries()).toHaveLength(12);
    // The whole tree at once, as an OOM kill of the pod would.
    for (const m of two.stderr().matchAll(/"pid":(\d+)/g)) process.kill(Number(m[1]), 'SIGKILL');
    two.child.kill('SIGKILL');
    await new Promise((resolve) => two.child.once('exit', resolve));

    up = true;
    const one = await spawnCollector(configFile, {}, 1);
    cleanups.push(() => {
      if (one.child.exitCode === null && one.child.signalCode === null) one.child.kill('SIGKILL');
    });
    await eventually(() => sink.recordsOf('logs') === 60, 15_000, 'every persisted record to arrive');
    expect(one.stderr()).toContain('Taking over the persisted queue of a worker that no longer runs');
    await eventually(() => entries().length === 0, 5000, 'the queue files to go');
    one.child.kill('SIGTERM');
    await new Promise((resolve) => one.child.once('exit', resolve));
  });
});
