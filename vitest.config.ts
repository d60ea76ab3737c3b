import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@otel-policy/core': src('core'),
      '@otel-policy/proto': src('proto'),
      '@otel-policy/adapters': src('adapters'),
      '@otel-policy/sdk-processor': src('sdk-processor'),
      '@otel-policy/providers': src('providers'),
      '@otel-policy/collector': src('collector'),
      '@otel-policy/hyperscan': src('hyperscan'),
    },
  },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // The SDK 3.x run has its own config (test/sdk-v3/vitest.config.ts) and Node.
    exclude: ['**/node_modules/**', 'test/sdk-v3/**'],
    // Tests that import the core's modules directly (not through its Node entry) get re2js registered as that entry does.
    setupFiles: [fileURLToPath(new URL('./packages/core/src/match/re2js-eager.ts', import.meta.url))],
    testTimeout: 60_000,
    // The JSON report feeds .ci/run's totals line.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
    hookTimeout: 60_000,
  },
});
