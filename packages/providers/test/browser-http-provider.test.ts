/**
 * The browser entry's HttpPolicyProvider (src/browser.ts: proto3 JSON with
 * the global fetch, no schema) against this package's PolicySyncServer over
 * HTTP on loopback: it delivers the served set, reports counters and
 * compile errors the server accumulates, follows a change, keeps the last
 * good set on every kind of server failure (a binary protobuf answer
 * included: it reads JSON only), detects changes without a server hash, and
 * keeps no cache.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeSyncResponseJson, PolicySyncServer, policySetToProto } from '@otel-policy/providers';
import { HttpPolicyProvider, SyncPolicyProvider, type HttpProviderOptions } from '../src/browser.js';
import { DEBUG_AND_BROKEN, FakeStats, FlakyHttpServer, RecordingListener, expectReportsThroughRegistry, logPolicies, waitFor, type Behaviour } from './helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function serve(ids = ['a', 'b'], syncIntervalSecs = 60): Promise<{ server: PolicySyncServer; url: string }> {
  const server = new PolicySyncServer({ policies: logPolicies(...ids), syncIntervalSecs });
  await server.start();
  cleanup.push(() => server.stop());
  return { server, url: `http://127.0.0.1:${server.httpPort}/v1/policy/sync` };
}

async function flaky(ids = ['a']): Promise<FlakyHttpServer> {
  const s = new FlakyHttpServer(logPolicies(...ids));
  await s.start();
  cleanup.push(() => s.stop());
  return s;
}

function provider(options: HttpProviderOptions): HttpPolicyProvider {
  const p = new HttpPolicyProvider({ backoffBaseMs: 10_000, timeoutMs: 2000, shutdownTimeoutMs: 2000, ...options });
  cleanup.push(() => p.shutdown());
  return p;
}

/** The global fetch, recording what each request sent. */
function recordingFetch(): { fetch: typeof fetch; sent: { headers: Record<string, string>; body: unknown }[] } {
  const sent: { headers: Record<string, string>; body: unknown }[] = [];
  return {
    sent,
    fetch: (url, init) => {
      sent.push({ headers: init?.headers as Record<string, string>, body: init?.body });
      return fetch(url, init);
    },
  };
}

describe('HttpPolicyProvider (browser entry) against a PolicySyncServer', () => {
  it('delivers the served set; its requests are proto3 JSON text, and it accepts JSON only', async () => {
    const { server, url } = await serve(['a', 'b'], 15);
    const rec = recordingFetch();
    const listener = new RecordingListener();
    const p = provider({ url, fetch: rec.fetch, clientMetadata: { serviceName: 'web-shop', labels: { tab: '1' } } });
    expect(p).toBeInstanceOf(SyncPolicyProvider);
    await p.start(listener);
    expect(listener.errors).toEqual([]);
    expect(listener.ids).toEqual(['a', 'b']);
    expect(rec.sent[0].headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json' });
    expect(typeof rec.sent[0].body).toBe('string');
    expect(JSON.parse(rec.sent[0].body as string)).toMatchObject({
      fullSync: true,
      clientMetadata: { resourceAttributes: [{ key: 'service.name', value: { stringValue: 'web-shop' } }], labels: [{ key: 'tab', value: { stringValue: '1' } }] },
    });
    // The server's recommended interval is taken.
    expect(p.nextDelayMs).toBe(15_000);
    await p.syncNow();
    const second = JSON.parse(rec.sent[1].body as string);
    expect(second).toMatchObject({ fullSync: false, lastSuccessfulHash: server.currentHash });
    expect(Number(second.lastSyncTimestampUnixNano)).toBeGreaterThan(0);
    expect(server.stats().sync_requests).toBe(2);
  });

  it('reports counters as deltas and compile errors; the server accumulates them', async () => {
    const { server, url } = await serve(['a', 'b']);
    const stats = new FakeStats();
    const p = provider({ url });
    p.setStatsSource(stats.source);
    stats.set('a', { hits: 5, misses: 1 });
    await p.start(new RecordingListener());
    stats.set('a', { hits: 8, misses: 2, errors: ['bad regex'] });
    stats.set('b', { hits: 2, redact: { hits: 2, misses: 0 } });
    await p.syncNow();
    await p.syncNow();
    const byId = Object.fromEntries(server.stats().policies.map((s) => [s.policy_id, s]));
    expect(byId.a).toMatchObject({ hits: 8, misses: 2, errors: ['bad regex'] });
    expect(byId.b).toMatchObject({ hits: 2 });
  });

  it("reports through a registry: the final report carries the engine's hits and compile errors", async () => {
    const { server, url } = await serve();
    server.setPolicies(DEBUG_AND_BROKEN);
    await expectReportsThroughRegistry(server, provider({ url }));
  });

  it('follows a change on the server; an unchanged set is not delivered again', async () => {
    const { server, url } = await serve(['a']);
    const listener = new RecordingListener();
    const p = provider({ url });
    await p.start(listener);
    expect((await p.syncNow()).delivered).toBe(false);
    server.setPolicies(logPolicies('c', 'd'));
    const r = await p.syncNow();
    expect(r).toMatchObject({ ok: true, delivered: true });
    expect(listener.ids).toEqual(['c', 'd']);
    expect(listener.sets.length).toBe(2);
  });

  it.each<[Behaviour, RegExp]>([
    ['status500', /^sync request to http:\/\/127\.0\.0\.1:\d+\/v1\/policy\/sync failed: HTTP 500: boom$/],
    ['garbage', /^bad sync response from .*: cannot decode SyncResponse \(JSON\): Unexpected token/],
    ['garbageProto', /^unsupported sync response Content-Type "application\/x-protobuf" from .*: this client reads application\/json$/],
    ['badContentType', /^unsupported sync response Content-Type "text\/html" from /],
    ['errorMessage', /^sync server reported an error: database on fire$/],
    ['slow', /^sync timed out after 300 ms$/],
  ])('keeps the last good set when the server answers %s, and recovers', async (behaviour, message) => {
    const server = await flaky(['a']);
    const listener = new RecordingListener();
    const p = provider({ url: server.url, timeoutMs: 300 });
    await p.start(listener);
    expect(listener.ids).toEqual(['a']);
    server.behaviour = behaviour;
    server.logic.setPolicies(logPolicies('x'));
    const r = await p.syncNow();
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(message);
    expect(listener.errors.at(-1)?.message).toMatch(message);
    expect(listener.ids).toEqual(['a']);
    expect(listener.sets.length).toBe(1);
    server.behaviour = 'ok';
    expect((await p.syncNow()).delivered).toBe(true);
    expect(listener.ids).toEqual(['x']);
  });

  it('keeps the last good set while the server is down', async () => {
    const { server, url } = await serve(['a']);
    const listener = new RecordingListener();
    const p = provider({ url });
    await p.start(listener);
    await server.stop();
    const down = await p.syncNow();
    expect(down.ok).toBe(false);
    expect(down.error?.message).toMatch(/^sync request to .* failed/);
    expect(listener.ids).toEqual(['a']);
    expect(p.failures).toBe(1);
  });

  it('refuses an answer larger than maxResponseBytes, keeping the last good set', async () => {
    const { server, url } = await serve(['a']);
    const listener = new RecordingListener();
    const p = provider({ url, maxResponseBytes: 100_000 });
    await p.start(listener);
    server.setPolicies(logPolicies(...Array.from({ length: 2000 }, (_, i) => `policy-${i}`)));
    const r = await p.syncNow();
    expect(r.error?.message).toMatch(/^cannot read the sync response from .*: response (of \d+ bytes )?exceeds/);
    expect(listener.ids).toEqual(['a']);
  });

  it('without a server hash, delivers a set when its policies change (a local digest), not again when they do not', async () => {
    let policies = policySetToProto(logPolicies('a'));
    const stub: typeof fetch = async () => new Response(encodeSyncResponseJson({ policies }), { headers: { 'content-type': 'application/json' } });
    const listener = new RecordingListener();
    const p = provider({ url: 'http://sync.invalid/v1/policy/sync', fetch: stub });
    await p.start(listener);
    await p.syncNow();
    expect(listener.sets.length).toBe(1);
    policies = policySetToProto(logPolicies('a', 'b'));
    await p.syncNow();
    await p.syncNow();
    expect(listener.sets.map((s) => s.policies.map((x) => x.id))).toEqual([['a'], ['a', 'b']]);
  });

  it('keeps no cache: a cachePath (typed against the Node entry) writes nothing, and loadSync has nothing', async () => {
    const { url } = await serve(['a']);
    const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-browser-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'cache.json');
    const p = provider({ url, cachePath: file } as HttpProviderOptions);
    expect(p.loadSync()).toBeUndefined();
    const listener = new RecordingListener();
    await p.start(listener);
    expect(listener.ids).toEqual(['a']);
    await waitFor(() => p.syncs === 1);
    expect(existsSync(file)).toBe(false);
    expect(listener.errors).toEqual([]);
  });

  describe('cacheKey: the last set in localStorage', () => {
    /** localStorage as a page has it, or one that throws (storage disabled, or full). */
    function stubStorage(fail: { read?: string; write?: string } = {}): Map<string, string> {
      const items = new Map<string, string>();
      vi.stubGlobal('localStorage', {
        getItem: (k: string) => {
          if (fail.read) throw new Error(fail.read);
          return items.get(k) ?? null;
        },
        setItem: (k: string, v: string) => {
          if (fail.write) throw new Error(fail.write);
          items.set(k, v);
        },
      });
      cleanup.push(async () => vi.unstubAllGlobals());
      return items;
    }

    it('a page loaded again starts with the last set, before any sync and with the server down', async () => {
      const items = stubStorage();
      const { server, url } = await serve(['a', 'b']);
      const first = provider({ url, cacheKey: 'otel-policy' });
      expect(first.loadSync()).toBeUndefined();
      await first.start(new RecordingListener());
      await waitFor(() => items.has('otel-policy'));
      await first.shutdown();
      await server.stop();
      const again = provider({ url, cacheKey: 'otel-policy' });
      expect(again.loadSync()?.policies.map((p) => p.id)).toEqual(['a', 'b']);
      const listener = new RecordingListener();
      await again.start(listener);
      // The server is down: the cached set stays, and is not delivered twice.
      expect(listener.sets).toEqual([]);
      expect(listener.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^sync request to .* failed/)]);
    });

    it('a corrupt entry is reported once and ignored', async () => {
      const items = stubStorage();
      items.set('k', '{"format": "something else"}');
      const { url } = await serve(['a']);
      const p = provider({ url, cacheKey: 'k' });
      expect(p.loadSync()).toBeUndefined();
      const listener = new RecordingListener();
      await p.start(listener);
      expect(listener.ids).toEqual(['a']);
      expect(listener.errors.map((e) => e.message)).toEqual(['ignoring the corrupt policy cache localStorage["k"]: not a otel-policy-sync-cache/v1 file']);
    });

    it('storage that cannot be read or written is reported once; the policies still apply', async () => {
      stubStorage({ read: 'SecurityError: storage is disabled', write: 'QuotaExceededError: storage is full' });
      const { url } = await serve(['a']);
      const p = provider({ url, cacheKey: 'k' });
      expect(p.loadSync()).toBeUndefined();
      const listener = new RecordingListener();
      await p.start(listener);
      expect(listener.ids).toEqual(['a']);
      expect(listener.errors.map((e) => e.message)).toEqual([
        'cannot read the policy cache localStorage["k"]: SecurityError: storage is disabled',
        'cannot write the policy cache localStorage["k"]: QuotaExceededError: storage is full',
      ]);
    });
  });

  it('ignores a protobuf contentType: requests stay JSON', async () => {
    const { url } = await serve(['a']);
    const rec = recordingFetch();
    const listener = new RecordingListener();
    const p = provider({ url, fetch: rec.fetch, contentType: 'application/x-protobuf' } as unknown as HttpProviderOptions);
    await p.start(listener);
    expect(listener.ids).toEqual(['a']);
    expect(rec.sent[0].headers['content-type']).toBe('application/json');
  });

  it('refuses a malformed URL at construction', () => {
    expect(() => new HttpPolicyProvider({ url: 'not a url' })).toThrow(TypeError);
  });
});
