/**
 * The processors in a real browser: headless Chromium (Debian's package,
 * driven by playwright-core) loads a page built from the browser entries
 * with the OpenTelemetry web SDK and its document-load, fetch and
 * XMLHttpRequest instrumentations (page/main.js), bundled by esbuild with
 * code splitting as an application bundler would. The page's OTLP/HTTP
 * exporters send to this test's server, which also serves the page and its
 * API routes; the log policies come from a policy sync server on another
 * origin that allows the page (CORS). The test checks what the
 * exporters delivered: health pings dropped, the noisy route sampled, debug
 * logs dropped, e-mail addresses redacted, the rest untouched; that the
 * regex engine's chunk was fetched once, when the log policies needed it; a
 * policy change followed; and, loaded again with the sync server down, the
 * last set received (kept in localStorage) applied from the first record.
 *
 * Chromium is looked for at /usr/bin/chromium (or OTEL_POLICY_CHROMIUM).
 * Without it the suite is skipped with a notice, unless
 * OTEL_POLICY_EXPECT_CHROMIUM=1 (set by .ci/run, which installs it), where
 * a missing browser fails.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicySyncServer } from '@otel-policy/providers';
import { parsePolicyDocument } from '@otel-policy/core';
import { CHROMIUM_ARGS, NO_CHROMIUM, chromiumPath } from './chromium.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = chromiumPath();
const REQUIRED = process.env.OTEL_POLICY_EXPECT_CHROMIUM === '1';
const built = existsSync(path.join(HERE, '../../packages/sdk-processor/dist/browser.js'));
if (!CHROMIUM && !REQUIRED) console.warn(`chromium.test.ts: skipped: ${NO_CHROMIUM}`);

const DROP_CART = { id: 'drop-cart-logs', name: 'Drop cart logs', log: { match: [{ log_field: 'body', starts_with: 'cart has' }], keep: 'none' } };
const LOG_DOCUMENT = {
  policies: [
    { id: 'drop-debug-logs', name: 'Drop debug logs', log: { match: [{ log_field: 'severity_text', exact: 'DEBUG' }], keep: 'none' } },
    {
      id: 'redact-emails',
      name: 'Redact e-mail addresses in log bodies',
      log: {
        match: [{ log_field: 'body', contains: '@' }],
        keep: 'all',
        transform: { redact: [{ log_field: 'body', regex: '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}', replacement: '<email>' }] },
      },
    },
  ],
};
const LOG_POLICIES = parsePolicyDocument(LOG_DOCUMENT, 'test');

interface AnyValue {
  stringValue?: string;
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface Span {
  name: string;
  attributes?: KeyValue[];
}
interface LogRecord {
  severityText?: string;
  body?: AnyValue;
}

/** Serves the built page, its API routes, the OTLP endpoints and the policy sync (proxied); remembers what it got. */
class PageServer {
  spans: Span[] = [];
  logs: LogRecord[] = [];
  requests: string[] = [];
  private readonly server: Server;

  constructor(private readonly files: Map<string, Uint8Array>) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://page');
    this.requests.push(url.pathname);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><head><title>shop</title><script type="module" src="/main.js"></script></head><body><h1>shop</h1></body></html>');
    } else if (this.files.has(url.pathname)) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(this.files.get(url.pathname));
    } else if (url.pathname === '/v1/traces' || url.pathname === '/v1/logs') {
      const doc = JSON.parse(body.toString('utf8') || '{}');
      for (const rs of doc.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) this.spans.push(...(ss.spans ?? []));
      for (const rl of doc.resourceLogs ?? []) for (const sl of rl.scopeLogs ?? []) this.logs.push(...(sl.logRecords ?? []));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } else if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
    } else if (url.pathname.startsWith('/health') || url.pathname.startsWith('/api/')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    } else {
      res.writeHead(404).end();
    }
  }
}

/** The page bundled as an application would bundle it: browser conditions, minified, split into chunks. */
async function buildPage(): Promise<Map<string, Uint8Array>> {
  const r = await esbuild.build({
    entryPoints: { main: path.join(HERE, 'page', 'main.js') },
    bundle: true,
    minify: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    outdir: path.join(HERE, 'out'),
    write: false,
    logLevel: 'silent',
  });
  return new Map(r.outputFiles.map((f) => [`/${path.basename(f.path)}`, f.contents]));
}

const attr = (s: Span, key: string) => s.attributes?.find((a) => a.key === key)?.value.stringValue;

describe.skipIf((!CHROMIUM && !REQUIRED) || !built)('the processors in headless Chromium', () => {
  let browser: Browser;
  let sync: PolicySyncServer;
  let page: PageServer;
  let origin: string;
  let files: Map<string, Uint8Array>;
  const NOISY = 200;

  beforeAll(async () => {
    if (!CHROMIUM) throw new Error('OTEL_POLICY_EXPECT_CHROMIUM=1 but no Chromium at /usr/bin/chromium');
    files = await buildPage();
    page = new PageServer(files);
    origin = await page.listen();
    // On its own origin (another port): the page may sync because the server allows it (CORS).
    sync = new PolicySyncServer({ policies: LOG_POLICIES, syncIntervalSecs: 1, corsAllowedOrigins: [origin], log: () => {} });
    await sync.start();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await page?.close();
    await sync?.stop();
  });

  it('drops, samples and redacts what the web SDK exports, follows a policy change, and keeps the last set across page loads', async () => {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (err) => errors.push(err.message));
    const syncUrl = `http://127.0.0.1:${sync.httpPort}/v1/policy/sync`;
    await tab.goto(`${origin}/?noisy=${NOISY}&sync=${encodeURIComponent(syncUrl)}`);
    const done = await tab.waitForFunction(() => (window as unknown as { __done?: unknown }).__done, undefined, { timeout: 60_000 });
    expect(await done.jsonValue()).toEqual({ ok: true });
    expect(errors).toEqual([]);

    // Spans: health pings (fetch and XHR) dropped, application requests and the document load kept, the noisy route sampled.
    const urls = page.spans.map((s) => attr(s, 'url.full') ?? attr(s, 'http.url') ?? '');
    expect(urls.filter((u) => u.includes('/health'))).toEqual([]);
    expect(urls.filter((u) => u.endsWith('/api/orders'))).toHaveLength(1);
    expect(urls.filter((u) => u.endsWith('/api/cart'))).toHaveLength(1);
    expect(page.spans.map((s) => s.name)).toContain('documentLoad');
    const noisy = urls.filter((u) => u.includes('/api/noisy')).length;
    // 25% of 200 independent traces: 50 expected; [20, 90] is more than 5 standard deviations wide.
    expect(noisy).toBeGreaterThanOrEqual(20);
    expect(noisy).toBeLessThanOrEqual(90);

    // Logs: emitted before the policies arrived, held, then debug dropped and e-mail addresses redacted.
    await expect.poll(() => page.logs.length, { timeout: 10_000 }).toBe(4);
    expect(page.logs.map((l) => [l.severityText, l.body?.stringValue])).toEqual([
      ['INFO', 'checkout started by <email>'],
      ['WARN', 'coupon rejected for <email> and <email>'],
      ['INFO', 'cart has 3 items'],
      ['INFO', `receipt sent to <email> after ${NOISY} polls`],
    ]);

    // The regex engine's chunk (re2js): fetched once, because one of the log policies redacts with a regex.
    const regexChunks = [...files].filter(([name, bytes]) => name !== '/main.js' && Buffer.from(bytes).includes('missing closing')).map(([name]) => name);
    expect(regexChunks).toHaveLength(1);
    expect(page.requests.filter((r) => r === regexChunks[0])).toHaveLength(1);

    // The browser's sync client reports the policies' counters to the server.
    await expect.poll(() => sync.stats().policies.find((p) => p.policy_id === 'drop-debug-logs')?.hits ?? 0, { timeout: 10_000 }).toBe(6);

    // Kept current: a policy added on the server applies once the page's next sync (every second here) installed it.
    sync.setPolicies(parsePolicyDocument({ policies: [...LOG_DOCUMENT.policies, DROP_CART] }, 'test'));
    const log = (severity: string, body: string) => tab.evaluate(([s, b]) => (window as unknown as { __log(s: string, b: string): Promise<void> }).__log(s, b), [severity, body]);
    let n = 0;
    await expect
      .poll(
        async () => {
          page.logs = [];
          await log('INFO', `cart has ${++n} items`);
          return page.logs.length;
        },
        { timeout: 15_000, interval: 200 },
      )
      .toBe(0);
    await log('INFO', 'order placed by erin@example.com');
    await expect.poll(() => page.logs.map((l) => l.body?.stringValue), { timeout: 10_000 }).toEqual(['order placed by <email>']);

    // Loaded again with the sync server down: the last set received (kept in localStorage) applies from the first record.
    await sync.stop();
    page.logs = [];
    await tab.goto(`${origin}/?noisy=0&sync=${encodeURIComponent(syncUrl)}`);
    const again = await tab.waitForFunction(() => (window as unknown as { __done?: unknown }).__done, undefined, { timeout: 60_000 });
    expect(await again.jsonValue()).toEqual({ ok: true });
    await expect
      .poll(() => page.logs.map((l) => l.body?.stringValue), { timeout: 10_000 })
      .toEqual(['checkout started by <email>', 'coupon rejected for <email> and <email>', 'receipt sent to <email> after 0 polls']);
    expect(errors).toEqual([]);
    await tab.close();
  });
});
