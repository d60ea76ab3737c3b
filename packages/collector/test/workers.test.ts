/**
 * The service on several workers (`otel-policy collector --workers 2`), as
 * a real process tree over real sockets: the workers share the ports and
 * apply the same policies; a policy update reaches every worker; the
 * self-metrics page and the sync report add up what all workers did; a
 * worker that is killed is replaced while the other keeps answering, and
 * nothing a producer was told was accepted is lost; SIGTERM drains them all.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicyText } from '@otel-policy/core';
import { encodeRequest, OtlpSink } from '@otel-policy/collector';
import { PolicySyncServer } from '@otel-policy/providers';
import { CLI_BIN, eventually, logsPayload, parseProm, sleep, spawnCollector, tempDir, writeFile, type SpawnedCollector } from './support.js';

const drop = (body: string) => JSON.stringify({ policies: [{ id: 'drop', name: 'drop', log: { match: [{ log_field: 'body', exact: body }], keep: 'none' } }] });

let sink: OtlpSink;
let running: SpawnedCollector | undefined;
beforeAll(async () => {
  sink = await new OtlpSink().start();
});
afterAll(async () => {
  await sink.stop();
});
afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill('SIGKILL');
    await new Promise((r) => running!.child.once('exit', r));
  }
  running = undefined;
});

function config(dir: string, provider: string): string {
  return writeFile(
    dir,
    'config.yaml',
    `
receivers:
  otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } }
processors:
  policy: { providers: [ ${provider} ] }
exporters:
  otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false }, retry_on_failure: { enabled: false } }
service:
  telemetry: { metrics: { level: basic, address: "127.0.0.1:0" } }
  pipelines:
    logs: { receivers: [otlp], processors: [policy], exporters: [otlphttp] }
`,
  );
}

/** Records of `n` requests of two records ("a" and "b"), over 8 keep-alive connections; resolves with the statuses. */
async function send(url: string, n: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const body = Buffer.from(encodeRequest('logs', logsPayload(2, { body: (i) => (i === 0 ? 'a' : 'b') }), 'proto'));
  // 0 for a request cut short (its connection reset, or no answer within 10 s).
  const one = () =>
    new Promise<number>((resolve) => {
      const req = http.request(`${url}/v1/logs`, { method: 'POST', agent, timeout: 10_000, headers: { 'content-type': 'application/x-protobuf' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.complete ? (res.statusCode ?? 0) : 0));
        res.on('error', () => resolve(0));
        res.on('close', () => resolve(res.complete ? (res.statusCode ?? 0) : 0));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(0));
      req.on('close', () => resolve(0));
      req.end(body);
    });
  const statuses: number[] = [];
  for (let i = 0; i < n; i += 8) statuses.push(...(await Promise.all(Array.from({ length: Math.min(8, n - i) }, one))));
  agent.destroy();
  return statuses;
}

const bodies = (): string[] =>
  (sink.received('logs') as { resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string } }[] }[] }[] }).resourceLogs.flatMap((r) =>
    r.scopeLogs.flatMap((s) => s.logRecords.map((l) => l.body.stringValue)),
  );
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const workerPids = (stderr: string): number[] => [...stderr.matchAll(/worker started\t(\{.*\})/g)].map((m) => (JSON.parse(m[1]) as { pid: number }).pid);

describe('otel-policy collector --workers 2', () => {
  it('shares the port, applies the policies in every worker, reloads them together and merges /metrics', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const policies = writeFile(dir, 'policies.json', drop('a'));
      running = await spawnCollector(config(dir, `{ type: file, id: f, path: ${policies}, poll_interval_secs: 1 }`), {}, 2);
      const c = running;
      expect(workerPids(c.stderr())).toHaveLength(2);
      expect(c.stderr().match(/Everything is ready/g)!.length).toBe(3); // each worker, then the service
      sink.requests.length = 0;
      expect(await send(c.url('Starting HTTP server'), 40)).toEqual(Array(40).fill(200));
      expect(bodies()).toEqual(Array(40).fill('b'));
      // Both workers served: each reports its own requests in the merged page.
      const page = parseProm(await (await fetch(`${c.url('Serving metrics')}/metrics`)).text());
      expect(page.get('processor_policy_records{telemetry_type="logs",result="dropped"}')).toBe(40);
      expect(page.get('processor_policy_hits{policy_id="drop"}')).toBe(40);
      expect(page.get('processor_policy_policies{state="active"}')).toBe(1);
      // A new set reaches every worker: not one "b" gets through any of them.
      writeFile(dir, 'policies.json', drop('b'));
      await eventually(() => (c.stderr().match(/policies received/g)?.length ?? 0) >= 6, 10_000, 'the update in the primary and both workers');
      sink.requests.length = 0;
      expect(await send(c.url('Starting HTTP server'), 40)).toEqual(Array(40).fill(200));
      expect(bodies()).toEqual(Array(40).fill('a'));
    } finally {
      cleanup();
    }
  });

  it('sends one sync report with the stats of every worker added up', async () => {
    const server = new PolicySyncServer({ policies: parsePolicyText(drop('a')), syncIntervalSecs: 1, httpPort: 0 });
    await server.start();
    const { dir, cleanup } = tempDir();
    try {
      running = await spawnCollector(config(dir, `{ type: http, id: central, url: "http://127.0.0.1:${server.httpPort}/v1/policy/sync", poll_interval_secs: 1 }`), {}, 2);
      expect(await send(running.url('Starting HTTP server'), 48)).toEqual(Array(48).fill(200));
      await eventually(() => server.stats().policies.find((p) => p.policy_id === 'drop')?.hits === 48, 15_000, 'the merged hits at the sync server');
      // One client syncing for the service, not one per worker: it keeps polling once a second.
      const before = server.stats().sync_requests;
      await sleep(2500);
      expect(server.stats().sync_requests - before).toBeLessThanOrEqual(4);
    } finally {
      cleanup();
      await server.stop();
    }
  });

  it('replaces a killed worker; the other keeps answering and every accepted record is delivered', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const policies = writeFile(dir, 'policies.json', drop('none'));
      running = await spawnCollector(config(dir, `{ type: file, id: f, path: ${policies} }`), {}, 2);
      const c = running;
      const url = c.url('Starting HTTP server');
      sink.requests.length = 0;
      const [victim] = workerPids(c.stderr());
      const during = send(url, 200);
      await sleep(30);
      process.kill(victim, 'SIGKILL');
      const statuses = await during;
      const accepted = statuses.filter((s) => s === 200).length;
      expect(accepted).toBeGreaterThan(100);
      // Only a request the killed worker held can fail (a reset connection, never an error answer) ...
      const cut = statuses.filter((s) => s === 0).length;
      expect(accepted + cut).toBe(200);
      // ... and every accepted record was delivered; a cut request may have been (the producer retries it: at least once).
      expect(bodies().length).toBeGreaterThanOrEqual(accepted * 2);
      expect(bodies().length).toBeLessThanOrEqual(200 * 2);
      await eventually(() => workerPids(c.stderr()).length === 3 && /worker replaced/.test(c.stderr()), 15_000, 'a replacement worker');
      expect(c.stderr()).toMatch(/worker exited unexpectedly; replacing it/);
      sink.requests.length = 0;
      expect(await send(url, 40)).toEqual(Array(40).fill(200));
      expect(bodies()).toHaveLength(80);
    } finally {
      cleanup();
    }
  });

  it('a replacement worker runs the configuration the service started with, not the file as edited since', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const policies = writeFile(dir, 'policies.json', drop('a'));
      const file = config(dir, `{ type: file, id: f, path: ${policies} }`);
      running = await spawnCollector(file, {}, 2);
      const c = running;
      // The file now says: no policy processor at all.
      writeFile(dir, 'config.yaml', readFileSync(file, 'utf8').replace('processors: [policy]', 'processors: []'));
      // One at a time (with port 0, the port lives as long as one worker holds it).
      for (const [i, pid] of workerPids(c.stderr()).entries()) {
        process.kill(pid, 'SIGKILL');
        await eventually(() => (c.stderr().match(/worker replaced/g)?.length ?? 0) === i + 1, 20_000, 'the worker replaced');
      }
      sink.requests.length = 0;
      expect(await send(c.url('Starting HTTP server'), 24)).toEqual(Array(24).fill(200));
      expect(bodies()).toEqual(Array(24).fill('b'));
    } finally {
      cleanup();
    }
  });

  it('exits 1 with the reason when it cannot start, leaving nothing running', async () => {
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const { dir, cleanup } = tempDir();
    try {
      const file = writeFile(
        dir,
        'config.yaml',
        `receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }\nexporters: { debug: }\nextensions: { health_check: { endpoint: "127.0.0.1:${port}" } }\nservice: { extensions: [health_check], telemetry: { metrics: { level: none } }, pipelines: { logs: { receivers: [otlp], exporters: [debug] } } }\n`,
      );
      const child = spawn(process.execPath, [CLI_BIN, 'collector', '--config', file, '--workers', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise((r) => child.once('exit', r));
      expect(code).toBe(1);
      expect(stderr).toContain(`cannot start: cannot listen on 127.0.0.1:${port} for the extension "health_check": address already in use`);
    } finally {
      blocker.close();
      cleanup();
    }
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const policies = writeFile(dir, 'policies.json', drop('none'));
      running = await spawnCollector(config(dir, `{ type: file, id: f, path: ${policies} }`), {}, 2);
      const c = running;
      expect(await send(c.url('Starting HTTP server'), 16)).toEqual(Array(16).fill(200));
      const pids = workerPids(c.stderr());
      c.child.kill('SIGTERM');
      const code = await new Promise((r) => c.child.once('exit', r));
      expect(code).toBe(0);
      expect(c.stderr().match(/Shutdown complete/g)!.length).toBe(3);
      for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      cleanup();
    }
  });

  it('a second signal makes every worker exit at once, reporting what it drops', async () => {
    const failing = await new OtlpSink({ answer: () => ({ httpStatus: 503, grpcCode: 14 }) }).start();
    const { dir, cleanup } = tempDir();
    try {
      const file = writeFile(
        dir,
        'config.yaml',
        `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
exporters:
  otlphttp: { endpoint: "${failing.httpUrl}", sending_queue: { num_consumers: 1 }, retry_on_failure: { initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 10m } }
service:
  shutdown_timeout: 1m
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [otlp], exporters: [otlphttp] } }
`,
      );
      running = await spawnCollector(file, {}, 2);
      const c = running;
      expect(await send(c.url('Starting HTTP server'), 16)).toEqual(Array(16).fill(200));
      const pids = workerPids(c.stderr());
      c.child.kill('SIGTERM');
      await eventually(() => c.stderr().includes('Draining sending queues'), 10_000, 'the drain to start');
      c.child.kill('SIGTERM');
      const code = await new Promise((r) => c.child.once('exit', r));
      expect(code).toBe(1);
      await eventually(() => pids.every((pid) => !alive(pid)), 5000, 'the workers to exit');
      const dropped = [...c.stderr().matchAll(/Dropped data: exiting without draining\t(\{.*\})/g)].map((m) => (JSON.parse(m[1]) as { dropped_items: number }).dropped_items);
      expect(dropped.reduce((a, b) => a + b, 0)).toBe(32);
    } finally {
      cleanup();
      await failing.stop();
    }
  });
});
