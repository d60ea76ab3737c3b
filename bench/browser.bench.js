// Span processor cost in the browser: headless Chromium (Debian's package,
// driven by playwright-core) runs a page built from the browser entry
// (esbuild, browser conditions) with the SDK's BasicTracerProvider, and times
// ending spans shaped like the fetch instrumentation's, side by side in one
// page: without the policy processor, with it and 100 policies that match
// none of the spans, and with those plus one that drops the 10% that are
// health pings. Rounds interleave the variants; medians (and the best
// rounds, as this machine is shared) are reported, and what the processor
// adds per span. The policies are installed before the timing starts.
// Skipped, with a notice, where there is no Chromium (/usr/bin/chromium, or
// OTEL_POLICY_CHROMIUM).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { environment, printTable, quick, writeResults } from './support.js';
import { CHROMIUM_ARGS, NO_CHROMIUM, chromiumPath } from '../test/browser/chromium.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SPANS = quick ? 5_000 : 20_000;
const ROUNDS = quick ? 3 : 15;

const PAGE = `
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { PolicySpanProcessor, openPolicies } from '@otel-policy/sdk-processor';

/** An exporter that only counts (the page measures the processors, not the network). */
class CountingExporter {
  constructor() { this.spans = 0; }
  export(spans, done) { this.spans += spans.length; done({ code: 0 }); }
  shutdown() { return Promise.resolve(); }
  forceFlush() { return Promise.resolve(); }
}

/** 100 policies that match none of the spans: distinct literals and regexes on the URL and the name, as real ones are. */
const NON_MATCHING = Array.from({ length: 100 }, (_, i) => ({
  id: 'noise-' + String(i).padStart(3, '0'),
  name: 'noise ' + i,
  trace: {
    match: [i % 2 === 0
      ? { span_attribute: 'url.full', contains: '/internal/job-' + i + '/' }
      : { trace_field: 'name', regex: '^GET /api/v\\\\d+/job-' + i + '(?:/retry)?$' }],
    keep: { percentage: 0 },
  },
}));
const DROP_HEALTH = [{ id: 'drop-health', name: 'drop health pings', trace: { match: [{ span_attribute: 'url.full', contains: '/health' }], keep: { percentage: 0 } } }];
const VARIANTS = { none: undefined, policies100: NON_MATCHING, policies100drop: [...NON_MATCHING, ...DROP_HEALTH] };

function setup(variant) {
  const exporter = new CountingExporter();
  const simple = new SimpleSpanProcessor(exporter);
  const policies = VARIANTS[variant];
  // A handle of our own, to wait until its policies are installed (the regex engine loads on first need).
  const handle = policies === undefined ? undefined : openPolicies({ policies });
  const processor = handle === undefined ? simple : new PolicySpanProcessor(simple, { policies: handle });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  return { provider, exporter, handle, tracer: provider.getTracer('bench') };
}

const ROUTES = ['/api/orders', '/api/cart', '/api/products/42', '/api/search?q=shoes', '/api/user', '/api/recommendations', '/api/stock', '/api/prices', '/api/reviews'];

/** One round: ms to start and end n spans, and how many reached the exporter. */
globalThis.round = async (variant, n) => {
  const { provider, exporter, handle, tracer } = setup(variant);
  // Outside the timing: the policies compiled and installed.
  await handle?.loaded;
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const health = i % 10 === 0;
    const route = health ? '/health' : ROUTES[i % ROUTES.length];
    const span = tracer.startSpan(health ? 'GET /health' : 'GET ' + route, {
      kind: 2,
      attributes: { 'http.request.method': 'GET', 'url.full': 'https://shop.example.com' + route, 'server.address': 'shop.example.com', 'server.port': 443 },
    });
    span.setAttribute('http.response.status_code', 200);
    span.end();
  }
  const ms = performance.now() - t;
  await provider.forceFlush();
  await provider.shutdown();
  await handle?.shutdown();
  return { ms, exported: exporter.spans };
};
`;

export async function run() {
  const executablePath = chromiumPath();
  if (!executablePath) {
    console.log(`\nbrowser: skipped: ${NO_CHROMIUM}`);
    return { benchmark: 'browser', skipped: true };
  }
  const { chromium } = await import('playwright-core');
  const bundle = await esbuild.build({
    stdin: { contents: PAGE, resolveDir: HERE, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  const version = browser.version();
  try {
    const page = await browser.newPage();
    await page.goto('about:blank');
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    const variants = [
      { key: 'none', name: 'no policy processor' },
      { key: 'policies100', name: 'processor, 100 non-matching policies' },
      { key: 'policies100drop', name: 'processor, 100 policies + drop health pings (10%)' },
    ];
    const samples = variants.map(() => []);
    const exported = variants.map(() => 0);
    for (let r = 0; r <= ROUNDS; r++) {
      // The order rotates, so that what one variant leaves to the garbage collector falls on each of the others alike.
      for (let k = 0; k < variants.length; k++) {
        const v = (k + r) % variants.length;
        const res = await page.evaluate(([key, n]) => globalThis.round(key, n), [variants[v].key, SPANS]);
        // Round 0 warms the JIT for every variant; it is not counted.
        if (r > 0) samples[v].push((res.ms * 1e6) / SPANS);
        exported[v] = res.exported;
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const rows = variants.map((variant, v) => ({
      name: variant.name,
      ns_per_span: Math.round(median(samples[v])),
      best_ns_per_span: Math.round(Math.min(...samples[v])),
      exported_per_round: exported[v],
      spans_per_round: SPANS,
    }));
    const base = rows[0].ns_per_span;
    const bestBase = rows[0].best_ns_per_span;
    for (const row of rows) {
      row.added_ns_per_span = row.ns_per_span - base;
      row.best_added_ns_per_span = row.best_ns_per_span - bestBase;
      row.vs_no_processor = `${(((row.ns_per_span - base) / base) * 100).toFixed(1)}%`;
    }
    printTable(`Chromium ${version}: ns per span started and ended (median of ${ROUNDS} rounds), BasicTracerProvider -> SimpleSpanProcessor -> counting exporter`, rows);
    const results = {
      benchmark: 'browser',
      ...environment(),
      browser: `Chromium ${version} (headless)`,
      setup: 'page bundled by esbuild from the browser entry (iife, minified); performance.now() around the span loop; the policies installed before timing',
      spans_per_round: SPANS,
      rounds: ROUNDS,
      configs: rows,
      added_ns_per_span_100_policies: rows[1].added_ns_per_span,
      best_added_ns_per_span_100_policies: rows[1].best_added_ns_per_span,
    };
    console.log(
      `\nin Chromium, the span processor with 100 non-matching policies adds ${rows[1].added_ns_per_span} ns per span (${rows[1].vs_no_processor}; ${rows[1].best_added_ns_per_span} ns between the best rounds)`,
    );
    writeResults('browser', results);
    return results;
  } finally {
    await browser.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
