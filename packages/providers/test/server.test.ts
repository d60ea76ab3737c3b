/**
 * PolicySyncServer over HTTP: encodings, errors, /stats accumulation,
 * /shutdown, and serving a watched policy file.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decodeSyncResponseBinary, encodeSyncRequestBinary, PolicySyncServer, policySetFromSyncResponse, type PolicySyncServerOptions } from '@otel-policy/providers';
import { logPolicies, waitFor } from './helpers.js';
import { originAllowed } from '../src/sync/server-http.js';

const work = mkdtempSync(path.join(tmpdir(), 'otel-policy-server-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function serve(options: Partial<PolicySyncServerOptions> = {}): Promise<{ server: PolicySyncServer; base: string }> {
  const server = new PolicySyncServer({ policies: logPolicies('a', 'b'), ...options });
  await server.start();
  cleanup.push(() => server.stop());
  return { server, base: `http://127.0.0.1:${server.httpPort}` };
}

/** How a local script asks the server to stop (no token configured). */
const SHUTDOWN = { method: 'POST', headers: { 'x-otel-policy-shutdown': '1' } };

const postJson = (base: string, body: unknown, type = 'application/json') =>
  fetch(`${base}/v1/policy/sync`, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('PolicySyncServer', () => {
  it('answers JSON with JSON: all policies, hash, interval, timestamp; accepts snake_case and camelCase', async () => {
    const { server, base } = await serve({ syncIntervalSecs: 15 });
    const res = await postJson(base, { client_metadata: { supported_policy_stages: ['POLICY_STAGE_LOG_FILTER'] }, full_sync: true, policy_statuses: [{ id: 'a', match_hits: '3', match_misses: 1 }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = await res.json();
    expect(body.hash).toBe(server.currentHash);
    expect(body.hash).toMatch(/^[0-9a-f]{32}$/);
    expect(body.recommendedSyncIntervalSeconds).toBe(15);
    expect(body.syncType).toBe('SYNC_TYPE_FULL');
    expect(typeof body.syncTimestampUnixNano).toBe('string');
    expect(policySetFromSyncResponse(body).policies.map((p) => p.id)).toEqual(['a', 'b']);
    await postJson(base, {
      policyStatuses: [
        { id: 'a', matchHits: 2, errors: ['e1'] },
        { id: 'c', errors: ['e2', 'e1'] },
      ],
    });
    await postJson(base, { policyStatuses: [{ id: 'a', errors: ['e1', 'e3'] }] });
    const stats = await (await fetch(`${base}/stats`)).json();
    // 'c' is not served: its report is counted, not kept.
    expect(stats).toEqual({
      policies: [{ policy_id: 'a', hits: 5, misses: 1, errors: ['e1', 'e3'] }],
      sync_requests: 3,
      hash: server.currentHash,
      unknown_policy_reports: 1,
    });
  });

  it('answers protobuf with protobuf', async () => {
    const { server, base } = await serve();
    const res = await fetch(`${base}/v1/policy/sync`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeSyncRequestBinary({ policyStatuses: [{ id: 'b', matchHits: 7, remove: { hits: 2, misses: 1 } }] }),
    });
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    const body = decodeSyncResponseBinary(new Uint8Array(await res.arrayBuffer()));
    expect(body.hash).toBe(server.currentHash);
    expect(body.policies?.length).toBe(2);
    expect(server.stats().policies).toEqual([{ policy_id: 'b', hits: 7, misses: 0, errors: [], remove: { hits: 2, misses: 1 } }]);
  });

  it('rejects what it cannot read', async () => {
    const { base } = await serve();
    expect((await postJson(base, '{}', 'text/plain')).status).toBe(415);
    expect((await postJson(base, 'not json')).status).toBe(400);
    expect((await postJson(base, { policyStatuses: 'x' })).status).toBe(400);
    expect((await postJson(base, 'garbage', 'application/x-protobuf')).status).toBe(400);
    expect((await fetch(`${base}/v1/policy/sync`)).status).toBe(405);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('POST /shutdown (from this machine, with its header) calls the shutdown hook (or stops the server)', async () => {
    let asked = 0;
    const { base } = await serve({ onShutdownRequest: () => asked++ });
    expect((await fetch(`${base}/shutdown`, SHUTDOWN)).status).toBe(200);
    await waitFor(() => asked === 1, 5000, 'shutdown hook');

    const own = new PolicySyncServer({ policies: logPolicies('a') });
    await own.start();
    const url = `http://127.0.0.1:${own.httpPort}`;
    expect((await fetch(`${url}/shutdown`, SHUTDOWN)).status).toBe(200);
    await waitFor(() => false === (own as unknown as { http: { listening: boolean } }).http.listening, 5000, 'server to stop');
    await own.stop();
  });

  it('serves a policy file, reloads it when it changes, keeps the last good set on a broken edit; the hash follows the content', async () => {
    const file = path.join(work, 'policies.json');
    const write = (ids: string[] | string) => {
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, typeof ids === 'string' ? ids : JSON.stringify({ policies: ids.map((id) => ({ id, log: { match: [{ log_field: 'body', contains: id }], keep: 'none' } })) }));
      renameSync(tmp, file);
    };
    write(['a']);
    const logs: string[] = [];
    const { server, base } = await serve({ policies: file, filePollIntervalSecs: 0.2, log: (m) => logs.push(m) });
    const ids = async () => policySetFromSyncResponse(await (await postJson(base, {})).json()).policies.map((p) => p.id);
    expect(await ids()).toEqual(['a']);
    const first = server.currentHash;
    write(['a']);
    await new Promise((r) => setTimeout(r, 500));
    expect(server.currentHash).toBe(first);
    write(['a', 'b']);
    await waitFor(() => server.currentHash !== first, 10_000, 'reload');
    expect(await ids()).toEqual(['a', 'b']);
    const second = server.currentHash;
    write('{ not json');
    await waitFor(() => logs.length > 0, 10_000, 'load error');
    expect(server.currentHash).toBe(second);
    expect(await ids()).toEqual(['a', 'b']);
  });

  it('fails to start when the policy file cannot be loaded', async () => {
    const server = new PolicySyncServer({ policies: path.join(work, 'missing.json'), log: () => {} });
    await expect(server.start()).rejects.toThrow();
    const bad = path.join(work, 'bad.json');
    writeFileSync(bad, '{ nope');
    await expect(new PolicySyncServer({ policies: bad, log: () => {} }).start()).rejects.toThrow(/cannot parse/);
  });

  it('serves gRPC and HTTP side by side; port 0 picks free ports', async () => {
    const { server } = await serve({ grpcPort: 0 });
    expect(server.httpPort).toBeGreaterThan(0);
    expect(server.grpcPort).toBeGreaterThan(0);
    expect(server.grpcPort).not.toBe(server.httpPort);
  });
});

describe('PolicySyncServer: web pages (CORS)', () => {
  const preflight = (base: string, origin: string) =>
    fetch(`${base}/v1/policy/sync`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' } });

  it("answers an allowed page's preflight and lets it read the answers, errors included; others get no CORS headers", async () => {
    const { base } = await serve({ corsAllowedOrigins: ['https://shop.example.com'], token: 's3cret' });
    const ok = await preflight(base, 'https://shop.example.com');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(ok.headers.get('access-control-allow-methods')).toBe('POST');
    expect(ok.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    expect(ok.headers.get('vary')).toBe('Origin');
    const refused = await preflight(base, 'https://evil.example.net');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(await refused.text()).toBe('origin https://evil.example.net is not allowed to sync (CORS; see the allowed origins)\n');
    const sync = (origin: string, token?: string) =>
      fetch(`${base}/v1/policy/sync`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ fullSync: true }),
      });
    const answered = await sync('https://shop.example.com', 's3cret');
    expect(answered.status).toBe(200);
    expect(answered.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect((await answered.json()).policies).toHaveLength(2);
    const unauthorized = await sync('https://shop.example.com');
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    const other = await sync('https://evil.example.net', 's3cret');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows no page by default', async () => {
    const { base } = await serve();
    const res = await preflight(base, 'https://shop.example.com');
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('matches origins with * as any run of characters, case-insensitively', () => {
    expect(originAllowed('https://shop.example.com', ['https://*.example.com'])).toBe(true);
    expect(originAllowed('https://a.b.example.com', ['https://*.example.com'])).toBe(true);
    expect(originAllowed('https://example.com', ['https://*.example.com'])).toBe(false);
    expect(originAllowed('https://shop.example.com.evil.net', ['https://*.example.com'])).toBe(false);
    expect(originAllowed('http://shop.example.com', ['https://*.example.com'])).toBe(false);
    expect(originAllowed('HTTPS://Shop.Example.com', ['https://shop.example.com'])).toBe(true);
    expect(originAllowed('http://localhost:5173', ['http://localhost:*'])).toBe(true);
    expect(originAllowed('anything', ['*'])).toBe(true);
    expect(originAllowed('https://ab.example.com', ['https://a*b*.example.com'])).toBe(true);
    expect(originAllowed('https://a.example.com', ['https://a*b*.example.com'])).toBe(false);
    expect(originAllowed('https://x.com', [])).toBe(false);
  });
});
