/**
 * An OTLP/HTTP JSON sink for end-to-end tests of services started with the
 * register: what their exporters sent (spans, log records, and the SDK
 * version each span export came from), plus helpers to start and stop a
 * forked service that reports its port over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Attr {
  key: string;
  value: { stringValue?: string; intValue?: string | number };
}
export interface SinkSpan {
  name: string;
  kind: number;
  attributes?: Attr[];
}
export interface SinkLogRecord {
  severityText?: string;
  body?: { stringValue?: string };
  attributes?: Attr[];
}

/** A string attribute's value. */
export const attr = (attrs: Attr[] | undefined, key: string): string | undefined => attrs?.find((a) => a.key === key)?.value.stringValue;

/** Collects what OTLP/HTTP JSON exporters send to /v1/traces and /v1/logs. */
export class OtlpJsonSink {
  /** `telemetry.sdk.version` of each span export: which SDK line sent it. */
  sdkVersions = new Set<string>();
  spans: SinkSpan[] = [];
  logs: SinkLogRecord[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      for (const rs of body.resourceSpans ?? []) {
        this.sdkVersions.add(attr(rs.resource?.attributes, 'telemetry.sdk.version') ?? '?');
        for (const ss of rs.scopeSpans ?? []) this.spans.push(...(ss.spans ?? []));
      }
      if (req.url === '/v1/logs') for (const rl of body.resourceLogs ?? []) for (const sl of rl.scopeLogs ?? []) this.logs.push(...(sl.logRecords ?? []));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  /** Listen on loopback; resolves with the endpoint for OTEL_EXPORTER_OTLP_ENDPOINT. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): void {
    this.server.close();
  }

  reset(): void {
    this.sdkVersions.clear();
    this.spans = [];
    this.logs = [];
  }

  /** SERVER spans per `http.route`. */
  serverSpans(route: string): number {
    return this.spans.filter((s) => s.kind === 2 && attr(s.attributes, 'http.route') === route).length;
  }
}

/** A forked service and what it printed. */
export interface RunningService {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
}

/** Fork `file` (which sends `{ port }` over IPC once listening) with node flags and environment. */
export async function startService(file: string, options: { cwd: string; execArgv: string[]; env: Record<string, string | undefined>; execPath?: string }): Promise<RunningService> {
  let stderr = '';
  let stdout = '';
  const child = fork(file, [], { cwd: options.cwd, execArgv: options.execArgv, execPath: options.execPath, env: options.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`the service exited (${code}): ${stderr}`)));
  });
  return { child, port, stderr: () => stderr, stdout: () => stdout };
}

/** SIGTERM the service; resolves with its exit code. */
export async function stopService(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

/** Drive the example service's routes: 1 first order, 20 health checks, 40 orders, 200 searches (sequential, loopback). */
export async function driveExample(port: number): Promise<void> {
  const get = (p: string) => fetch(`http://127.0.0.1:${port}${p}`).then((r) => r.text());
  await get('/orders/first');
  for (let i = 0; i < 20; i++) await get('/healthz');
  for (let i = 0; i < 40; i++) await get(`/orders/${i}`);
  for (let i = 0; i < 200; i++) await get(`/search?q=${i}`);
}

/** The example policies' effect, as the end-to-end tests assert it. */
export function examplePolicyNumbers(sink: OtlpJsonSink) {
  const orderLogs = sink.logs.filter((l) => l.body?.stringValue?.startsWith('order '));
  return {
    serverSpans: { healthz: sink.serverSpans('/healthz'), orders: sink.serverSpans('/orders/:id'), search: sink.serverSpans('/search') },
    anyHealthSpan: sink.spans.filter((s) => attr(s.attributes, 'http.route') === '/healthz').length,
    logs: sink.logs.length,
    debugLogs: sink.logs.filter((l) => l.severityText === 'debug').length,
    healthLogs: sink.logs.filter((l) => l.body?.stringValue === 'health check ok').length,
    orderLogs: orderLogs.length,
    firstOrderLog: orderLogs[0]?.body?.stringValue,
    unredacted: orderLogs.filter((l) => l.body?.stringValue?.includes('@')).length,
  };
}
