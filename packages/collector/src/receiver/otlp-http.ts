/**
 * The OTLP/HTTP receiver: POST /v1/logs, /v1/traces, /v1/metrics with a
 * protobuf or JSON body (gzip or deflate Content-Encoding), answered in the
 * request's encoding as the OTLP specification says: 200 with an Export
 * response (partial_success when records were rejected), 400 with a
 * google.rpc.Status naming the reason, 413 over the size limit (checked
 * before and after decompression), 415 for an unsupported Content-Type or
 * Content-Encoding, 429 / 503 with Retry-After.
 *
 * Bodies are streamed: a compressed body is inflated as it arrives and
 * reading stops as soon as the per-request limit or the receiver's budget of
 * in-flight bytes (admission.ts) is exceeded, so a gzip bomb never inflates
 * past the limit and many of them together are refused with 429 rather than
 * held. Slow clients are bounded by the server's timeouts (headers, whole
 * request, idle keep-alive); on shutdown idle connections close at once,
 * connections still sending a request are cut after a short grace, and
 * requests being processed finish (or are cut at the shutdown deadline).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import type { HttpReceiverConfig } from '../config/config.js';
import { formatEndpoint } from '../config/values.js';
import type { Logger } from '../logger.js';
import { encodeResponse, OtlpDecodeError } from '../otlp/request.js';
import { readRequest } from '../otlp/payload.js';
import { encodeStatus, GrpcCode } from '../otlp/status.js';
import { JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE, type Encoding } from '../otlp/shape.js';
import { mediaTypeOf, SIGNALS, type SignalType } from '@otel-policy/proto';
import { admissionMessage, type AdmissionBudget, type AdmissionLease } from './admission.js';
import type { ConsumeResult, ConsumerLookup } from './consumer.js';
import type { ReceiverMetrics } from './metrics.js';
import type { Authenticator } from '../extension/authenticator.js';
import { Cors } from './cors.js';
import { readTlsMaterial } from './tls-server-config.js';

/** Over the per-request limit: 413. */
class TooLarge extends Error {}
/** Over the receiver's in-flight budget: 429. */
class OverBudget extends Error {}
/** A body that cannot be decompressed: 400. */
class BadBody extends Error {}

export class OtlpHttpReceiver {
  private server: http.Server | undefined;
  private readonly routes = new Map<string, SignalType>();
  private stopping = false;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  /** Open connections; those with a request being served; those whose request is past reading its body. */
  private readonly sockets = new Set<Socket>();
  /** TLS connections still in their handshake: their TCP sockets, by peer address. */
  private readonly handshaking = new Map<string, Socket>();
  private readonly active = new Set<Socket>();
  private readonly processing = new Set<Socket>();
  private readonly log: Logger;
  /** The bound address, once started. */
  address: AddressInfo | undefined;
  private readonly cors: Cors | undefined;

  constructor(
    readonly id: string,
    private readonly config: HttpReceiverConfig,
    private readonly consumers: ConsumerLookup,
    logger: Logger,
    private readonly metrics: ReceiverMetrics,
    private readonly budget: AdmissionBudget,
    private readonly auth?: Authenticator,
  ) {
    this.log = logger.with({ kind: 'receiver', name: id, transport: 'http' });
    this.cors = config.cors && config.cors.allowedOrigins.length > 0 ? new Cors(config.cors) : undefined;
    for (const s of SIGNALS) this.routes.set(config.paths[s], s);
  }

  async start(): Promise<AddressInfo> {
    const c = this.config;
    const shortest = c.readTimeoutMs > 0 ? Math.min(c.readHeaderTimeoutMs, c.readTimeoutMs) : c.readHeaderTimeoutMs;
    const options: http.ServerOptions = {
      keepAliveTimeout: c.idleTimeoutMs,
      headersTimeout: c.readHeaderTimeoutMs,
      requestTimeout: c.readTimeoutMs,
      // How often Node checks those timeouts (its default, 30 s, would let a slow client stay that much longer).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(shortest / 4))),
    };
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    let server: http.Server;
    if (c.tls === undefined) server = http.createServer(options, onRequest);
    else {
      // TLS: with client_ca_file, a client without a certificate signed by that CA fails the handshake.
      const m = readTlsMaterial(c.tls);
      // A client that connects and never finishes its handshake is cut as one that never sends its headers (Node's default: 120 s).
      const handshakeTimeout = c.readHeaderTimeoutMs > 0 ? c.readHeaderTimeoutMs : undefined;
      server = https.createServer(
        { ...options, cert: m.cert, key: m.key, ca: m.ca, requestCert: m.ca !== undefined, rejectUnauthorized: m.ca !== undefined, minVersion: m.minVersion, handshakeTimeout },
        onRequest,
      );
    }
    server.on(c.tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
      if (c.tls !== undefined) this.handshaking.delete(`${socket.remoteAddress}:${socket.remotePort}`);
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    if (c.tls !== undefined) {
      // Until its handshake ends, a TLS connection is only its TCP socket, which the server does not count as one of
      // its connections: tracked here (by peer address, which the TLS socket shares) so that stopping can close it.
      server.on('connection', (raw: Socket) => {
        const key = `${raw.remoteAddress}:${raw.remotePort}`;
        this.handshaking.set(key, raw);
        raw.once('close', () => this.handshaking.delete(key));
      });
    }
    this.server = server;
    const { host, port } = this.config.endpoint;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host || undefined, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`cannot listen on ${formatEndpoint(host, port)} for the OTLP/HTTP receiver "${this.id}": ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`);
    });
    this.address = server.address() as AddressInfo;
    this.log.info('Starting HTTP server', { tls: c.tls !== undefined, endpoint: formatEndpoint(this.address.address, this.address.port) });
    return this.address;
  }

  /**
   * Stop accepting and close idle connections at once; after `graceMs`, cut
   * the connections still sending a request (or not sending anything); let
   * requests being processed finish, until {@link cut}.
   */
  async stop(graceMs = 5000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Idle: kept alive between requests, or connected without a whole request yet (slow headers).
    server.closeIdleConnections();
    for (const s of this.sockets) if (!this.active.has(s)) s.destroy();
    for (const s of this.handshaking.values()) s.destroy();
    const grace = setTimeout(() => {
      for (const s of this.sockets) if (!this.processing.has(s)) s.destroy();
    }, graceMs);
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    clearTimeout(grace);
    server.closeAllConnections();
    await closed;
    this.server = undefined;
  }

  /** The shutdown deadline: close every connection now and stop waiting for requests in flight. */
  cut(): void {
    this.server?.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    for (const s of this.handshaking.values()) s.destroy();
    this.idle?.();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.inFlight++;
    this.active.add(req.socket);
    const lease = this.budget.lease();
    try {
      await this.serve(req, res, lease);
    } catch (err) {
      this.log.error('request failed', { error: err });
      if (!res.headersSent) this.reply(res, 500, 'proto', GrpcCode.INTERNAL, 'internal error');
    } finally {
      lease.release();
      this.active.delete(req.socket);
      this.processing.delete(req.socket);
      if (--this.inFlight === 0 && this.idle) this.idle();
    }
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse, lease: AdmissionLease): Promise<void> {
    if (this.stopping) res.setHeader('connection', 'close');
    // A browser's preflight carries no credentials: answered before authentication.
    if (this.cors?.handle(req, res)) return;
    // Before anything of the request is routed or read.
    if (this.auth !== undefined && !this.auth.authenticate(headerValue(req.headers[this.auth.header]))) {
      this.metrics.refusedAuth(this.id, 'http');
      return this.plain(req, res, 401, 'missing or invalid credentials');
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const signal = this.routes.get(q < 0 ? url : url.slice(0, q));
    const consume = signal === undefined ? undefined : this.consumers(this.id, signal);
    if (signal === undefined || consume === undefined) return this.plain(req, res, 404, '404 page not found');
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return this.plain(req, res, 405, `${req.method} method not allowed, supported: [POST]`);
    }
    const mime = mediaTypeOf(req.headers['content-type']);
    const encoding: Encoding | undefined = mime === JSON_CONTENT_TYPE ? 'json' : mime === PROTOBUF_CONTENT_TYPE || mime === 'application/protobuf' ? 'proto' : undefined;
    if (encoding === undefined) return this.plain(req, res, 415, `${mime || 'missing'} Content-Type is not supported, supported: [${JSON_CONTENT_TYPE}, ${PROTOBUF_CONTENT_TYPE}]`);
    if (this.stopping) return this.drainAndReply(req, res, 503, encoding, GrpcCode.UNAVAILABLE, 'the service is shutting down', 1);
    const contentEncoding = String(req.headers['content-encoding'] ?? 'identity')
      .trim()
      .toLowerCase();
    if (!['identity', '', 'gzip', 'x-gzip', 'deflate'].includes(contentEncoding)) {
      return this.drainAndReply(req, res, 415, encoding, GrpcCode.INVALID_ARGUMENT, `unsupported Content-Encoding "${contentEncoding}", supported: [gzip, deflate]`);
    }
    const max = this.config.maxRequestBodySize;
    const declared = Number(req.headers['content-length']);
    if (declared > max) return this.tooLarge(req, res, encoding, `request body of ${declared} bytes exceeds the limit of ${max} bytes`);
    const identity = contentEncoding === 'identity' || contentEncoding === '';
    // Bytes are taken from the budget as they arrive, not as declared: a
    // client announcing a large body and sending nothing holds nothing.
    let body: Buffer;
    try {
      body = await receive(req, identity ? undefined : contentEncoding, max, lease);
    } catch (err) {
      if (err instanceof TooLarge) return this.tooLarge(req, res, encoding, err.message);
      if (err instanceof OverBudget) return this.overBudget(req, res, encoding);
      if (err instanceof BadBody) return this.drainAndReply(req, res, 400, encoding, GrpcCode.INVALID_ARGUMENT, err.message);
      this.log.debug('cannot read the request body', { error: err });
      req.destroy();
      return;
    }
    this.processing.add(req.socket);
    let decoded;
    try {
      decoded = readRequest(signal, body, encoding);
    } catch (err) {
      // readRequest throws only OtlpDecodeError; anything else is still the body's fault.
      this.metrics.refused(this.id, 'http', signal, 0);
      const message = err instanceof OtlpDecodeError ? err.message : `cannot decode the request: ${(err as Error)?.message ?? String(err)}`;
      return this.reply(res, 400, encoding, GrpcCode.INVALID_ARGUMENT, message);
    }
    const result = await consume(decoded);
    if (result.status === 'ok') {
      this.metrics.accepted(this.id, 'http', signal, decoded.records);
      if (decoded.rejected > 0) this.metrics.refused(this.id, 'http', signal, decoded.rejected);
      res.statusCode = 200;
      res.setHeader('content-type', encoding === 'json' ? JSON_CONTENT_TYPE : PROTOBUF_CONTENT_TYPE);
      res.end(encodeResponse(signal, decoded.rejected, decoded.rejectMessage, encoding));
      return;
    }
    this.metrics.refused(this.id, 'http', signal, decoded.records + decoded.rejected);
    this.answer(res, result, encoding);
  }

  private answer(res: http.ServerResponse, r: ConsumeResult, encoding: Encoding): void {
    switch (r.status) {
      case 'queue_full':
        return this.reply(res, 429, encoding, GrpcCode.RESOURCE_EXHAUSTED, r.message ?? 'sending queue is full', r.retryAfterSecs ?? 1);
      case 'permanent':
        return this.reply(res, 400, encoding, GrpcCode.INVALID_ARGUMENT, r.message ?? 'the data was rejected downstream');
      case 'shutting_down':
        res.setHeader('connection', 'close');
        return this.reply(res, 503, encoding, GrpcCode.UNAVAILABLE, r.message ?? 'the service is shutting down', r.retryAfterSecs ?? 1);
      default:
        return this.reply(res, 503, encoding, GrpcCode.UNAVAILABLE, r.message ?? 'export failed', r.retryAfterSecs);
    }
  }

  /** An error response: a google.rpc.Status in the request's encoding. */
  private reply(res: http.ServerResponse, status: number, encoding: Encoding, code: number, message: string, retryAfterSecs?: number): void {
    if (status >= 500 || status === 429 || status === 400) this.log.debug('request refused', { status, message });
    res.statusCode = status;
    res.setHeader('content-type', encoding === 'json' ? JSON_CONTENT_TYPE : PROTOBUF_CONTENT_TYPE);
    if (retryAfterSecs !== undefined) res.setHeader('retry-after', String(retryAfterSecs));
    res.end(encodeStatus(code, message, encoding, retryAfterSecs));
  }

  /** Reply without reading a body we will not use; the connection is closed after it. */
  private drainAndReply(req: http.IncomingMessage, res: http.ServerResponse, status: number, encoding: Encoding, code: number, message: string, retryAfterSecs?: number): void {
    res.setHeader('connection', 'close');
    req.resume();
    this.reply(res, status, encoding, code, message, retryAfterSecs);
  }

  private tooLarge(req: http.IncomingMessage, res: http.ServerResponse, encoding: Encoding, message: string): void {
    this.drainAndReply(req, res, 413, encoding, GrpcCode.INVALID_ARGUMENT, message);
  }

  private overBudget(req: http.IncomingMessage, res: http.ServerResponse, encoding: Encoding): void {
    this.metrics.refusedAdmission(this.id, 'http');
    this.drainAndReply(req, res, 429, encoding, GrpcCode.RESOURCE_EXHAUSTED, admissionMessage(this.budget.limit), 1);
  }

  private plain(req: http.IncomingMessage, res: http.ServerResponse, status: number, text: string): void {
    req.resume();
    res.statusCode = status;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(`${text}\n`);
  }
}

const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The zlib wrapper's first byte (CMF: deflate, window <= 32 KiB); raw deflate never starts so in practice. */
const looksZlib = (b: number): boolean => (b & 0x0f) === 8 && b >> 4 <= 7;

/**
 * Read a request body, inflating it as it arrives when `compression` is set;
 * every byte kept is taken from `lease`. Rejects with TooLarge over `max` bytes (compressed or not),
 * OverBudget when the lease cannot grow, BadBody for undecodable
 * compression, or another error when the client goes away. Reading stops
 * at the first of these: nothing is inflated past the limit.
 */
function receive(req: http.IncomingMessage, compression: string | undefined, max: number, lease: AdmissionLease): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let compressed = 0;
    let done = false;
    let inflater: zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | undefined;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      chunks.length = 0;
      inflater?.destroy();
      reject(err);
    };
    const finish = () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const keep = (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) return fail(new TooLarge(compression ? `decompressed request body exceeds the limit of ${max} bytes` : `request body exceeds the limit of ${max} bytes`));
      if (!lease.take(c.length)) return fail(new OverBudget());
      chunks.push(c);
    };
    const open = (first: number) => {
      const z = compression === 'deflate' ? (looksZlib(first) ? zlib.createInflate() : zlib.createInflateRaw()) : zlib.createGunzip();
      z.on('data', keep);
      z.on('end', finish);
      z.on('error', (err) => fail(new BadBody(`cannot decompress the ${compression} body: ${err.message}`)));
      z.on('drain', () => req.resume());
      return z;
    };
    req.on('data', (c: Buffer) => {
      if (done) return;
      if (compression === undefined) return keep(c);
      compressed += c.length;
      if (compressed > max) return fail(new TooLarge(`request body exceeds the limit of ${max} bytes`));
      inflater ??= open(c[0]);
      if (!inflater.write(c)) req.pause();
    });
    req.on('end', () => {
      if (compression === undefined) return finish();
      if (done) return;
      if (!inflater) return fail(new BadBody(`cannot decompress the ${compression} body: the body is empty`));
      inflater.end();
    });
    req.on('error', fail);
    req.on('close', () => {
      if (!req.complete) fail(new Error('request aborted'));
    });
  });
}
