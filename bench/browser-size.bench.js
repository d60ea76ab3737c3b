// Browser bundle size: each browser entry of @otel-policy/sdk-processor (the
// `browser` export condition) bundled with esbuild as an application would
// (minified, tree-shaken, ESM, platform browser), OpenTelemetry packages
// left out (the page has them anyway). Reports raw and gzip bytes per entry
// and the share of each dependency in it. Target (issue: the span processor
// with the engine and its regex engine): <= 45 KB gzip.
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { environment, printTable, writeResults } from './support.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TARGET_GZIP_BYTES = 45 * 1024;

const ENTRIES = {
  'span processor': "export { PolicySpanProcessor } from '@otel-policy/sdk-processor';",
  'log record processor': "export { PolicyLogRecordProcessor } from '@otel-policy/sdk-processor';",
  'metric exporter': "export { PolicyMetricExporter } from '@otel-policy/sdk-processor';",
  'all three': "export { PolicySpanProcessor, PolicyLogRecordProcessor, PolicyMetricExporter, openPolicies } from '@otel-policy/sdk-processor';",
};

/** Bundle one entry's source; returns its bytes and the bytes each package contributes. */
export async function bundle(contents) {
  const r = await esbuild.build({
    // Resolved from the package itself (a self-reference through its exports, browser condition).
    stdin: { contents, resolveDir: path.join(ROOT, 'packages', 'sdk-processor'), loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    external: ['@opentelemetry/*'],
    logLevel: 'silent',
  });
  const out = r.outputFiles[0].contents;
  const byPackage = {};
  for (const output of Object.values(r.metafile.outputs)) {
    for (const [input, v] of Object.entries(output.inputs)) {
      if (input === '<stdin>') continue; // the entry's one import line
      const pkg = input.includes('node_modules/')
        ? input
            .split('node_modules/')
            .pop()
            .split('/')
            .slice(0, input.split('node_modules/').pop().startsWith('@') ? 2 : 1)
            .join('/')
        : `@otel-policy/${input.split('packages/')[1]?.split('/')[0] ?? input}`;
      byPackage[pkg] = (byPackage[pkg] ?? 0) + v.bytesInOutput;
    }
  }
  return { code: r.outputFiles[0].text, raw: out.length, gzip: gzipSync(out).length, byPackage };
}

export async function run() {
  const rows = [];
  for (const [entry, contents] of Object.entries(ENTRIES)) {
    const b = await bundle(contents);
    const shares = Object.fromEntries(
      Object.entries(b.byPackage)
        .sort((x, y) => y[1] - x[1])
        .map(([k, v]) => [k, Math.round((v / b.raw) * 100) / 100]),
    );
    rows.push({ entry, raw_bytes: b.raw, gzip_bytes: b.gzip, gzip_kb: Math.round(b.gzip / 102.4) / 10, shares });
  }
  printTable(
    'browser bundles (esbuild, minified, OpenTelemetry packages external)',
    rows.map(({ shares, ...r }) => ({
      ...r,
      largest: Object.entries(shares)
        .slice(0, 3)
        .map(([k, v]) => `${k} ${Math.round(v * 100)}%`)
        .join(', '),
    })),
  );
  const span = rows.find((r) => r.entry === 'span processor');
  const results = {
    benchmark: 'browser-size',
    ...environment(),
    setup: { bundler: `esbuild ${esbuild.version}`, options: 'bundle, minify, format esm, platform browser (the browser export condition), @opentelemetry/* external' },
    entries: rows,
    targets: [{ name: 'span_processor_gzip_bytes', limit: `<= ${TARGET_GZIP_BYTES}`, actual: span.gzip_bytes, met: span.gzip_bytes <= TARGET_GZIP_BYTES }],
  };
  console.log(`\nspan processor: ${span.gzip_kb} KB gzip (target <= 45 KB: ${span.gzip_bytes <= TARGET_GZIP_BYTES ? 'met' : 'NOT met'})`);
  writeResults('browser-size', results);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
