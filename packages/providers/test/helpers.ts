/** Shared helpers of the provider tests: listeners, stats sources and a sync server that can misbehave on demand. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { PolicyEngine, PolicyRegistry, parsePolicyText, type PolicyProvider, type PolicyProviderListener, type PolicySet, type PolicyStatusReport } from '@otel-policy/core';
import { applyToLogs } from '@otel-policy/adapters';
import {
  decodeSyncRequest,
  encodeSyncResponse,
  encodingOf,
  loadGrpc,
  PolicySyncServer,
  SYNC_METHOD_PATH,
  decodeSyncRequestBinary,
  encodeSyncResponseBinary,
  type SyncRequestObject,
} from '@otel-policy/providers';

export const logPolicies = (...ids: string[]): PolicySet =>
  parsePolicyText(JSON.stringify({ policies: ids.map((id) => ({ id, name: id, enabled: true, log: { match: [{ log_field: 'body', contains: id }], keep: 'none' } })) }));

/** Records what a provider delivers. */
export class RecordingListener implements PolicyProviderListener {
  readonly sets: PolicySet[] = [];
  readonly errors: Error[] = [];
  onPolicies(set: PolicySet): void {
    this.sets.push(set);
  }
  onError(error: Error): void {
    this.errors.push(error);
  }
  get ids(): string[] | undefined {
    return this.sets.at(-1)?.policies.map((p) => p.id);
  }
}

/** A stats source whose cumulative counters the test sets. */
export class FakeStats {
  private readonly reports = new Map<string, PolicyStatusReport>();
  set(policyId: string, r: Partial<Omit<PolicyStatusReport, 'policyId'>>): void {
    const prev = this.reports.get(policyId);
    const zero = { hits: 0, misses: 0 };
    this.reports.set(policyId, {
      policyId,
      statsEpoch: r.statsEpoch ?? prev?.statsEpoch ?? 1,
      hits: r.hits ?? prev?.hits ?? 0,
      misses: r.misses ?? prev?.misses ?? 0,
      errors: r.errors ?? prev?.errors ?? [],
      remove: r.remove ?? prev?.remove ?? zero,
      redact: r.redact ?? prev?.redact ?? zero,
      rename: r.rename ?? prev?.rename ?? zero,
      add: r.add ?? prev?.add ?? zero,
    });
  }
  readonly source = (): PolicyStatusReport[] => [...this.reports.values()];
}

/** Wait (bounded) until `cond` holds. */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export type Behaviour = 'ok' | 'status500' | 'garbage' | 'garbageProto' | 'badContentType' | 'slow' | 'errorMessage';

/**
 * An HTTP sync server whose answers the test chooses; the sync logic (and
 * the stats it accumulates) is a PolicySyncServer's.
 */
export class FlakyHttpServer {
  readonly logic: PolicySyncServer;
  behaviour: Behaviour = 'ok';
  requests: SyncRequestObject[] = [];
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  port = 0;

  constructor(policies: PolicySet, syncIntervalSecs = 60) {
    this.logic = new PolicySyncServer({ policies, httpPort: false, syncIntervalSecs });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/policy/sync`;
  }

  async start(port = 0): Promise<void> {
    await this.logic.start();
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const encoding = encodingOf(req.headers['content-type']) ?? 'json';
    const request = decodeSyncRequest(Buffer.concat(chunks), encoding);
    switch (this.behaviour) {
      case 'status500':
        res.writeHead(500).end('boom');
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json</html>');
        return;
      case 'garbageProto':
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
        return;
      case 'badContentType':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
        return;
      case 'slow':
        this.hanging.add(res);
        return;
      case 'errorMessage':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errorMessage: 'database on fire' }));
        return;
      case 'ok': {
        this.requests.push(request);
        const response = this.logic.handleSync(request);
        res.writeHead(200, { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' }).end(encodeSyncResponse(response, encoding));
      }
    }
  }

  async stop(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.hanging.clear();
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    await this.logic.stop();
  }
}

export type GrpcBehaviour = 'ok' | 'unavailable' | 'garbage' | 'slow';

/** A gRPC sync server whose answers the test chooses (the logic is a PolicySyncServer's). */
export class FlakyGrpcServer {
  readonly logic: PolicySyncServer;
  behaviour: GrpcBehaviour = 'ok';
  requests: SyncRequestObject[] = [];
  port = 0;
  private server: Awaited<ReturnType<typeof loadGrpc>>['Server']['prototype'] | undefined;
  private readonly hanging = new Set<() => void>();

  constructor(policies: PolicySet) {
    this.logic = new PolicySyncServer({ policies, httpPort: false });
  }

  get target(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await this.logic.start();
    const grpc = await loadGrpc();
    const server = new grpc.Server();
    const GARBAGE = Symbol('garbage');
    server.addService(
      {
        sync: {
          path: SYNC_METHOD_PATH,
          requestStream: false,
          responseStream: false,
          requestSerialize: () => Buffer.alloc(0),
          requestDeserialize: (b: Buffer) => decodeSyncRequestBinary(b),
          responseSerialize: (v: unknown) => (v === GARBAGE ? Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]) : Buffer.from(encodeSyncResponseBinary(v as never))),
          responseDeserialize: (b: Buffer) => b,
        },
      },
      {
        sync: (call: { request: SyncRequestObject }, cb: (err: unknown, res?: unknown) => void) => {
          switch (this.behaviour) {
            case 'unavailable':
              cb({ code: grpc.status.UNAVAILABLE, details: 'go away' });
              return;
            case 'garbage':
              cb(null, GARBAGE);
              return;
            case 'slow':
              this.hanging.add(() => cb({ code: grpc.status.CANCELLED, details: 'stopped' }));
              return;
            case 'ok':
              this.requests.push(call.request);
              cb(null, this.logic.handleSync(call.request));
          }
        },
      },
    );
    this.server = server;
    this.port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
  }

  async stop(): Promise<void> {
    for (const f of this.hanging) f();
    this.hanging.clear();
    this.server?.forceShutdown();
    this.server = undefined;
    await this.logic.stop();
  }
}

/** A served set with one policy that drops DEBUG logs and one that cannot compile. */
export const DEBUG_AND_BROKEN: PolicySet = parsePolicyText(
  JSON.stringify({
    policies: [
      { id: 'drop-debug', log: { match: [{ log_field: 'severity_text', exact: 'DEBUG' }], keep: 'none' } },
      { id: 'broken', log: { match: [{ log_field: 'body', regex: '([bad' }], keep: 'none' } },
    ],
  }),
);

/**
 * Any HTTP sync provider, through a registry, against a server serving
 * {@link DEBUG_AND_BROKEN}: the set is installed (two DEBUG records
 * dropped) and the final report on shutdown carries the engine's hits and
 * the compile error.
 */
export async function expectReportsThroughRegistry(server: PolicySyncServer, provider: PolicyProvider): Promise<void> {
  const engine = new PolicyEngine();
  const registry = new PolicyRegistry(engine, [provider]);
  await registry.start();
  const logs = {
    resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityText: 'DEBUG', body: { stringValue: 'x' } }, { severityText: 'DEBUG' }, { severityText: 'INFO' }] }] }],
  };
  applyToLogs(engine, logs as never);
  expect(logs.resourceLogs[0].scopeLogs[0].logRecords.map((r) => r.severityText)).toEqual(['INFO']);
  await registry.shutdown();
  const got = server.stats().policies;
  expect(got.find((x) => x.policy_id === 'drop-debug')).toMatchObject({ hits: 2 });
  expect(got.find((x) => x.policy_id === 'broken')?.errors).toEqual(['log: match[0]: invalid regex "([bad"']);
}
