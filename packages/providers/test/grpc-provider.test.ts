/**
 * GrpcPolicyProvider against the PolicySyncServer's gRPC service and a gRPC
 * server that misbehaves on demand: sync, deltas, failures keeping the last
 * good set, recovery, final report, bearer token. Loopback only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCerts } from '../../../test/support/certs.js';
import { PolicyEngine, PolicyRegistry } from '@otel-policy/core';
import { GrpcPolicyProvider, PolicySyncServer, type GrpcProviderOptions } from '@otel-policy/providers';
import { FakeStats, FlakyGrpcServer, RecordingListener, logPolicies, type GrpcBehaviour } from './helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

// Reconnect quickly after a refused connection.
const channelOptions = { 'grpc.initial_reconnect_backoff_ms': 50, 'grpc.max_reconnect_backoff_ms': 200 };

function provider(options: GrpcProviderOptions): GrpcPolicyProvider {
  const p = new GrpcPolicyProvider({ backoffBaseMs: 10_000, timeoutMs: 2000, shutdownTimeoutMs: 2000, channelOptions, ...options });
  cleanup.push(() => p.shutdown());
  return p;
}

async function flaky(ids: string[]): Promise<FlakyGrpcServer> {
  const s = new FlakyGrpcServer(logPolicies(...ids));
  await s.start();
  cleanup.push(() => s.stop());
  return s;
}

describe('GrpcPolicyProvider', () => {
  it('syncs from the PolicySyncServer over gRPC, reports deltas and a final report', async () => {
    const server = new PolicySyncServer({ policies: logPolicies('a', 'b'), httpPort: false, grpcPort: 0, syncIntervalSecs: 9 });
    await server.start();
    cleanup.push(() => server.stop());
    const stats = new FakeStats();
    const listener = new RecordingListener();
    const p = provider({ target: `127.0.0.1:${server.grpcPort}`, clientMetadata: { serviceName: 'svc' } });
    p.setStatsSource(stats.source);
    stats.set('a', { hits: 2, errors: ['oops'] });
    await p.start(listener);
    expect(listener.errors).toEqual([]);
    expect(listener.ids).toEqual(['a', 'b']);
    expect(p.nextDelayMs).toBe(9000);
    expect(server.lastRequest?.clientMetadata?.resourceAttributes).toEqual([{ key: 'service.name', value: { stringValue: 'svc' } }]);
    expect(server.lastRequest?.fullSync).toBe(true);

    stats.set('a', { hits: 5 });
    stats.set('b', { hits: 1, misses: 1 });
    expect((await p.syncNow()).delivered).toBe(false);
    expect(server.lastRequest?.policyStatuses).toEqual([
      { id: 'a', matchHits: '3', errors: ['oops'] },
      { id: 'b', matchHits: '1', matchMisses: '1' },
    ]);
    stats.set('b', { hits: 4 });
    await p.shutdown();
    expect(server.lastRequest?.policyStatuses).toEqual([
      { id: 'a', errors: ['oops'] },
      { id: 'b', matchHits: '3' },
    ]);
    expect(server.stats().policies).toEqual([
      { policy_id: 'a', hits: 5, misses: 0, errors: ['oops'] },
      { policy_id: 'b', hits: 4, misses: 1, errors: [] },
    ]);
  });

  it.each<[GrpcBehaviour, RegExp]>([
    ['unavailable', /UNAVAILABLE|go away/],
    ['garbage', /gRPC sync .* failed/],
    ['slow', /DEADLINE_EXCEEDED|timed out/],
  ])('keeps the last good set when the server answers %s, and recovers', async (behaviour, message) => {
    const server = await flaky(['a']);
    const engine = new PolicyEngine();
    const errors: Error[] = [];
    const stats: string[] = [];
    const p = provider({ target: server.target, timeoutMs: 400 });
    const registry = new PolicyRegistry(engine, [p], {}, (_id, err) => errors.push(err));
    await registry.start();
    stats.push(...engine.stats().map((s) => s.policyId));
    expect(stats).toEqual(['a']);
    server.behaviour = behaviour;
    server.logic.setPolicies(logPolicies('x', 'y'));
    const r = await p.syncNow();
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(message);
    expect(errors.at(-1)?.message).toMatch(message);
    await registry.settled();
    expect(engine.stats().map((s) => s.policyId)).toEqual(['a']);
    server.behaviour = 'ok';
    expect((await p.syncNow()).delivered).toBe(true);
    await registry.settled();
    expect(engine.stats().map((s) => s.policyId)).toEqual(['x', 'y']);
  });

  it('a failed report is re-sent with the next successful sync', async () => {
    const server = await flaky(['a']);
    const stats = new FakeStats();
    const p = provider({ target: server.target });
    p.setStatsSource(stats.source);
    await p.start(new RecordingListener());
    stats.set('a', { hits: 3 });
    server.behaviour = 'unavailable';
    expect((await p.syncNow()).ok).toBe(false);
    stats.set('a', { hits: 4 });
    server.behaviour = 'ok';
    expect((await p.syncNow()).ok).toBe(true);
    expect(server.requests.at(-1)!.policyStatuses).toEqual([{ id: 'a', matchHits: '4' }]);
  });

  it('with no server: start() resolves, nothing is delivered, the error is reported; shutdown is bounded', async () => {
    // A port that was just free: nothing listens there.
    const tmp = await flaky([]);
    const target = tmp.target;
    await tmp.stop();
    const listener = new RecordingListener();
    const p = provider({ target, timeoutMs: 1000, shutdownTimeoutMs: 1000 });
    await p.start(listener);
    expect(listener.sets).toEqual([]);
    expect(listener.errors.length).toBeGreaterThan(0);
    const t0 = Date.now();
    await p.shutdown();
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('sends a bearer token as metadata; a server with a token refuses calls without it', async () => {
    const server = new PolicySyncServer({ policies: logPolicies('a'), httpPort: false, grpcPort: 0, token: 't0ken' });
    await server.start();
    cleanup.push(() => server.stop());
    const target = `127.0.0.1:${server.grpcPort}`;
    const anonymous = new RecordingListener();
    await provider({ target }).start(anonymous);
    expect(anonymous.sets).toEqual([]);
    expect(anonymous.errors[0].message).toMatch(/UNAUTHENTICATED|unauthorized/);
    const good = new RecordingListener();
    await provider({ target, bearerToken: 't0ken' }).start(good);
    expect(good.ids).toEqual(['a']);
    const viaMetadata = new RecordingListener();
    await provider({ target, metadata: { authorization: 'Bearer t0ken' } }).start(viaMetadata);
    expect(viaMetadata.ids).toEqual(['a']);
  });
});

describe('PolicySyncServer over mutual TLS', () => {
  it('serves a client with a certificate from the CA, and refuses one without (HTTPS too)', async () => {
    const certs = makeCerts();
    const server = new PolicySyncServer({ policies: logPolicies('a'), httpPort: 0, grpcPort: 0, tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca } });
    await server.start();
    cleanup.push(() => server.stop());
    const target = `localhost:${server.grpcPort}`;
    const good = new RecordingListener();
    await provider({ target, credentials: grpc.credentials.createSsl(Buffer.from(certs.ca), Buffer.from(certs.clientKey), Buffer.from(certs.clientCert)) }).start(good);
    expect(good.ids).toEqual(['a']);
    const noCert = new RecordingListener();
    await provider({ target, credentials: grpc.credentials.createSsl(Buffer.from(certs.ca)) }).start(noCert);
    expect(noCert.sets).toEqual([]);
    expect(noCert.errors.length).toBeGreaterThan(0);
    const plaintext = new RecordingListener();
    await provider({ target }).start(plaintext);
    expect(plaintext.sets).toEqual([]);
  });
});

describe('GrpcPolicyProvider: last-known-good cache (cachePath)', () => {
  it('keeps each new set on disk and a restart with the server down starts from it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-grpc-cache-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'policies.json');
    const server = await flaky(['a', 'b']);
    const target = server.target;
    const first = provider({ target, cachePath: file, finalReport: false });
    const listener = new RecordingListener();
    await first.start(listener);
    expect(listener.ids).toEqual(['a', 'b']);
    await first.shutdown();
    await server.stop();

    const restarted = provider({ target, cachePath: file, finalReport: false, timeoutMs: 500 });
    expect(restarted.loadSync()?.policies.map((p) => p.id)).toEqual(['a', 'b']);
    const again = new RecordingListener();
    await restarted.start(again);
    expect(again.sets).toEqual([]);
    expect(again.errors.length).toBeGreaterThan(0);
  });
});
