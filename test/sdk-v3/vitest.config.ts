/**
 * The SDK processor suites again, against the OpenTelemetry JS SDK 3.x line
 * (sdk-logs / sdk-trace / sdk-metrics 3.x, api 1.10): every
 * `@opentelemetry/*` import, in the tests and in our packages, resolves to
 * this folder's 3.x dependencies. Needs Node >= 22.15 (scripts/test.js runs it under `npx -y node@22` when this Node is older).
 */
import { defineConfig } from 'vitest/config';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
/** The ESM entry of this folder's 3.x copy of a package (real path, as Vite dedupes by it). */
const v3 = (name: string) => path.join(realpathSync(path.join(here, 'node_modules', '@opentelemetry', name)), 'dist', 'index.mjs');
const src = (pkg: string) => path.join(root, 'packages', pkg, 'src', 'index.ts');
const exact = (name: string) => new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`);

export default defineConfig({
  root,
  resolve: {
    alias: [
      { find: exact('@opentelemetry/sdk-trace-base'), replacement: path.join(here, 'shims', 'sdk-trace-base.ts') },
      ...['api', 'core', 'resources', 'sdk-logs', 'sdk-metrics', 'sdk-trace'].map((n) => ({ find: exact(`@opentelemetry/${n}`), replacement: v3(n) })),
      { find: exact('@otel-policy/core'), replacement: src('core') },
      { find: exact('@otel-policy/adapters'), replacement: src('adapters') },
      { find: exact('@otel-policy/sdk-processor'), replacement: src('sdk-processor') },
      { find: exact('@otel-policy/providers'), replacement: src('providers') },
      { find: exact('@otel-policy/proto'), replacement: src('proto') },
    ],
  },
  test: {
    include: ['packages/sdk-processor/test/**/*.test.ts', 'packages/adapters/test/sdk-*.test.ts'],
    testTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results-sdk-v3.json' },
  },
});
