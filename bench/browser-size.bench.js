// Browser bundle size: each browser entry of @otel-policy/sdk-processor (the
// `browser` export condition), and the span processor with the HTTP sync
// provider of @otel-policy/providers, bundled with esbuild as an application would
// (minified, tree-shaken, ESM, platform browser), OpenTelemetry packages
// left out (the page has them anyway). Reports raw and gzip bytes per entry
// and the share of each dependency in it, split as an application bundler
// splits it: what the page loads first, and the regex engine's chunk, which
// it loads only when a policy set first needs a regex. Target (issue: the
// span processor with the engine): <= 45 KB gzip loaded first.
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
  'span processor + HTTP sync provider': "export { PolicySpanProcessor } from '@otel-policy/sdk-processor'; export { HttpPolicyProvider } from '@otel-policy/providers';",
};

/** The package an esbuild input path belongs to. */
function packageOf(input) {
  if (input.includes('node_modules/')) {
    const rest = input.split('node_modules/').pop();
    return rest
      .split('/')
      .slice(0, rest.startsWith('@') ? 2 : 1)
      .join('/');
  }
  return `@otel-policy/${input.split('packages/')[1]?.split('/')[0] ?? input}`;
}

/**
 * Bundle one entry's source with code splitting, as an application bundler
 * does: what the page loads first (the entry chunk and the chunks it
 * imports statically) and what it loads only on demand (the regex engine's
 * chunk, fetched when a policy set first needs a regex). Returns bytes and
 * each package's bytes for both.
 */
export async function bundle(contents) {
  const r = await esbuild.build({
    // Resolved from the package itself (a self-reference through its exports, browser condition).
    stdin: { contents, resolveDir: path.join(ROOT, 'packages', 'sdk-processor'), loader: 'js', sourcefile: 'entry.js' },
    bundle: true,
    minify: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    outdir: 'out',
    write: false,
    metafile: true,
    external: ['@opentelemetry/*'],
    logLevel: 'silent',
  });
  const outputs = r.metafile.outputs;
  const entry = Object.keys(outputs).find((o) => outputs[o].entryPoint !== undefined);
  // The initial load: the entry and everything it imports statically.
  const initial = new Set();
  const visit = (o) => {
    if (initial.has(o)) return;
    initial.add(o);
    for (const imp of outputs[o].imports) if (imp.kind === 'import-statement' && outputs[imp.path]) visit(imp.path);
  };
  visit(entry);
  const files = new Map(r.outputFiles.map((f) => [path.relative(process.cwd(), f.path), f.contents]));
  const part = (names) => {
    const bytes = Buffer.concat(names.map((n) => files.get(n)));
    const byPackage = {};
    for (const n of names) {
      for (const [input, v] of Object.entries(outputs[n].inputs)) {
        if (input === 'entry.js') continue; // the entry's one import line
        byPackage[packageOf(input)] = (byPackage[packageOf(input)] ?? 0) + v.bytesInOutput;
      }
    }
    // Chunks are fetched and compressed one by one: gzip each, then add up.
    return { raw: bytes.length, gzip: names.reduce((n, name) => n + gzipSync(files.get(name)).length, 0), byPackage, files: names.length };
  };
  const onDemand = Object.keys(outputs).filter((o) => !initial.has(o) && o.endsWith('.js'));
  return { initial: part([...initial]), onDemand: part(onDemand) };
}

const kb = (bytes) => Math.round(bytes / 102.4) / 10;
const sharesOf = (part) =>
  Object.fromEntries(
    Object.entries(part.byPackage)
      .sort((x, y) => y[1] - x[1])
      .map(([k, v]) => [k, Math.round((v / part.raw) * 100) / 100]),
  );
const largest = (shares) =>
  Object.entries(shares)
    .slice(0, 3)
    .map(([k, v]) => `${k} ${Math.round(v * 100)}%`)
    .join(', ');

export async function run() {
  const rows = [];
  for (const [entry, contents] of Object.entries(ENTRIES)) {
    const b = await bundle(contents);
    rows.push({
      entry,
      raw_bytes: b.initial.raw,
      gzip_bytes: b.initial.gzip,
      gzip_kb: kb(b.initial.gzip),
      shares: sharesOf(b.initial),
      regex_chunk: { raw_bytes: b.onDemand.raw, gzip_bytes: b.onDemand.gzip, gzip_kb: kb(b.onDemand.gzip), shares: sharesOf(b.onDemand) },
      with_regex_gzip_kb: kb(b.initial.gzip + b.onDemand.gzip),
    });
  }
  printTable(
    'browser bundles (esbuild, minified, split; OpenTelemetry packages external): loaded first, and the regex engine chunk loaded when a policy first needs a regex',
    rows.map((r) => ({
      entry: r.entry,
      raw_bytes: r.raw_bytes,
      gzip_kb: r.gzip_kb,
      largest: largest(r.shares),
      regex_chunk_gzip_kb: r.regex_chunk.gzip_kb,
      with_regex_gzip_kb: r.with_regex_gzip_kb,
    })),
  );
  const span = rows.find((r) => r.entry === 'span processor');
  const met = span.gzip_bytes <= TARGET_GZIP_BYTES;
  const results = {
    benchmark: 'browser-size',
    ...environment(),
    setup: {
      bundler: `esbuild ${esbuild.version}`,
      options: 'bundle, minify, splitting, format esm, platform browser (the browser export condition), @opentelemetry/* external',
      measured:
        'gzip_bytes: what the page loads first (the entry chunk and its static imports: processors, engine, literal matchers); regex_chunk: re2js, loaded by a dynamic import the first time a policy set needs a regex (sets of literal matches never load it)',
    },
    entries: rows,
    targets: [{ name: 'span_processor_gzip_bytes (loaded first)', limit: `<= ${TARGET_GZIP_BYTES}`, actual: span.gzip_bytes, met }],
  };
  console.log(
    `\nspan processor: ${span.gzip_kb} KB gzip loaded first (target <= 45 KB: ${met ? 'met' : 'NOT met'}); ` +
      `+ ${span.regex_chunk.gzip_kb} KB gzip regex engine chunk when a policy needs a regex (${span.with_regex_gzip_kb} KB in all)`,
  );
  writeResults('browser-size', results);
  if (!met) process.exitCode = 1;
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
