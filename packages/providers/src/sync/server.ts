import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as Grpc from '@grpc/grpc-js';
import type { PolicySet } from '@otel-policy/core';
import { FilePolicyProvider } from '../file-provider.js';
import { loadGrpc } from './grpc-provider.js';
import {
  decodeSyncRequest,
  decodeSyncRequestBinary,
  encodeSyncResponse,
  encodeSyncResponseBinary,
  encodingOf,
  hashPolicies,
  int64ToNumber,
  nowUnixNano,
  policySetToProto,
  syncSchema,
  JSON_CONTENT_TYPE,
  PROTOBUF_CONTENT_TYPE,
  SYNC_METHOD_PATH,
  SyncDecodeError,
  type PolicyObject,
  type SyncRequestObject,
  type SyncResponseObject,
} from './schema.js';

/** Options for a {@link PolicySyncServer}. */
export interface PolicySyncServerOptions {
  /** A policy file or directory (JSON/YAML, reloaded when it changes), or a policy set. */
  policies: string | PolicySet;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** HTTP port; 0 picks a free one (default 0); false disables HTTP. */
  httpPort?: number | false;
  /** gRPC port; 0 picks a free one; false (default) disables gRPC. */
  grpcPort?: number | false;
  /** Require `authorization: Bearer <token>` on every request (HTTP and gRPC). */
  token?: string;
  /** `recommended_sync_interval_seconds` sent to clients (default 60). */
  syncIntervalSecs?: number;
  /** Watch the policy path for changes (default true). */
  watch?: boolean;
  /** Polling interval for the policy path, seconds (default 5). */
  filePollIntervalSecs?: number;
  /** Largest request body accepted, bytes (default 16 MiB). */
  maxBodyBytes?: number;
  /** Called on GET /shutdown; by default the server stops itself. */
  onShutdownRequest?: () => void;
  /** Where load problems go (default: stderr). */
  log?: (message: string) => void;
}

/** Counters and errors a server has received for one policy. */
export interface ReceivedPolicyStats {
  policy_id: string;
  hits: number;
  misses: number;
  errors: string[];
  remove?: { hits: number; misses: number };
  redact?: { hits: number; misses: number };
  rename?: { hits: number; misses: number };
  add?: { hits: number; misses: number };
}

/** The GET /stats document. */
export interface ReceivedStats {
  policies: ReceivedPolicyStats[];
  sync_requests: number;
  hash: string;
}

const STAGES = ['remove', 'redact', 'rename', 'add'] as const;

interface Accumulated {
  hits: number;
  misses: number;
  errors: Set<string>;
  stages: Record<(typeof STAGES)[number], { hits: number; misses: number }>;
}

const byteCompare = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * A policy sync server: serves a policy file or directory (reloaded on
 * change) over HTTP (`POST /v1/policy/sync`, proto JSON or binary protobuf)
 * and gRPC (`tero.policy.v1.PolicyService/Sync`), and accumulates what
 * clients report: hits and misses summed over every report, each distinct
 * error once per policy (`GET /stats`). `GET /shutdown` asks it to stop.
 */
export class PolicySyncServer {
  private readonly options: PolicySyncServerOptions;
  private policies: PolicyObject[] = [];
  private hash = '';
  private readonly received = new Map<string, Accumulated>();
  private http: HttpServer | undefined;
  private grpc: Grpc.Server | undefined;
  private file: FilePolicyProvider | undefined;
  private stopping: Promise<void> | undefined;
  /** Bound ports (after start()). */
  httpPort: number | undefined;
  grpcPort: number | undefined;
  /** Sync requests answered. */
  syncRequests = 0;
  /** The last sync request received (for diagnostics and tests). */
  lastRequest: SyncRequestObject | undefined;
  /** Times the served policy set changed. */
  reloads = 0;

  constructor(options: PolicySyncServerOptions) {
    this.options = options;
  }

  private log(message: string): void {
    (this.options.log ?? ((m: string) => process.stderr.write(`${m}\n`)))(message);
  }

  /** Load the policies and start listening. */
  async start(): Promise<void> {
    syncSchema();
    const src = this.options.policies;
    if (typeof src === 'string') {
      let loaded = false;
      let failure: Error | undefined;
      this.file = new FilePolicyProvider({ path: src, watch: this.options.watch ?? true, pollIntervalSecs: this.options.filePollIntervalSecs });
      await this.file.start({
        onPolicies: (set) => {
          loaded = true;
          this.setPolicies(set);
        },
        onError: (err) => {
          failure = err;
          this.log(`policy server: cannot load ${src}: ${err.message}${loaded ? ' (still serving the previous policies)' : ''}`);
        },
      });
      if (!loaded) {
        await this.file.shutdown();
        throw failure ?? new Error(`cannot load ${src}`);
      }
    } else {
      this.setPolicies(src);
    }
    try {
      if (this.options.httpPort !== false) await this.listenHttp(this.options.httpPort ?? 0);
      if (this.options.grpcPort !== undefined && this.options.grpcPort !== false) await this.listenGrpc(this.options.grpcPort);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Replace the served policy set. */
  setPolicies(set: PolicySet): void {
    const policies = policySetToProto(set);
    const hash = hashPolicies(policies);
    if (hash !== this.hash) this.reloads++;
    this.policies = policies;
    this.hash = hash;
  }

  /** The hash clients currently receive. */
  get currentHash(): string {
    return this.hash;
  }

  /** Answer one sync request (both transports). */
  handleSync(req: SyncRequestObject): SyncResponseObject {
    this.syncRequests++;
    this.lastRequest = req;
    for (const s of req.policyStatuses ?? []) {
      const id = s.id ?? '';
      let acc = this.received.get(id);
      if (!acc) {
        acc = { hits: 0, misses: 0, errors: new Set(), stages: { remove: { hits: 0, misses: 0 }, redact: { hits: 0, misses: 0 }, rename: { hits: 0, misses: 0 }, add: { hits: 0, misses: 0 } } };
        this.received.set(id, acc);
      }
      acc.hits += int64ToNumber(s.matchHits);
      acc.misses += int64ToNumber(s.matchMisses);
      for (const e of s.errors ?? []) acc.errors.add(e);
      for (const stage of STAGES) {
        const t = s[stage];
        if (!t) continue;
        acc.stages[stage].hits += int64ToNumber(t.hits);
        acc.stages[stage].misses += int64ToNumber(t.misses);
      }
    }
    return {
      policies: this.policies,
      hash: this.hash,
      syncTimestampUnixNano: nowUnixNano(),
      recommendedSyncIntervalSeconds: this.options.syncIntervalSecs ?? 60,
      syncType: 'SYNC_TYPE_FULL',
    };
  }

  /** What clients have reported, by policy ID. */
  stats(): ReceivedStats {
    const policies = [...this.received.entries()]
      .sort(([a], [b]) => byteCompare(a, b))
      .map(([id, acc]) => {
        const p: ReceivedPolicyStats = { policy_id: id, hits: acc.hits, misses: acc.misses, errors: [...acc.errors] };
        for (const stage of STAGES) if (acc.stages[stage].hits || acc.stages[stage].misses) p[stage] = { ...acc.stages[stage] };
        return p;
      });
    return { policies, sync_requests: this.syncRequests, hash: this.hash };
  }

  /** Forget the received stats. */
  resetStats(): void {
    this.received.clear();
    this.syncRequests = 0;
  }

  private authorized(header: string | undefined): boolean {
    const token = this.options.token;
    if (!token) return true;
    if (!header) return false;
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!m) return false;
    const a = Buffer.from(m[1]);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private listenHttp(port: number): Promise<void> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((err) => {
        if (!res.headersSent) reply(res, 500, 'text/plain', `internal error: ${(err as Error).message}\n`);
        else res.destroy();
      });
    });
    // Idle keep-alive connections must not hold a stop() up for long.
    server.keepAliveTimeout = 2000;
    this.http = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        this.httpPort = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!this.authorized(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer');
      reply(res, 401, 'text/plain', 'unauthorized\n');
      req.resume();
      return;
    }
    switch (url.pathname) {
      case '/v1/policy/sync': {
        if (req.method !== 'POST') return methodNotAllowed(req, res, 'POST');
        const encoding = encodingOf(req.headers['content-type']);
        if (!encoding) {
          req.resume();
          reply(res, 415, 'text/plain', `unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}; use ${JSON_CONTENT_TYPE} or ${PROTOBUF_CONTENT_TYPE}\n`);
          return;
        }
        let body: Buffer;
        try {
          body = await readBody(req, this.options.maxBodyBytes ?? 16 * 1024 * 1024);
        } catch (err) {
          reply(res, 413, 'text/plain', `${(err as Error).message}\n`);
          return;
        }
        let request: SyncRequestObject;
        try {
          request = decodeSyncRequest(body, encoding);
        } catch (err) {
          reply(res, 400, 'text/plain', `${err instanceof SyncDecodeError ? err.message : 'bad request'}\n`);
          return;
        }
        const response = this.handleSync(request);
        reply(res, 200, encoding === 'json' ? JSON_CONTENT_TYPE : PROTOBUF_CONTENT_TYPE, encodeSyncResponse(response, encoding));
        return;
      }
      case '/stats':
        if (req.method !== 'GET') return methodNotAllowed(req, res, 'GET');
        reply(res, 200, JSON_CONTENT_TYPE, JSON.stringify(this.stats()) + '\n');
        return;
      case '/shutdown':
        if (req.method !== 'GET' && req.method !== 'POST') return methodNotAllowed(req, res, 'GET, POST');
        req.resume();
        reply(res, 200, 'text/plain', 'shutting down\n');
        res.once('finish', () => {
          if (this.options.onShutdownRequest) this.options.onShutdownRequest();
          else void this.stop();
        });
        return;
      default:
        req.resume();
        reply(res, 404, 'text/plain', 'not found\n');
    }
  }

  private async listenGrpc(port: number): Promise<void> {
    const grpc = await loadGrpc();
    const server = new grpc.Server();
    const definition: Grpc.ServiceDefinition = {
      sync: {
        path: SYNC_METHOD_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: (v: unknown) => Buffer.from(syncSchema().SyncRequest.encode(syncSchema().SyncRequest.fromObject(v as object)).finish()),
        requestDeserialize: (buf: Buffer) => decodeSyncRequestBinary(buf),
        responseSerialize: (v: SyncResponseObject) => Buffer.from(encodeSyncResponseBinary(v)),
        responseDeserialize: (buf: Buffer) => syncSchema().SyncResponse.toObject(syncSchema().SyncResponse.decode(buf)),
      },
    };
    server.addService(definition, {
      sync: (call: Grpc.ServerUnaryCall<SyncRequestObject, SyncResponseObject>, callback: Grpc.sendUnaryData<SyncResponseObject>) => {
        const auth = call.metadata.get('authorization')[0];
        if (!this.authorized(typeof auth === 'string' ? auth : auth?.toString())) {
          callback({ code: grpc.status.UNAUTHENTICATED, details: 'unauthorized' });
          return;
        }
        try {
          callback(null, this.handleSync(call.request));
        } catch (err) {
          callback({ code: grpc.status.INTERNAL, details: (err as Error).message });
        }
      },
    });
    const host = this.options.host ?? '127.0.0.1';
    const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
    this.grpc = server;
    this.grpcPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
    });
  }

  /** Stop listening and watching (idempotent). */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const waits: Promise<unknown>[] = [];
    if (this.file) waits.push(this.file.shutdown());
    const http = this.http;
    if (http) {
      waits.push(new Promise<void>((resolve) => http.close(() => resolve())));
      http.closeIdleConnections();
      // Give in-flight answers (such as the /shutdown reply) a moment, then cut what remains.
      const t = setTimeout(() => http.closeAllConnections(), 1000);
      t.unref();
    }
    const grpc = this.grpc;
    if (grpc) {
      waits.push(
        new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            grpc.forceShutdown();
            resolve();
          }, 1000);
          t.unref();
          grpc.tryShutdown(() => {
            clearTimeout(t);
            resolve();
          });
        }),
      );
    }
    await Promise.all(waits);
  }
}

function reply(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function methodNotAllowed(req: IncomingMessage, res: ServerResponse, allow: string): void {
  req.resume();
  res.setHeader('allow', allow);
  reply(res, 405, 'text/plain', 'method not allowed\n');
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > max) {
        failed = true;
        reject(new Error(`request body exceeds ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
      failed = true;
    });
  });
}
