/**
 * PolicySyncServer against hostile clients: reported stats cannot grow it
 * without bound, /shutdown cannot be triggered by a web page or a stranger,
 * the gRPC token is checked before anything is decoded, and bad input gets
 * a 4xx with a reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { encodeSyncRequestBinary, loadGrpc, PolicySyncServer, SYNC_METHOD_PATH, type PolicySyncServerOptions } from '@otel-policy/providers';
import { logPolicies } from './helpers.js';

const work = mkdtempSync(path.join(tmpdir(), 'otel-policy-hardening-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function serve(options: Partial<PolicySyncServerOptions> = {}): Promise<{ server: PolicySyncServer; base: string }> {
  const server = new PolicySyncServer({ policies: logPolicies('a', 'b'), onShutdownRequest: () => {}, ...options });
  await server.start();
  cleanup.push(() => server.stop());
  return { server, base: `http://127.0.0.1:${server.httpPort}` };
}

const sync = (base: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/policy/sync`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('PolicySyncServer under hostile clients', () => {
  it('keeps stats only for the policies it serves, and a bounded number of errors per policy', async () => {
    const { server, base } = await serve();
    const invented = Array.from({ length: 10_000 }, (_, i) => ({ id: `invented-${i}`, matchHits: 1, errors: ['x'.repeat(100)] }));
    expect((await sync(base, { policyStatuses: invented })).status).toBe(200);
    expect((await sync(base, { policyStatuses: invented.map((p) => ({ ...p, id: `more-${p.id}` })) })).status).toBe(200);
    const errors = Array.from({ length: 500 }, (_, i) => `error ${i} ${'y'.repeat(i === 0 ? 5000 : 10)}`);
    expect((await sync(base, { policyStatuses: [{ id: 'a', matchHits: 3, errors }] })).status).toBe(200);
    const stats = server.stats();
    expect(stats.policies.map((p) => p.policy_id)).toEqual(['a']);
    expect(stats.unknown_policy_reports).toBe(20_000);
    expect(stats.policies[0].hits).toBe(3);
    expect(stats.policies[0].errors).toHaveLength(100);
    expect(stats.policies[0].errors[0].length).toBeLessThanOrEqual(1025);
    expect(JSON.stringify(await (await fetch(`${base}/stats`)).json()).length).toBeLessThan(20_000);
  });

  it('refuses POST /shutdown from a web page, without its header, and any GET; with a token, requires it', async () => {
    let asked = 0;
    const { base } = await serve({ onShutdownRequest: () => asked++ });
    expect((await fetch(`${base}/shutdown`)).status).toBe(405);
    // What a page can send cross-site without a preflight: a simple POST, which carries an Origin.
    expect((await fetch(`${base}/shutdown`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'text/plain' }, body: 'x' })).status).toBe(403);
    expect((await fetch(`${base}/shutdown`, { method: 'POST', headers: { 'x-otel-policy-shutdown': '1', origin: 'https://evil.example' } })).status).toBe(403);
    const noHeader = await fetch(`${base}/shutdown`, { method: 'POST' });
    expect(noHeader.status).toBe(403);
    expect(await noHeader.text()).toContain('x-otel-policy-shutdown');
    await new Promise((r) => setTimeout(r, 50));
    expect(asked).toBe(0);

    let tokenAsked = 0;
    const withToken = await serve({ token: 's3cret', onShutdownRequest: () => tokenAsked++ });
    expect((await fetch(`${withToken.base}/shutdown`, { method: 'POST', headers: { 'x-otel-policy-shutdown': '1' } })).status).toBe(401);
    expect((await fetch(`${withToken.base}/stats`)).status).toBe(401);
    expect((await fetch(`${withToken.base}/shutdown`, { method: 'POST', headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(tokenAsked).toBe(1);
  });

  it('answers bad input with 4xx and a reason, never 5xx, and keeps serving', async () => {
    const { base } = await serve({ maxBodyBytes: 64 * 1024 });
    const deep = `{"policyStatuses": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const cases: [string | Uint8Array, string, number][] = [
      ['not json', 'application/json', 400],
      [deep, 'application/json', 413],
      [`{"policy_statuses": [{"id": ${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}]}`, 'application/json', 400],
      ['{"policyStatuses": [{"matchHits": "12abc"}]}', 'application/json', 400],
      [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), 'application/x-protobuf', 400],
      ['x'.repeat(100 * 1024), 'application/json', 413],
      ['{}', 'text/html', 415],
    ];
    for (const [body, type, status] of cases) {
      const res = await fetch(`${base}/v1/policy/sync`, { method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status, `${type} ${String(body).slice(0, 40)}`).toBe(status);
      expect((await res.text()).length).toBeGreaterThan(3);
    }
    expect((await sync(base, {})).status).toBe(200);
  });

  it('checks the gRPC token before decoding: garbage from a stranger is UNAUTHENTICATED, from a client INVALID_ARGUMENT', async () => {
    const { server } = await serve({ token: 's3cret', grpcPort: 0, httpPort: false });
    const grpc = await loadGrpc();
    const client = new grpc.Client(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
    cleanup.push(async () => client.close());
    const call = (payload: Buffer, token?: string) =>
      new Promise<number>((resolve) => {
        const metadata = new grpc.Metadata();
        if (token) metadata.set('authorization', `Bearer ${token}`);
        client.makeUnaryRequest(
          SYNC_METHOD_PATH,
          (b: Buffer) => b,
          (b: Buffer) => b,
          payload,
          metadata,
          (err) => resolve(err ? err.code : 0),
        );
      });
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(await call(garbage)).toBe(grpc.status.UNAUTHENTICATED);
    expect(await call(garbage, 'wrong')).toBe(grpc.status.UNAUTHENTICATED);
    expect(await call(garbage, 's3cret')).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await call(Buffer.from(encodeSyncRequestBinary({})), 's3cret')).toBe(0);
  });
});

/** Send raw bytes; resolve with what came back once the server closes, or after `waitMs`. */
function rawHttp(port: number, text: string, waitMs = 3000): Promise<{ response: string; closed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ response, closed, ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (d) => (response += d));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.write(text);
  });
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
const bodyOf = (response: string) => response.slice(response.indexOf('\r\n\r\n') + 4);

describe('PolicySyncServer: bounded stats', () => {
  it('keeps the stats of a policy served before a reload, cuts errors to 1 KiB of UTF-8, counts the errors it does not keep, ignores negative counters', async () => {
    const { server, base } = await serve();
    const long = 'é'.repeat(2000); // 4000 bytes of UTF-8
    const errors = [long, ...Array.from({ length: 150 }, (_, i) => `e${i}`)];
    expect(
      (
        await sync(base, {
          policyStatuses: [
            { id: 'a', matchHits: 2, errors },
            { id: 'b', matchHits: 1 },
          ],
        })
      ).status,
    ).toBe(200);
    expect((await sync(base, { policyStatuses: [{ id: 'a', matchHits: '-5', matchMisses: -1, errors: ['e0', 'new'], remove: { hits: '-3', misses: 2 } }] })).status).toBe(200);
    const a = server.stats().policies.find((p) => p.policy_id === 'a')!;
    expect(a.hits).toBe(2);
    expect(a.misses).toBe(0);
    expect(a.remove).toEqual({ hits: 0, misses: 2 });
    expect(a.errors).toHaveLength(100);
    expect(Buffer.byteLength(a.errors[0])).toBeLessThanOrEqual(1024);
    expect(a.errors[0]).toMatch(/^é+…$/);
    // 151 distinct errors, 100 kept; then 'e0' (kept) again and 'new' (not kept).
    expect(a.errors_dropped).toBe(52);
    expect(server.stats().policies.find((p) => p.policy_id === 'b')?.errors_dropped).toBeUndefined();

    // After a reload, a policy served before keeps its stats and still counts (a client's last report may come late).
    server.setPolicies(logPolicies('b', 'c'));
    await sync(base, {
      policyStatuses: [
        { id: 'a', matchHits: 1 },
        { id: 'c', matchHits: 4 },
        { id: 'never-served', matchHits: 9 },
      ],
    });
    const stats = server.stats();
    expect(stats.policies.map((p) => [p.policy_id, p.hits])).toEqual([
      ['a', 3],
      ['b', 1],
      ['c', 4],
    ]);
    expect(stats.unknown_policy_reports).toBe(1);
  });

  it('refuses, before decoding it, a request holding more values than a status per policy served could need', async () => {
    const { server, base } = await serve();
    const invented = Array.from({ length: 100_000 }, (_, i) => ({ id: `invented-${i}` }));
    const json = await sync(base, { policyStatuses: invented });
    expect(json.status).toBe(400);
    expect(await json.text()).toMatch(/^cannot decode SyncRequest \(JSON\): more than 100000 values\n$/);
    const proto = await fetch(`${base}/v1/policy/sync`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeSyncRequestBinary({ policyStatuses: invented }),
    });
    expect(proto.status).toBe(400);
    expect(await proto.text()).toMatch(/more than 100000 values/);
    expect(server.stats()).toMatchObject({ policies: [], sync_requests: 0, unknown_policy_reports: 0 });
  });
});

describe('PolicySyncServer: request limits and bad input', () => {
  it('has a 4 MiB default body limit: 413 with a reason', async () => {
    const { base } = await serve();
    const res = await sync(base, `{"policyStatuses": [], "pad": "${'x'.repeat(4 * 1024 * 1024)}"}`);
    expect(res.status).toBe(413);
    expect(await res.text()).toMatch(/^request body of 41943\d\d bytes exceeds the limit of 4194304 bytes\n$/);
  });

  it('answers 413 at once to a Content-Length over the limit, without waiting for the body, and closes the connection', async () => {
    const { server } = await serve({ maxBodyBytes: 1024 });
    const r = await rawHttp(server.httpPort!, 'POST /v1/policy/sync HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000000\r\n\r\n{');
    expect(statusOf(r.response)).toBe(413);
    expect(r.response).toMatch(/\r\nconnection: close\r\n/i);
    expect(bodyOf(r.response)).toBe('request body of 1000000000 bytes exceeds the limit of 1024 bytes\n');
    expect(r.closed).toBe(true);
  });

  it('answers 413 to a chunked body that grows over the limit', async () => {
    const { server } = await serve({ maxBodyBytes: 1024 });
    const chunk = 'x'.repeat(600);
    const r = await rawHttp(server.httpPort!, `POST /v1/policy/sync HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n`);
    expect(statusOf(r.response)).toBe(413);
    expect(bodyOf(r.response)).toBe('request body exceeds the limit of 1024 bytes\n');
    expect(r.closed).toBe(true);
  });

  it('with a token, answers 401 before reading the body (sync and /shutdown)', async () => {
    const { server } = await serve({ token: 's3cret' });
    for (const p of ['/v1/policy/sync', '/shutdown']) {
      const r = await rawHttp(server.httpPort!, `POST ${p} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-otel-policy-shutdown: 1\r\ncontent-length: 1000000\r\n\r\n{`);
      expect(statusOf(r.response), p).toBe(401);
      // Answered and closed without waiting for the megabyte announced.
      expect(r.closed, p).toBe(true);
      expect(r.ms, p).toBeLessThan(2000);
    }
  });

  it('never answers 5xx to bad input, and keeps serving', async () => {
    const { server, base } = await serve();
    const cases: [string, string | Uint8Array, string, number, RegExp][] = [
      ['a million nested lists', `{"policyStatuses": ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`, 'application/json', 400, /nested deeper than 32 levels/],
      ['deep client metadata', `{"clientMetadata": {"labels": [{"key": "k", "value": ${'{"arrayValue": {"values": ['.repeat(40)}{}${']}}'.repeat(40)}}]}}`, 'application/json', 400, /nested deeper/],
      ['a list of a million empty statuses', `{"policyStatuses": [${Array(1_000_000).fill('{}').join(',')}]}`, 'application/json', 400, /more than 100000 values/],
      ['wrong JSON types', '{"policyStatuses": [{"id": "a", "errors": "oops"}]}', 'application/json', 400, /errors: array expected/],
      ['a status that is null', '{"policyStatuses": [null]}', 'application/json', 400, /object expected/],
      ['a list for the request', '[1, 2]', 'application/json', 400, /not an object/],
      ['JSON with a newline in the error', '{\n"a": \n x}', 'application/json', 400, /^cannot decode SyncRequest \(JSON\): [^\n]*\n$/],
      ['invalid protobuf', new Uint8Array([0x2a, 0x05, 0x0a]), 'application/x-protobuf', 400, /runs past the end/],
      ['two million empty statuses in protobuf', new Uint8Array(4_000_000).map((_, i) => (i % 2 === 0 ? 0x2a : 0)), 'application/x-protobuf', 400, /more than 100000 values/],
      ['protobuf nested too deeply', nestedLabels(200), 'application/x-protobuf', 400, /nested deeper than 32 levels/],
      ['a wrong Content-Type', '{}', 'text/plain', 415, /unsupported Content-Type "text\/plain"/],
    ];
    for (const [what, body, type, status, reason] of cases) {
      const res = await fetch(`${base}/v1/policy/sync`, { method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status, what).toBe(status);
      const text = await res.text();
      expect(text, what).toMatch(reason);
      expect(text.indexOf('\n'), what).toBe(text.length - 1);
    }
    expect((await fetch(`${base}/v1/policy/sync`)).status).toBe(405);
    expect((await fetch(`${base}/stats`, { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await fetch(`${base}/nope`, { method: 'POST', body: 'x' })).status).toBe(404);
    const badTarget = await rawHttp(server.httpPort!, 'GET http://[ HTTP/1.1\r\nhost: x\r\n\r\n', 500);
    expect(statusOf(badTarget.response)).toBe(400);
    // A "__proto__" key is not a field: it does not become the request's prototype.
    await sync(base, '{"__proto__": {"policyStatuses": [{"id": "a", "matchHits": 5}]}}');
    expect(server.stats().policies).toEqual([]);
    expect((await sync(base, { policyStatuses: [{ id: 'a', matchHits: 1 }] })).status).toBe(200);
    expect(server.stats().policies).toEqual([{ policy_id: 'a', hits: 1, misses: 0, errors: [] }]);
  });

  it('gRPC: a message over maxBodyBytes is RESOURCE_EXHAUSTED; an undecodable one INVALID_ARGUMENT with a one-line reason', async () => {
    const { server } = await serve({ grpcPort: 0, httpPort: false, maxBodyBytes: 64 * 1024 });
    const grpc = await loadGrpc();
    const client = new grpc.Client(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
    cleanup.push(async () => client.close());
    const call = (payload: Uint8Array) =>
      new Promise<{ code: number; details: string }>((resolve) => {
        client.makeUnaryRequest(
          SYNC_METHOD_PATH,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from(payload),
          new grpc.Metadata(),
          (err) => resolve(err ? { code: err.code, details: err.details } : { code: 0, details: '' }),
        );
      });
    expect((await call(new Uint8Array(100 * 1024))).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const deep = await call(nestedLabels(200));
    expect(deep.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(deep.details).toMatch(/^cannot decode SyncRequest \(protobuf\): nested deeper than 32 levels$/);
    expect((await call(encodeSyncRequestBinary({ policyStatuses: [{ id: 'a', matchHits: 2 }] }))).code).toBe(0);
    expect(server.stats().policies).toEqual([{ policy_id: 'a', hits: 2, misses: 0, errors: [] }]);
  });
});

describe('PolicySyncServer: /shutdown', () => {
  it('refuses a request carrying an Origin even with the token', async () => {
    let asked = 0;
    const { base } = await serve({ token: 's3cret', onShutdownRequest: () => asked++ });
    const res = await fetch(`${base}/shutdown`, { method: 'POST', headers: { authorization: 'Bearer s3cret', origin: 'http://127.0.0.1:8080' } });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/web page/);
    await new Promise((r) => setTimeout(r, 50));
    expect(asked).toBe(0);
  });

  const lan = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  it.skipIf(lan === undefined)('without a token, refuses a peer that is not on this machine', async () => {
    let asked = 0;
    const { server } = await serve({ host: '0.0.0.0', onShutdownRequest: () => asked++ });
    const res = await fetch(`http://${lan}:${server.httpPort}/shutdown`, { method: 'POST', headers: { 'x-otel-policy-shutdown': '1' } });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/this machine only/);
    expect(asked).toBe(0);
  });
});

describe('PolicySyncServer: start', () => {
  it('loads the policy file before it listens; a file that cannot be loaded fails start() with its error and logs nothing', async () => {
    const good = path.join(work, 'good.json');
    writeFileSync(good, JSON.stringify({ policies: [{ id: 'x', log: { match: [{ log_field: 'body', contains: 'x' }], keep: 'none' } }] }));
    const { server, base } = await serve({ policies: good, watch: false });
    const body = await (await sync(base, {})).json();
    expect(body.policies.map((p: { id: string }) => p.id)).toEqual(['x']);
    expect(server.reloads).toBe(1);

    const bad = path.join(work, 'bad.json');
    writeFileSync(bad, '{ "policies": [');
    const logs: string[] = [];
    const broken = new PolicySyncServer({ policies: bad, log: (m) => logs.push(m) });
    await expect(broken.start()).rejects.toThrow(/cannot parse/);
    expect(logs).toEqual([]);
    expect(broken.httpPort).toBeUndefined();
  });
});

/** A SyncRequest whose client metadata label nests `depth` AnyValue arrays (binary protobuf). */
function nestedLabels(depth: number): Uint8Array {
  const len = (n: number) => {
    const out: number[] = [];
    while (n > 127) {
      out.push((n & 127) | 128);
      n >>>= 7;
    }
    out.push(n);
    return out;
  };
  const field = (tag: number, inner: number[]) => [tag, ...len(inner.length), ...inner];
  // AnyValue { array_value (5): ArrayValue { values (1): AnyValue ... } }
  let value: number[] = [];
  for (let i = 0; i < depth; i++) value = field(0x2a, field(0x0a, value));
  const keyValue = [...field(0x0a, [0x6b]), ...field(0x12, value)];
  // SyncRequest { client_metadata (1): ClientMetadata { labels (2): KeyValue } }
  return new Uint8Array(field(0x0a, field(0x12, keyValue)));
}
