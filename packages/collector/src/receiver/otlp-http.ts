/**
 * The OTLP/HTTP receiver: POST /v1/logs, /v1/traces, /v1/metrics with a
 * protobuf or JSON body (gzip or deflate Content-Encoding), answered in the
 * request's encoding as the OTLP specification says: 200 with an Export
 * response (partial_success when records were rejected), 400 with a
 * google.rpc.Status naming the reason, 413 over the size limit (checked
 * before and after decompression), 415 for an unsupported Content-Type or
 * Content-Encoding, 429 / 503 with Retry-After.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { HttpReceiverConfig } from '../config/config.js';
import { formatEndpoint } from '../config/values.js';
import type { Logger } from '../logger.js';
import { decodeRequest, encodeResponse, encodeStatus, GrpcCode, JSON_CONTENT_TYPE, OtlpDecodeError, PROTOBUF_CONTENT_TYPE, type Encoding } from '../otlp/codec.js';
import { SIGNALS, type SignalType } from '../otlp/schema.js';
import type { ConsumeResult, ConsumerLookup } from './consumer.js';
import type { ReceiverMetrics } from './metrics.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);

class TooLarge extends Error {}

export class OtlpHttpReceiver {
  private server: http.Server | undefined;
  private readonly routes = new Map<string, SignalType>();
  private stopping = false;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private readonly log: Logger;
  /** The bound address, once started. */
  address: AddressInfo | undefined;

  constructor(
    readonly id: string,
    private readonly config: HttpReceiverConfig,
    private readonly consumers: ConsumerLookup,
    logger: Logger,
    private readonly metrics: ReceiverMetrics,
  ) {
    this.log = logger.with({ kind: 'receiver', name: id, transport: 'http' });
    for (const s of SIGNALS) this.routes.set(config.paths[s], s);
  }

  async start(): Promise<AddressInfo> {
    const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => void this.handle(req, res));
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
    this.log.info('Starting HTTP server', { endpoint: formatEndpoint(this.address.address, this.address.port) });
    return this.address;
  }

  /** Stop accepting, let in-flight requests finish, close connections. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    server.closeAllConnections();
    await closed;
    this.server = undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.inFlight++;
    try {
      await this.serve(req, res);
    } catch (err) {
      this.log.error('request failed', { error: err });
      if (!res.headersSent) this.reply(res, 500, 'proto', GrpcCode.INTERNAL, 'internal error');
    } finally {
      if (--this.inFlight === 0 && this.idle) this.idle();
    }
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.stopping) res.setHeader('connection', 'close');
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const signal = this.routes.get(q < 0 ? url : url.slice(0, q));
    const consume = signal === undefined ? undefined : this.consumers(this.id, signal);
    if (signal === undefined || consume === undefined) return this.plain(req, res, 404, '404 page not found');
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return this.plain(req, res, 405, `${req.method} method not allowed, supported: [POST]`);
    }
    const mime = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const encoding: Encoding | undefined = mime === JSON_CONTENT_TYPE ? 'json' : mime === PROTOBUF_CONTENT_TYPE || mime === 'application/protobuf' ? 'proto' : undefined;
    if (encoding === undefined) return this.plain(req, res, 415, `${mime || 'missing'} Content-Type is not supported, supported: [${JSON_CONTENT_TYPE}, ${PROTOBUF_CONTENT_TYPE}]`);
    if (this.stopping) return this.drainAndReply(req, res, 503, encoding, GrpcCode.UNAVAILABLE, 'the service is shutting down', 1);
    const contentEncoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (!['identity', '', 'gzip', 'x-gzip', 'deflate'].includes(contentEncoding)) {
      return this.drainAndReply(req, res, 415, encoding, GrpcCode.INVALID_ARGUMENT, `unsupported Content-Encoding "${contentEncoding}", supported: [gzip, deflate]`);
    }
    const max = this.config.maxRequestBodySize;
    const declared = Number(req.headers['content-length']);
    if (declared > max) return this.tooLarge(req, res, encoding, `request body of ${declared} bytes exceeds the limit of ${max} bytes`);
    let body: Buffer;
    try {
      body = await readBody(req, max);
    } catch (err) {
      if (err instanceof TooLarge) return this.tooLarge(req, res, encoding, err.message);
      this.log.debug('cannot read the request body', { error: err });
      req.destroy();
      return;
    }
    if (contentEncoding !== 'identity' && contentEncoding !== '') {
      try {
        body = await decompress(body, contentEncoding, max);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
          return this.reply(res, 413, encoding, GrpcCode.INVALID_ARGUMENT, `decompressed request body exceeds the limit of ${max} bytes`);
        }
        return this.reply(res, 400, encoding, GrpcCode.INVALID_ARGUMENT, `cannot decompress the ${contentEncoding} body: ${(err as Error).message}`);
      }
    }
    let decoded;
    try {
      decoded = decodeRequest(signal, body, encoding);
    } catch (err) {
      if (err instanceof OtlpDecodeError) {
        this.metrics.refused(this.id, 'http', signal, 0);
        return this.reply(res, 400, encoding, GrpcCode.INVALID_ARGUMENT, err.message);
      }
      throw err;
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

  private plain(req: http.IncomingMessage, res: http.ServerResponse, status: number, text: string): void {
    req.resume();
    res.statusCode = status;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(`${text}\n`);
  }
}

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        chunks.length = 0;
        reject(new TooLarge(`request body exceeds the limit of ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!done) reject(err);
      done = true;
    });
    req.on('aborted', () => {
      if (!done) reject(new Error('request aborted'));
      done = true;
    });
  });
}

async function decompress(body: Buffer, encoding: string, max: number): Promise<Buffer> {
  const opts = { maxOutputLength: max };
  if (encoding === 'gzip' || encoding === 'x-gzip') return gunzip(body, opts);
  try {
    return await inflate(body, opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw err;
    // Some clients send raw deflate without the zlib wrapper.
    return inflateRaw(body, opts);
  }
}
