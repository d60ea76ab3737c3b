/**
 * The zero-code path end to end, on a real service: examples/node-service
 * (express + pino) started with `node --require
 * @otel-policy/sdk-processor/register`, the auto-instrumentations and the
 * SDK's own OTLP/HTTP exporters, sending to a sink here. Runs on the SDK
 * line of the suite (2.x in the main run, 3.x in the test/sdk-v3 run: the
 * register takes the SDK of the application's directory). Needs the build
 * (`pnpm test` builds first).
 */
import { SDK_INFO } from '@opentelemetry/core';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const example = path.join(root, 'examples/node-service');
const built = existsSync(path.join(root, 'packages/sdk-processor/dist/node/register.js'));
const sdkLine = String(SDK_INFO['telemetry.sdk.version']).split('.')[0];
// Where the application runs decides its SDK line: the example itself (2.x) or the 3.x test package.
const cwd = sdkLine === '3' ? path.join(root, 'test/sdk-v3') : example;

interface Attr {
  key: string;
  value: { stringValue?: string; intValue?: string | number };
}
interface Span {
  name: string;
  kind: number;
  attributes?: Attr[];
}
interface LogRecord {
  severityText?: string;
  body?: { stringValue?: string };
  attributes?: Attr[];
}

/** An OTLP/HTTP JSON sink: what the service's exporters sent. */
class Sink {
  /** `telemetry.sdk.version` of each span export: which SDK line sent it. */
  sdkVersions = new Set<string>();
  spans: Span[] = [];
  logs: LogRecord[] = [];
  private server: Server = createServer((req, res) => {
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
}

const attr = (attrs: Attr[] | undefined, key: string) => attrs?.find((a) => a.key === key)?.value.stringValue;

/** The example as a CommonJS app (`--require`) and as an ES module app (`--import`). */
interface App {
  file: string;
  flag: string;
}
const APPS: App[] = [
  { file: 'app.cjs', flag: '--require' },
  { file: 'app.mjs', flag: '--import' },
];

/** Start the example service under the register; resolves with it and its port. */
async function startService(app: App, env: Record<string, string>): Promise<{ child: ChildProcess; port: number; stderr: () => string; stdout: () => string }> {
  let stderr = '';
  let stdout = '';
  const child = fork(path.join(example, app.file), [], {
    cwd,
    execArgv: [app.flag, '@otel-policy/sdk-processor/register'],
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      OTEL_SERVICE_NAME: 'shop',
      OTEL_METRICS_EXPORTER: 'none',
      // No cloud metadata lookups from a test.
      OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`the service exited (${code}): ${stderr}`)));
  });
  return { child, port, stderr: () => stderr, stdout: () => stdout };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe.skipIf(!built)(`zero-code register on a real service (SDK ${sdkLine}.x line)`, () => {
  const sink = new Sink();
  let endpoint: string;
  beforeAll(async () => {
    endpoint = await sink.listen();
  });
  afterAll(() => sink.close());

  it.each(APPS)('$file ($flag): filters pino logs and HTTP spans from the first request: health checks and debug dropped, emails redacted, /search sampled', async (app) => {
    sink.reset();
    const { child, port, stderr } = await startService(app, {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_POLICY_SOURCE: path.join(example, 'policies.yaml'),
    });
    const get = (p: string) => fetch(`http://127.0.0.1:${port}${p}`).then((r) => r.text());
    // The very first request, before anything could have been awaited.
    await get('/orders/first');
    for (let i = 0; i < 20; i++) await get('/healthz');
    for (let i = 0; i < 40; i++) await get(`/orders/${i}`);
    for (let i = 0; i < 200; i++) await get(`/search?q=${i}`);
    expect(await stop(child)).toBe(0);

    const server = sink.spans.filter((s) => s.kind === 2);
    const route = (r: string) => server.filter((s) => attr(s.attributes, 'http.route') === r).length;
    const orderLogs = sink.logs.filter((l) => l.body?.stringValue?.startsWith('order '));
    const numbers = {
      serverSpans: { healthz: route('/healthz'), orders: route('/orders/:id'), search: route('/search') },
      logs: sink.logs.length,
      debugLogs: sink.logs.filter((l) => l.severityText === 'debug').length,
      healthLogs: sink.logs.filter((l) => l.body?.stringValue === 'health check ok').length,
      orderLogs: orderLogs.length,
    };
    expect([...sink.sdkVersions].map((v) => v.split('.')[0])).toEqual([sdkLine]);
    console.log(`SDK ${[...sink.sdkVersions]}, ${app.file}, 261 requests (1 + 20 /healthz + 40 /orders + 200 /search):`, JSON.stringify(numbers));
    expect(stderr()).toBe('');
    expect(numbers.serverSpans.healthz).toBe(0);
    expect(sink.spans.filter((s) => attr(s.attributes, 'http.route') === '/healthz')).toHaveLength(0);
    expect(numbers.serverSpans.orders).toBe(41);
    // 10% of 200, consistent per trace ID: far outside this band only if sampling were off or broken.
    expect(numbers.serverSpans.search).toBeGreaterThanOrEqual(5);
    expect(numbers.serverSpans.search).toBeLessThanOrEqual(45);
    expect(numbers.debugLogs).toBe(0);
    expect(numbers.healthLogs).toBe(0);
    expect(numbers.orderLogs).toBe(41);
    expect(orderLogs[0].body?.stringValue).toBe('order first paid by <email>');
    for (const l of orderLogs) expect(l.body?.stringValue).not.toContain('@');
  });

  it('runs unfiltered, with one line on stderr, when the policy file is missing', async () => {
    sink.reset();
    const { child, port, stderr } = await startService(APPS[0], {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_POLICY_SOURCE: path.join(example, 'no-such-policies.yaml'),
    });
    await fetch(`http://127.0.0.1:${port}/orders/7`).then((r) => r.text());
    expect(await stop(child)).toBe(0);
    const logs = sink.logs;
    expect(logs.some((l) => l.body?.stringValue === 'order 7 paid by jane.doe@example.com')).toBe(true);
    const lines = stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('no-such-policies.yaml');
    expect(stderr()).not.toMatch(/^\s+at /m);
  });

  it('with OTEL_CONFIG_FILE, starts the SDK from that file (which cannot hold our processors) and says policies are not applied', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otel-config-'));
    const file = path.join(dir, 'otel.yaml');
    writeFileSync(file, 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - simple:\n        exporter:\n          console: {}\n');
    try {
      const { child, port, stderr, stdout } = await startService(APPS[0], { OTEL_CONFIG_FILE: file, OTEL_POLICY_SOURCE: path.join(example, 'policies.yaml') });
      await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.text());
      expect(await stop(child)).toBe(0);
      expect(stderr().trim().split('\n')).toEqual([
        '@otel-policy/sdk-processor: OTEL_CONFIG_FILE is set: the SDK is configured from that file, which cannot hold third-party processors, so policies are NOT applied',
      ]);
      // The file's console exporter printed the health check span: unfiltered, as the warning says.
      expect(stdout()).toContain("'http.route': '/healthz'");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
