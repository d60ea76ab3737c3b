/**
 * A minimal OTLP server (HTTP and gRPC) that records what it receives: the
 * target of the tests and the benchmark, and handy for trying the service
 * out. Its answers can be scripted (failures, throttling, delays).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { exportService } from './otlp/grpc-export.js';
import { countRecords, countRecordsProto } from './otlp/count.js';
import { decodeRequest, encodeResponse } from './otlp/request.js';
import { encodeStatus } from './otlp/status.js';
import { JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE, type Encoding, type OtlpData } from './otlp/shape.js';
import { SIGNALS, type SignalType } from '@otel-policy/proto';

export interface SinkRequest {
  signal: SignalType;
  transport: 'http' | 'grpc';
  encoding: Encoding;
  /** Content-Encoding (HTTP) or grpc-encoding. */
  compression: string;
  /** The decoded payload (undefined when the sink does not keep payloads). */
  data: OtlpData | undefined;
  records: number;
  headers: Record<string, string>;
}

/** How to answer one request; undefined means success. */
export interface SinkAnswer {
  /** HTTP status to answer (default 503). */
  httpStatus?: number;
  /** gRPC status code to answer (default UNAVAILABLE). */
  grpcCode?: number;
  /** Retry-After (HTTP) or RetryInfo (gRPC), seconds. */
  retryAfterSecs?: number;
  message?: string;
  /** Answer successfully after this delay (ms) instead of failing. */
  delayMs?: number;
  /** Answer successfully once this settles instead of failing. */
  until?: Promise<unknown>;
  /** With a failure: also delay it (ms). */
  failAfterMs?: number;
}

export interface OtlpSinkOptions {
  host?: string;
  httpPort?: number;
  grpcPort?: number;
  /** Serve HTTP / gRPC (both by default). */
  http?: boolean;
  grpc?: boolean;
  /** Keep decoded payloads (default true); false only counts records. */
  keep?: boolean;
  /**
   * Decode requests (default true). false: protobuf requests are only counted
   * at the wire level (cheap, for load tests); `data` stays undefined.
   */
  decode?: boolean;
  /** Decide the answer to the n-th request (0-based); failed requests are not recorded. */
  answer?: (req: SinkRequest, n: number) => SinkAnswer | undefined;
}

export class OtlpSink {
  readonly requests: SinkRequest[] = [];
  /** Records received per signal (successful requests only). */
  readonly counts: Record<SignalType, number> = { logs: 0, traces: 0, metrics: 0 };
  /** Requests seen, including the ones answered with a failure. */
  attempts = 0;
  private httpServer: http.Server | undefined;
  private grpcServer: grpc.Server | undefined;
  private waiters: (() => void)[] = [];
  httpPort: number | undefined;
  grpcPort: number | undefined;

  constructor(private readonly options: OtlpSinkOptions = {}) {}

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  /** `http://host:port` of the HTTP server. */
  get httpUrl(): string {
    return `http://${this.host}:${this.httpPort}`;
  }

  /** `host:port` of the gRPC server. */
  get grpcTarget(): string {
    return `${this.host}:${this.grpcPort}`;
  }

  async start(): Promise<this> {
    if (this.options.http !== false) {
      const server = http.createServer((req, res) => void this.onHttp(req, res));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.options.httpPort ?? 0, this.host, () => resolve());
      });
      this.httpServer = server;
      this.httpPort = (server.address() as AddressInfo).port;
    }
    if (this.options.grpc !== false) {
      const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
      for (const signal of SIGNALS) {
        server.addService(exportService(signal), { Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => void this.onGrpc(signal, call, cb) });
      }
      this.grpcPort = await new Promise<number>((resolve, reject) =>
        server.bindAsync(`${this.host}:${this.options.grpcPort ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
      );
      this.grpcServer = server;
    }
    return this;
  }

  async stop(): Promise<void> {
    const h = this.httpServer;
    if (h) {
      await new Promise<void>((resolve) => {
        h.close(() => resolve());
        h.closeAllConnections();
      });
    }
    this.grpcServer?.forceShutdown();
    this.httpServer = undefined;
    this.grpcServer = undefined;
  }

  private record(req: SinkRequest): void {
    this.requests.push(req);
    this.counts[req.signal] += req.records;
    for (const w of this.waiters.splice(0)) w();
  }

  private async onHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    const signal = SIGNALS.find((s) => req.url === `/v1/${s}`);
    if (!signal || req.method !== 'POST') {
      res.statusCode = 404;
      res.end();
      return;
    }
    const encoding: Encoding = String(req.headers['content-type']).includes('json') ? 'json' : 'proto';
    const compression = String(req.headers['content-encoding'] ?? 'identity');
    if (compression === 'gzip') body = zlib.gunzipSync(body);
    else if (compression === 'deflate') body = zlib.inflateSync(body);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = String(v);
    const got = this.decode(signal, 'http', encoding, compression, body, headers);
    const answer = this.options.answer?.(got, this.attempts++);
    const contentType = encoding === 'json' ? JSON_CONTENT_TYPE : PROTOBUF_CONTENT_TYPE;
    const waitOnly = answer !== undefined && (answer.delayMs !== undefined || answer.until !== undefined);
    if (waitOnly) await Promise.all([sleep(answer.delayMs ?? 0), answer.until]);
    if (answer && !waitOnly) {
      if (answer.failAfterMs) await sleep(answer.failAfterMs);
      res.statusCode = answer.httpStatus ?? 503;
      res.setHeader('content-type', contentType);
      if (answer.retryAfterSecs !== undefined) res.setHeader('retry-after', String(answer.retryAfterSecs));
      res.end(encodeStatus(14, answer.message ?? 'sink says no', encoding));
      return;
    }
    this.record(got);
    res.setHeader('content-type', contentType);
    res.end(encodeResponse(signal, 0, undefined, encoding));
  }

  private async onGrpc(signal: SignalType, call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(call.metadata.getMap())) headers[k] = String(v);
    const got = this.decode(signal, 'grpc', 'proto', headers['grpc-encoding'] ?? 'identity', call.request, headers);
    const answer = this.options.answer?.(got, this.attempts++);
    const waitOnly = answer !== undefined && (answer.delayMs !== undefined || answer.until !== undefined);
    if (waitOnly) await Promise.all([sleep(answer.delayMs ?? 0), answer.until]);
    if (answer && !waitOnly) {
      if (answer.failAfterMs) await sleep(answer.failAfterMs);
      const code = answer.grpcCode ?? 14;
      const metadata = new grpc.Metadata();
      if (answer.retryAfterSecs !== undefined) metadata.set('grpc-status-details-bin', Buffer.from(encodeStatus(code, answer.message ?? 'sink says no', 'proto', answer.retryAfterSecs)));
      cb({ code, details: answer.message ?? 'sink says no', metadata });
      return;
    }
    this.record(got);
    cb(null, Buffer.from(encodeResponse(signal, 0, undefined, 'proto')));
  }

  private decode(signal: SignalType, transport: 'http' | 'grpc', encoding: Encoding, compression: string, body: Uint8Array, headers: Record<string, string>): SinkRequest {
    if (this.options.decode === false && encoding === 'proto') {
      return { signal, transport, encoding, compression, data: undefined, records: countRecordsProto(signal, body), headers };
    }
    const decoded = decodeRequest(signal, body, encoding);
    return {
      signal,
      transport,
      encoding,
      compression,
      data: this.options.keep === false ? undefined : decoded.data,
      records: decoded.records,
      headers,
    };
  }

  /** Everything received for a signal, merged into one payload (resources in arrival order). */
  received(signal: SignalType): OtlpData {
    const key = signal === 'logs' ? 'resourceLogs' : signal === 'traces' ? 'resourceSpans' : 'resourceMetrics';
    const all = this.requests.filter((r) => r.signal === signal).flatMap((r) => ((r.data as Record<string, unknown[]> | undefined)?.[key] ?? []) as unknown[]);
    return { [key]: all } as OtlpData;
  }

  /** Records received for a signal (counted from the kept payloads when kept). */
  recordsOf(signal: SignalType): number {
    return this.options.keep === false || this.options.decode === false ? this.counts[signal] : countRecords(signal, this.received(signal));
  }

  /** Resolve once `done()` holds (checked after each received request), or reject after `timeoutMs`. */
  async waitFor(done: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`sink: condition not met within ${timeoutMs}ms (${this.requests.length} requests received)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
