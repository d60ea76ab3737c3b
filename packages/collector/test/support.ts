/** Test helpers: collectors on 127.0.0.1:0, OTLP clients over real sockets. */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { Collector, otlpSchema, parseConfigText, silentLogger, type Logger, type SignalType } from '@otel-policy/collector';

export const SIGNAL_KEYS: Record<SignalType, string> = { logs: 'resourceLogs', traces: 'resourceSpans', metrics: 'resourceMetrics' };

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix = 'otel-policy-collector-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeFile(dir: string, name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

/** Start a collector from YAML (relative paths against `dir`). */
export async function startCollector(yaml: string, dir = process.cwd(), logger: Logger = silentLogger): Promise<Collector> {
  const c = new Collector(parseConfigText(yaml, dir, { env: {} }), { logger });
  await c.start();
  return c;
}

/** A log record payload (OTLP/JSON) with `n` records. */
export function logsPayload(n: number, opts: { body?: (i: number) => string; severity?: (i: number) => string; service?: string } = {}): Record<string, unknown> {
  const logRecords = Array.from({ length: n }, (_, i) => ({
    timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i)),
    severityText: opts.severity?.(i) ?? 'INFO',
    body: { stringValue: opts.body?.(i) ?? `message ${i}` },
    attributes: [{ key: 'i', value: { intValue: String(i) } }],
  }));
  return { resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: opts.service ?? 'test' } }] }, scopeLogs: [{ scope: { name: 't' }, logRecords }] }] };
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** POST raw bytes (no fetch: we need full control of headers and early responses). */
export function post(url: string, body: Uint8Array | string, headers: Record<string, string | number>, method = 'POST', tls: https.RequestOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const all = headers['transfer-encoding'] ? headers : { 'content-length': Buffer.byteLength(body), ...headers };
    const request = url.startsWith('https:') ? https.request : http.request;
    const req = request(url, { method, headers: all, agent: false, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    // The server may answer (413) and close before the whole body is written.
    req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
    req.end(body);
  });
}

/** POST an OTLP payload to `<base>/v1/<signal>`. */
export function postOtlp(base: string, signal: SignalType, body: Uint8Array, opts: { encoding?: 'proto' | 'json'; gzip?: boolean; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { 'content-type': opts.encoding === 'json' ? 'application/json' : 'application/x-protobuf', ...opts.headers };
  let data = body;
  if (opts.gzip) {
    data = zlib.gzipSync(body);
    headers['content-encoding'] = 'gzip';
  }
  return post(`${base}/v1/${signal}`, data, headers);
}

export interface GrpcResult {
  error?: grpc.ServiceError;
  response?: Buffer;
}

const identity = (b: Buffer) => b;
const clients = new Map<string, grpc.Client>();

/** One OTLP/gRPC Export call with raw protobuf bytes. */
export function grpcExport(target: string, signal: SignalType, body: Uint8Array, metadata = new grpc.Metadata(), credentials?: grpc.ChannelCredentials): Promise<GrpcResult> {
  let client = credentials === undefined ? clients.get(target) : undefined;
  if (!client) {
    client = new grpc.Client(target, credentials ?? grpc.credentials.createInsecure());
    if (credentials === undefined) clients.set(target, client);
    else setTimeout(() => client!.close(), 30_000).unref();
  }
  return new Promise((resolve) => {
    client!.makeUnaryRequest<Buffer, Buffer>(otlpSchema()[signal].grpcPath, identity, identity, Buffer.from(body), metadata, { deadline: Date.now() + 20_000 }, (error, response) =>
      resolve(error ? { error } : { response }),
    );
  });
}

/** Close the cached gRPC clients. */
export function closeGrpcClients(): void {
  for (const c of clients.values()) c.close();
  clients.clear();
}

/** `http://host:port` of a collector's OTLP/HTTP receiver. */
export const httpBase = (c: Collector, receiver = 'otlp'): string => `http://${c.endpoints.receivers[receiver]!.http}`;
export const grpcTarget = (c: Collector, receiver = 'otlp'): string => c.endpoints.receivers[receiver]!.grpc!;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll until `check` holds (bounded). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Parse a Prometheus text exposition into `name{labels}` -> value. */
export function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

export { silentLogger };

/** The `otel-policy` command (needs the build). */
export const CLI_BIN = fileURLToPath(new URL('../../cli/bin/otel-policy.js', import.meta.url));

/** A collector run as a child process, once it says it is ready. */
export interface SpawnedCollector {
  child: ChildProcess;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  stderr: () => string;
  /** `http://<endpoint>` of a logged line carrying one (`Starting HTTP server`, `Serving metrics`). */
  url: (logMessage: string) => string;
}

/** Run `otel-policy collector --config <configFile>` (with `env` added) and wait until it is ready. The caller kills it. */
export async function spawnCollector(configFile: string, env: Record<string, string> = {}, workers = 1): Promise<SpawnedCollector> {
  const child = spawn(process.execPath, [CLI_BIN, 'collector', '--config', configFile, '--workers', String(workers)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // With workers, the service is ready when the primary says so (after every worker).
  const ready = workers > 1 ? /Everything is ready[^\n]*"workers"/ : /Everything is ready/;
  await eventually(() => ready.test(stderr) || child.exitCode !== null, 15_000, 'the collector to start');
  const url = (logMessage: string) => `http://${(JSON.parse(new RegExp(`${logMessage}\\t(\\{.*\\})`).exec(stderr)![1]) as { endpoint: string }).endpoint}`;
  return { child, exited, stderr: () => stderr, url };
}
