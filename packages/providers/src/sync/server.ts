import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type * as Grpc from '@grpc/grpc-js';
import type { PolicySet } from '@otel-policy/core';
import { FilePolicyProvider } from '../file-provider.js';
import { loadGrpc } from './grpc-provider.js';
import { decodeSyncRequest, decodeSyncRequestBinary, encodeSyncResponse, encodeSyncResponseBinary, encodingOf, nowUnixNano } from './codec.js';
import { hashPolicies, policySetToProto } from './policy-to-wire.js';
import { syncSchema, JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE, SYNC_METHOD_PATH } from '@otel-policy/proto';
import { SyncDecodeError, type PolicyObject, type SyncRequestObject, type SyncResponseObject } from './messages.js';
import type { DecodeLimits } from './decode-limits.js';
import {
  byteCompare,
  count,
  DEFAULT_MAX_BODY_BYTES,
  MAX_ERRORS_PER_POLICY,
  MAX_ERROR_BYTES,
  MAX_REQUEST_DEPTH,
  MIN_REQUEST_VALUES,
  STAGES,
  truncateUtf8,
  type Accumulated,
  type PolicySyncServerOptions,
  type ReceivedPolicyStats,
  type ReceivedStats,
} from './server-options.js';
import { BodyTooLarge, answerCors, methodNotAllowed, oneLine, readBody, refuse, reply, shutdownRefusal } from './server-http.js';

export { DEFAULT_MAX_BODY_BYTES, MAX_ERRORS_PER_POLICY, MAX_ERROR_BYTES, type PolicySyncServerOptions, type ReceivedPolicyStats, type ReceivedStats } from './server-options.js';

/**
 * A policy sync server: serves a policy file or directory (reloaded on
 * change) over HTTP (`POST /v1/policy/sync`, proto JSON or binary protobuf)
 * and gRPC (`tero.policy.v1.PolicyService/Sync`), and accumulates what
 * clients report: hits and misses summed over every report, each distinct
 * error once per policy (`GET /stats`), for the policies it has served only
 * (reports for other IDs are counted, not kept). `POST /shutdown` asks it
 * to stop (see {@link PolicySyncServerOptions.onShutdownRequest}).
 */
export class PolicySyncServer {
  private readonly options: PolicySyncServerOptions;
  private policies: PolicyObject[] = [];
  /** IDs of every policy served so far: the only ones whose reported stats are kept. */
  private servedIds = new Set<string>();
  private unknownReports = 0;
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
      this.file = new FilePolicyProvider({ path: src, watch: this.options.watch ?? true, pollIntervalSecs: this.options.filePollIntervalSecs });
      try {
        // Read now, synchronously: the policies are in place before anything
        // listens, and a file that cannot be loaded fails start() with its
        // error alone (no log line besides).
        this.setPolicies(this.file.loadSync());
      } catch (err) {
        await this.file.shutdown();
        throw err;
      }
      await this.file.start({
        onPolicies: (set) => this.setPolicies(set),
        onError: (err) => this.log(`policy server: cannot load ${src}: ${err.message} (still serving the previous policies)`),
      });
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

  /** Replace the served policy set (stats of policies served before are kept: late reports still count). */
  setPolicies(set: PolicySet): void {
    const policies = policySetToProto(set);
    const hash = hashPolicies(policies);
    if (hash !== this.hash) this.reloads++;
    this.policies = policies;
    // Every ID served so far: a client still reporting a policy the last reload removed (its final report, say)
    // is counted; the set grows only with what the operator serves, never with what clients send.
    for (const p of policies) this.servedIds.add(String(p.id ?? ''));
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
    for (const s of Array.isArray(req.policyStatuses) ? req.policyStatuses : []) {
      if (s === null || typeof s !== 'object') continue;
      const id = typeof s.id === 'string' ? s.id : '';
      // Only policies this server has served are kept: reports for any other
      // ID (mistaken or invented) are counted in one number.
      if (!this.servedIds.has(id)) {
        this.unknownReports++;
        continue;
      }
      let acc = this.received.get(id);
      if (!acc) {
        acc = {
          hits: 0,
          misses: 0,
          errors: new Set(),
          errorsDropped: 0,
          stages: { remove: { hits: 0, misses: 0 }, redact: { hits: 0, misses: 0 }, rename: { hits: 0, misses: 0 }, add: { hits: 0, misses: 0 } },
        };
        this.received.set(id, acc);
      }
      acc.hits += count(s.matchHits);
      acc.misses += count(s.matchMisses);
      for (const e of Array.isArray(s.errors) ? s.errors : []) {
        const text = truncateUtf8(String(e), MAX_ERROR_BYTES);
        if (acc.errors.has(text)) continue;
        if (acc.errors.size >= MAX_ERRORS_PER_POLICY) acc.errorsDropped++;
        else acc.errors.add(text);
      }
      for (const stage of STAGES) {
        const t = s[stage];
        if (!t || typeof t !== 'object') continue;
        acc.stages[stage].hits += count(t.hits);
        acc.stages[stage].misses += count(t.misses);
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
        if (acc.errorsDropped > 0) p.errors_dropped = acc.errorsDropped;
        for (const stage of STAGES) if (acc.stages[stage].hits || acc.stages[stage].misses) p[stage] = { ...acc.stages[stage] };
        return p;
      });
    return { policies, sync_requests: this.syncRequests, hash: this.hash, unknown_policy_reports: this.unknownReports };
  }

  /** Forget the received stats. */
  resetStats(): void {
    this.received.clear();
    this.syncRequests = 0;
    this.unknownReports = 0;
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
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      this.route(req, res).catch((err) => {
        if (!res.headersSent) reply(res, 500, 'text/plain', `internal error: ${(err as Error).message}\n`);
        else res.destroy();
      });
    };
    const tls = this.options.tls;
    const server: HttpServer = tls
      ? createHttpsServer({ cert: tls.cert, key: tls.key, ca: tls.clientCa, requestCert: tls.clientCa !== undefined, rejectUnauthorized: tls.clientCa !== undefined }, onRequest)
      : createServer(onRequest);
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

  /**
   * Every answer but a 200 is given without reading the body (401 comes
   * first of all), in one line of text/plain.
   */
  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      return refuse(req, res, 400, 'bad request target');
    }
    // A browser's preflight carries no credentials: answered before the token is checked.
    if (pathname === '/v1/policy/sync' && answerCors(req, res, this.options.corsAllowedOrigins ?? [])) return;
    if (!this.authorized(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer');
      return refuse(req, res, 401, 'unauthorized');
    }
    switch (pathname) {
      case '/v1/policy/sync': {
        if (req.method !== 'POST') return methodNotAllowed(req, res, 'POST');
        const encoding = encodingOf(req.headers['content-type']);
        if (!encoding) {
          return refuse(req, res, 415, `unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}; use ${JSON_CONTENT_TYPE} or ${PROTOBUF_CONTENT_TYPE}`);
        }
        const max = this.maxBodyBytes;
        const declared = Number(req.headers['content-length']);
        if (Number.isFinite(declared) && declared > max) return refuse(req, res, 413, `request body of ${declared} bytes exceeds the limit of ${max} bytes`);
        let body: Buffer;
        try {
          body = await readBody(req, max);
        } catch (err) {
          return refuse(req, res, err instanceof BodyTooLarge ? 413 : 400, oneLine((err as Error).message));
        }
        let request: SyncRequestObject;
        try {
          request = decodeSyncRequest(body, encoding, this.decodeLimits);
        } catch (err) {
          return refuse(req, res, 400, err instanceof SyncDecodeError ? oneLine(err.message) : 'bad request');
        }
        const response = this.handleSync(request);
        reply(res, 200, encoding === 'json' ? JSON_CONTENT_TYPE : PROTOBUF_CONTENT_TYPE, encodeSyncResponse(response, encoding));
        return;
      }
      case '/stats':
        if (req.method !== 'GET') return methodNotAllowed(req, res, 'GET');
        reply(res, 200, JSON_CONTENT_TYPE, JSON.stringify(this.stats()) + '\n');
        return;
      case '/shutdown': {
        if (req.method !== 'POST') return methodNotAllowed(req, res, 'POST');
        const refusal = shutdownRefusal(req, this.options.token !== undefined && this.options.token !== '');
        if (refusal) return refuse(req, res, 403, refusal);
        req.resume();
        reply(res, 200, 'text/plain', 'shutting down\n');
        res.once('finish', () => {
          if (this.options.onShutdownRequest) this.options.onShutdownRequest();
          else void this.stop();
        });
        return;
      }
      default:
        return refuse(req, res, 404, 'not found');
    }
  }

  /**
   * What one request may hold: values enough for a status of every policy
   * served (and more), so that decoding one costs bounded time and memory.
   */
  private get decodeLimits(): DecodeLimits {
    return { maxDepth: MAX_REQUEST_DEPTH, maxValues: Math.max(MIN_REQUEST_VALUES, 20 * this.servedIds.size) };
  }

  private get maxBodyBytes(): number {
    const max = this.options.maxBodyBytes;
    return max !== undefined && Number.isFinite(max) && max > 0 ? Math.floor(max) : DEFAULT_MAX_BODY_BYTES;
  }

  private async listenGrpc(port: number): Promise<void> {
    const grpc = await loadGrpc();
    // A larger message is refused (RESOURCE_EXHAUSTED) by grpc-js before it reaches the handler.
    const server = new grpc.Server({ 'grpc.max_receive_message_length': this.maxBodyBytes });
    const definition: Grpc.ServiceDefinition = {
      sync: {
        path: SYNC_METHOD_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: (v: unknown) =>
          Buffer.from(
            syncSchema()
              .SyncRequest.encode(syncSchema().SyncRequest.fromObject(v as object))
              .finish(),
          ),
        // Decoded in the handler, after the token check: an unauthenticated caller costs no decoding.
        requestDeserialize: (buf: Buffer) => buf,
        responseSerialize: (v: SyncResponseObject) => Buffer.from(encodeSyncResponseBinary(v)),
        responseDeserialize: (buf: Buffer) => syncSchema().SyncResponse.toObject(syncSchema().SyncResponse.decode(buf)),
      },
    };
    server.addService(definition, {
      sync: (call: Grpc.ServerUnaryCall<Buffer, SyncResponseObject>, callback: Grpc.sendUnaryData<SyncResponseObject>) => {
        const auth = call.metadata.get('authorization')[0];
        if (!this.authorized(typeof auth === 'string' ? auth : auth?.toString())) {
          callback({ code: grpc.status.UNAUTHENTICATED, details: 'unauthorized' });
          return;
        }
        let request: SyncRequestObject;
        try {
          request = decodeSyncRequestBinary(call.request, this.decodeLimits);
        } catch (err) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: err instanceof SyncDecodeError ? oneLine(err.message) : 'bad request' });
          return;
        }
        try {
          callback(null, this.handleSync(request));
        } catch (err) {
          callback({ code: grpc.status.INTERNAL, details: (err as Error).message });
        }
      },
    });
    const host = this.options.host ?? '127.0.0.1';
    const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
    this.grpc = server;
    this.grpcPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, this.grpcCredentials(grpc), (err, bound) => (err ? reject(err) : resolve(bound)));
    });
  }

  /** TLS when {@link PolicySyncServerOptions.tls} is set (client certificates required with `clientCa`), else plaintext. */
  private grpcCredentials(grpc: typeof Grpc): Grpc.ServerCredentials {
    const tls = this.options.tls;
    if (!tls) return grpc.ServerCredentials.createInsecure();
    const ca = tls.clientCa === undefined ? null : Buffer.from(tls.clientCa);
    return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], ca !== null);
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
