/**
 * HttpPolicyProvider against an in-process PolicySyncServer and a server
 * that misbehaves on demand: delta reporting, change detection by hash, the
 * recommended interval, backoff, failures keeping the last good set,
 * recovery, the final report and bearer tokens. Loopback only.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PolicyEngine, PolicyRegistry } from '@otel-policy/core';
import { HttpPolicyProvider, PolicySyncServer, type HttpProviderOptions, type SyncTimers } from '@otel-policy/providers';
import { DEBUG_AND_BROKEN, FakeStats, FlakyHttpServer, RecordingListener, expectReportsThroughRegistry, logPolicies, waitFor, type Behaviour } from './helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function flaky(ids = ['a', 'b'], syncIntervalSecs = 60): Promise<FlakyHttpServer> {
  const s = new FlakyHttpServer(logPolicies(...ids), syncIntervalSecs);
  await s.start();
  cleanup.push(() => s.stop());
  return s;
}

function provider(options: HttpProviderOptions): HttpPolicyProvider {
  const p = new HttpPolicyProvider({ backoffBaseMs: 10_000, timeoutMs: 2000, shutdownTimeoutMs: 2000, ...options });
  cleanup.push(() => p.shutdown());
  return p;
}

const statsOf = (server: PolicySyncServer, id: string) => server.stats().policies.find((p) => p.policy_id === id);

describe('HttpPolicyProvider', () => {
  it.each(['application/json', 'application/x-protobuf'] as const)('syncs a policy set and sends client metadata (%s)', async (contentType) => {
    const server = await flaky(['a', 'b']);
    const listener = new RecordingListener();
    const p = provider({ url: server.url, contentType, clientMetadata: { serviceName: 'checkout', serviceNamespace: 'shop', serviceInstanceId: 'i-1', serviceVersion: '1.2.3' } });
    await p.start(listener);
    expect(listener.ids).toEqual(['a', 'b']);
    expect(listener.errors).toEqual([]);
    const req = server.requests[0];
    expect(req.fullSync).toBe(true);
    expect(req.clientMetadata?.resourceAttributes).toEqual([
      { key: 'service.name', value: { stringValue: 'checkout' } },
      { key: 'service.namespace', value: { stringValue: 'shop' } },
      { key: 'service.instance.id', value: { stringValue: 'i-1' } },
      { key: 'service.version', value: { stringValue: '1.2.3' } },
    ]);
    expect(req.clientMetadata?.supportedPolicyStages).toEqual(['POLICY_STAGE_LOG_FILTER', 'POLICY_STAGE_LOG_TRANSFORM', 'POLICY_STAGE_METRIC_FILTER', 'POLICY_STAGE_TRACE_SAMPLING']);
    await p.syncNow();
    expect(server.requests[1].fullSync).toBe(false);
    expect(server.requests[1].lastSuccessfulHash).toBe(server.logic.currentHash);
    expect(Number(server.requests[1].lastSyncTimestampUnixNano)).toBeGreaterThan(0);
  });

  it('reports hits and misses as deltas since the last successful report; a new epoch restarts from zero', async () => {
    const server = await flaky(['a', 'b']);
    const stats = new FakeStats();
    const p = provider({ url: server.url });
    p.setStatsSource(stats.source);
    stats.set('a', { hits: 5, misses: 1, redact: { hits: 4, misses: 1 } });
    await p.start(new RecordingListener());
    expect(server.requests[0].policyStatuses).toEqual([{ id: 'a', matchHits: '5', matchMisses: '1', redact: { hits: '4', misses: '1' } }]);

    stats.set('a', { hits: 8, misses: 1, redact: { hits: 6, misses: 1 } });
    stats.set('b', { hits: 2 });
    await p.syncNow();
    expect(server.requests[1].policyStatuses).toEqual([
      { id: 'a', matchHits: '3', redact: { hits: '2', misses: '0' } },
      { id: 'b', matchHits: '2' },
    ]);

    // Nothing new: nothing reported.
    await p.syncNow();
    expect(server.requests[2].policyStatuses ?? []).toEqual([]);

    // The policy changed: its counters restarted under a new epoch.
    stats.set('a', { statsEpoch: 2, hits: 2, misses: 0, redact: { hits: 0, misses: 0 } });
    await p.syncNow();
    expect(server.requests[3].policyStatuses).toEqual([{ id: 'a', matchHits: '2' }]);
    expect(statsOf(server.logic, 'a')).toMatchObject({ hits: 10, misses: 1, redact: { hits: 6, misses: 1 } });
    expect(statsOf(server.logic, 'b')).toMatchObject({ hits: 2, misses: 0 });
  });

  it('reports compile errors with every report (the server keeps each once)', async () => {
    // The server keeps reports for the policies it serves only.
    const server = await flaky(['a', 'bad']);
    const stats = new FakeStats();
    stats.set('bad', { errors: ['log: keep: invalid value "bogus"'] });
    const p = provider({ url: server.url });
    p.setStatsSource(stats.source);
    await p.start(new RecordingListener());
    await p.syncNow();
    expect(server.requests.map((r) => r.policyStatuses)).toEqual([[{ id: 'bad', errors: ['log: keep: invalid value "bogus"'] }], [{ id: 'bad', errors: ['log: keep: invalid value "bogus"'] }]]);
    expect(statsOf(server.logic, 'bad')).toEqual({ policy_id: 'bad', hits: 0, misses: 0, errors: ['log: keep: invalid value "bogus"'] });
  });

  it('a failed report is not lost: the next successful one carries its deltas', async () => {
    const server = await flaky(['a']);
    const stats = new FakeStats();
    const p = provider({ url: server.url });
    p.setStatsSource(stats.source);
    await p.start(new RecordingListener());
    stats.set('a', { hits: 3 });
    server.behaviour = 'status500';
    expect((await p.syncNow()).ok).toBe(false);
    stats.set('a', { hits: 7 });
    server.behaviour = 'ok';
    expect((await p.syncNow()).ok).toBe(true);
    expect(server.requests.at(-1)!.policyStatuses).toEqual([{ id: 'a', matchHits: '7' }]);
    expect(statsOf(server.logic, 'a')?.hits).toBe(7);
  });

  it('does not re-deliver an unchanged set (same hash); delivers a changed one', async () => {
    const server = await flaky(['a']);
    const listener = new RecordingListener();
    const p = provider({ url: server.url });
    await p.start(listener);
    expect((await p.syncNow()).delivered).toBe(false);
    expect((await p.syncNow()).delivered).toBe(false);
    expect(listener.sets.length).toBe(1);
    server.logic.setPolicies(logPolicies('a', 'c'));
    expect((await p.syncNow()).delivered).toBe(true);
    expect(listener.ids).toEqual(['a', 'c']);
    expect(listener.sets.length).toBe(2);
  });

  it("honours the server's recommended sync interval, and polls on it", async () => {
    const server = await flaky(['a'], 7);
    const delays: number[] = [];
    const timers: SyncTimers = {
      setTimeout: (fn, ms) => {
        delays.push(ms);
        return setTimeout(fn, 1_000_000).unref();
      },
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    };
    const p = provider({ url: server.url, pollIntervalSecs: 1, timers });
    await p.start(new RecordingListener());
    expect(p.nextDelayMs).toBe(7000);
    expect(delays).toContain(7000);

    // Real timers: a 1 s recommendation makes the provider poll by itself.
    const fast = await flaky(['a'], 1);
    const q = provider({ url: fast.url, pollIntervalSecs: 3600 });
    await q.start(new RecordingListener());
    await waitFor(() => fast.requests.length >= 3, 10_000, 'periodic syncs');
  });

  it('waits the longest a timer can for a recommended interval beyond it, instead of polling at once', async () => {
    // 4,000,000 s is a valid uint32 but past the 2^31 - 1 ms a timer can wait: timers then fire at once.
    const server = await flaky(['a'], 4_000_000);
    const p = provider({ url: server.url });
    await p.start(new RecordingListener());
    expect(p.nextDelayMs).toBe(2 ** 31 - 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.requests.length).toBe(1);
    await p.shutdown();
  });

  it('backs off exponentially with jitter, bounded, and resets after a success', async () => {
    const server = await flaky(['a']);
    server.behaviour = 'status500';
    const run = async (random: number) => {
      const p = provider({ url: server.url, backoffBaseMs: 100, backoffMaxMs: 1000, random: () => random });
      await p.start(new RecordingListener());
      const delays = [p.nextDelayMs!];
      for (let i = 0; i < 7; i++) {
        await p.syncNow();
        delays.push(p.nextDelayMs!);
      }
      await p.shutdown();
      return delays;
    };
    expect(await run(0)).toEqual([50, 100, 200, 400, 500, 500, 500, 500]);
    expect(await run(1)).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
    const mid = await run(0.5);
    expect(mid).toEqual([75, 150, 300, 600, 750, 750, 750, 750]);

    // Unseeded jitter stays within [d/2, d] and the cap.
    const p = provider({ url: server.url, backoffBaseMs: 100, backoffMaxMs: 1000 });
    for (let n = 1; n <= 40; n++) {
      const d = p.backoffDelay(n);
      const cap = Math.min(1000, 100 * 2 ** (n - 1));
      expect(d).toBeGreaterThanOrEqual(cap / 2);
      expect(d).toBeLessThanOrEqual(cap);
    }

    // A success resets the failure count and returns to the normal interval.
    const q = provider({ url: server.url, backoffBaseMs: 100, random: () => 1, pollIntervalSecs: 30 });
    await q.start(new RecordingListener());
    await q.syncNow();
    expect(q.failures).toBe(2);
    server.behaviour = 'ok';
    await q.syncNow();
    expect(q.failures).toBe(0);
    expect(q.nextDelayMs).toBe(60_000);

    // Real timers: retries happen on their own.
    server.behaviour = 'status500';
    const r = provider({ url: server.url, backoffBaseMs: 20, backoffMaxMs: 50 });
    await r.start(new RecordingListener());
    await waitFor(() => r.failures >= 4, 10_000, 'retries');
  });

  it.each<[Behaviour, RegExp]>([
    ['status500', /HTTP 500/],
    ['garbage', /bad sync response/],
    ['garbageProto', /bad sync response/],
    ['badContentType', /unsupported sync response Content-Type/],
    ['errorMessage', /database on fire/],
    ['slow', /timed out/],
  ])('keeps the last good set when the server answers %s, and recovers', async (behaviour, message) => {
    const server = await flaky(['a']);
    const engine = new PolicyEngine();
    const errors: Error[] = [];
    const p = provider({ url: server.url, timeoutMs: 300 });
    const registry = new PolicyRegistry(engine, [p], {}, (_id, err) => errors.push(err));
    await registry.start();
    expect(engine.stats().map((s) => s.policyId)).toEqual(['a']);
    server.behaviour = behaviour;
    server.logic.setPolicies(logPolicies('x'));
    const r = await p.syncNow();
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(message);
    expect(errors.at(-1)?.message).toMatch(message);
    await registry.settled();
    expect(engine.stats().map((s) => s.policyId)).toEqual(['a']);
    server.behaviour = 'ok';
    expect((await p.syncNow()).delivered).toBe(true);
    await registry.settled();
    expect(engine.stats().map((s) => s.policyId)).toEqual(['x']);
  });

  it('keeps the last good set while the server is down, and picks up the new set when it is back', async () => {
    const server = await flaky(['a']);
    const listener = new RecordingListener();
    const p = provider({ url: server.url });
    await p.start(listener);
    const port = server.port;
    await server.stop();
    const down = await p.syncNow();
    expect(down.ok).toBe(false);
    expect(down.error?.message).toMatch(/failed/);
    expect(listener.ids).toEqual(['a']);
    expect(listener.sets.length).toBe(1);
    const again = new FlakyHttpServer(logPolicies('b'));
    await again.start(port);
    cleanup.push(() => again.stop());
    expect((await p.syncNow()).delivered).toBe(true);
    expect(listener.ids).toEqual(['b']);
  });

  it('start() resolves after a failed first attempt and delivers nothing', async () => {
    const server = await flaky(['a']);
    server.behaviour = 'status500';
    const listener = new RecordingListener();
    const p = provider({ url: server.url });
    await p.start(listener);
    expect(listener.sets).toEqual([]);
    expect(listener.errors.length).toBe(1);
    expect(p.syncs).toBe(0);
  });

  it('sends a final report on shutdown and stops syncing', async () => {
    const server = await flaky(['a']);
    const stats = new FakeStats();
    const p = provider({ url: server.url, pollIntervalSecs: 3600 });
    p.setStatsSource(stats.source);
    await p.start(new RecordingListener());
    stats.set('a', { hits: 4, misses: 2 });
    await p.shutdown();
    expect(server.requests.length).toBe(2);
    expect(server.requests[1].policyStatuses).toEqual([{ id: 'a', matchHits: '4', matchMisses: '2' }]);
    expect(p.nextDelayMs).toBeUndefined();
    expect((await p.syncNow()).ok).toBe(false);
    expect(server.requests.length).toBe(2);
    await p.shutdown();
  });

  it('bounds the final report by shutdownTimeoutMs', async () => {
    const server = await flaky(['a']);
    const listener = new RecordingListener();
    const p = provider({ url: server.url, timeoutMs: 60_000, shutdownTimeoutMs: 200 });
    await p.start(listener);
    server.behaviour = 'slow';
    const t0 = Date.now();
    await p.shutdown();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(listener.errors.at(-1)?.message).toMatch(/final report .* timed out/);
  });

  it('reports through a registry: the final report carries the last hits and errors', async () => {
    const server = new PolicySyncServer({ policies: DEBUG_AND_BROKEN });
    await server.start();
    cleanup.push(() => server.stop());
    await expectReportsThroughRegistry(server, provider({ url: `http://127.0.0.1:${server.httpPort}/v1/policy/sync` }));
  });

  it('sends a bearer token; a server with a token refuses requests without it (401)', async () => {
    const server = new PolicySyncServer({ policies: logPolicies('a'), token: 's3cret' });
    await server.start();
    cleanup.push(() => server.stop());
    const url = `http://127.0.0.1:${server.httpPort}/v1/policy/sync`;
    const anonymous = new RecordingListener();
    await provider({ url }).start(anonymous);
    expect(anonymous.sets).toEqual([]);
    expect(anonymous.errors[0].message).toMatch(/HTTP 401/);
    const wrong = new RecordingListener();
    await provider({ url, bearerToken: 'nope' }).start(wrong);
    expect(wrong.errors[0].message).toMatch(/HTTP 401/);
    const good = new RecordingListener();
    await provider({ url, bearerToken: 's3cret' }).start(good);
    expect(good.ids).toEqual(['a']);
    const viaHeader = new RecordingListener();
    await provider({ url, headers: { authorization: 'Bearer s3cret' } }).start(viaHeader);
    expect(viaHeader.ids).toEqual(['a']);
    expect((await fetch(`http://127.0.0.1:${server.httpPort}/stats`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${server.httpPort}/stats`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
  });
});

describe('HttpPolicyProvider: last-known-good cache (cachePath)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const cacheFile = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-cache-'));
    dirs.push(dir);
    return path.join(dir, 'nested', 'policies.cache.json');
  };

  it('without a cache path, or before the cache is written, loadSync has nothing and reports nothing', async () => {
    const server = await flaky(['a']);
    expect(provider({ url: server.url }).loadSync()).toBeUndefined();
    const p = provider({ url: server.url, cachePath: cacheFile(), finalReport: false });
    expect(p.loadSync()).toBeUndefined();
    const listener = new RecordingListener();
    await p.start(listener);
    expect(listener.errors).toEqual([]);
    expect(listener.ids).toEqual(['a']);
  });

  it('writes each new set atomically and a restart reads it synchronously, even with the server down', async () => {
    const server = await flaky(['a', 'b']);
    const file = cacheFile();
    const first = provider({ url: server.url, cachePath: file, finalReport: false });
    await first.start(new RecordingListener());
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ format: 'otel-policy-sync-cache/v1', key: `hash:${server.logic.currentHash}` });
    server.logic.setPolicies(logPolicies('c'));
    await first.syncNow();
    // Only the cache itself: no temporary file left behind.
    expect(readdirSync(path.dirname(file))).toEqual([path.basename(file)]);

    // Same server, same policies: the cached set is not delivered again, but the first request still asks for everything.
    const again = provider({ url: server.url, cachePath: file, finalReport: false });
    expect(again.loadSync()?.policies.map((p) => p.id)).toEqual(['c']);
    const listener = new RecordingListener();
    await again.start(listener);
    expect(listener.sets).toEqual([]);
    expect(server.requests.at(-1)?.fullSync).toBe(true);

    // The server is down: the cache still gives the policies; the failed sync is reported.
    const url = server.url;
    await server.stop();
    const restarted = provider({ url, cachePath: file, finalReport: false });
    const set = restarted.loadSync();
    expect(set?.policies.map((p) => p.id)).toEqual(['c']);
    const engine = new PolicyEngine();
    const registry = new PolicyRegistry(engine, [restarted]);
    const started = registry.start();
    expect(registry.hasFirstSet).toBe(true);
    await started;
  });

  it('a corrupt cache is reported once, at start, and ignored', async () => {
    const server = await flaky(['a']);
    const file = cacheFile();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '{"format":"otel-policy-sync-cache/v1","key":"hash:x","policies":[{"id"');
    const p = provider({ url: server.url, cachePath: file, finalReport: false });
    expect(p.loadSync()).toBeUndefined();
    const listener = new RecordingListener();
    await p.start(listener);
    expect(listener.errors.map((e) => e.message)).toEqual([expect.stringContaining(`ignoring the corrupt policy cache ${file}`)]);
    expect(listener.ids).toEqual(['a']);
    // Rewritten with the good set.
    expect(
      provider({ url: server.url, cachePath: file })
        .loadSync()
        ?.policies.map((x) => x.id),
    ).toEqual(['a']);
  });

  it('a cache that cannot be written is reported once; the policies are still delivered', async () => {
    const server = await flaky(['a']);
    const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-cache-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'file'), 'x');
    const p = provider({ url: server.url, cachePath: path.join(dir, 'file', 'cache.json'), finalReport: false });
    const listener = new RecordingListener();
    await p.start(listener);
    server.logic.setPolicies(logPolicies('b'));
    await p.syncNow();
    expect(listener.ids).toEqual(['b']);
    expect(listener.errors.length).toBe(1);
    expect(listener.errors[0].message).toContain('cannot write the policy cache');
    expect(p.cacheWriteFailures).toBe(2);
  });
});
