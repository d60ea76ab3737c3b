// Lint configuration: ESLint with typescript-eslint, formatting by Prettier
// (`npx -y pnpm@10 lint`, run first by `npx -y pnpm@10 test`). The same pair
// as the OpenTelemetry JS SDK; chosen over Biome because the import-direction
// rules below need per-folder `no-restricted-imports` patterns, which ESLint's
// flat config expresses directly, and contributors from the SDK know it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import prettier from 'eslint-config-prettier';

/**
 * The layers of packages/core/src, lowest first. A file in one layer may import
 * its own layer and the ones before it, never a later one (nor the package
 * index, which sits above them all).
 */
export const CORE_LAYERS = ['policy', 'match', 'actions', 'compile', 'evaluate', 'engine'];

/**
 * Which workspace packages each package's sources may import. Imports point
 * one way: core, proto ← adapters, providers ← sdk-processor, collector ← cli.
 */
export const PACKAGE_DEPS = {
  core: [],
  proto: [],
  adapters: ['core'],
  hyperscan: ['core'],
  providers: ['core', 'proto'],
  'sdk-processor': ['core', 'adapters', 'providers'],
  collector: ['core', 'proto', 'adapters', 'providers', 'hyperscan'],
  cli: ['core', 'proto', 'adapters', 'providers', 'collector', 'hyperscan'],
};

const WORKSPACE = Object.keys(PACKAGE_DEPS);

/** no-restricted-imports patterns keeping package `pkg` to its declared dependencies. */
function packagePatterns(pkg) {
  const forbidden = WORKSPACE.filter((p) => p !== pkg && !PACKAGE_DEPS[pkg].includes(p));
  const patterns = forbidden.map((p) => ({
    group: [`@otel-policy/${p}`, `@otel-policy/${p}/*`],
    message: `packages/${pkg} may not depend on @otel-policy/${p} (imports point one way; see PACKAGE_DEPS in eslint.config.js)`,
  }));
  patterns.push({ regex: '(^|/)packages/[a-z-]+/src/|^(\\.\\./)+[a-z-]+/src(/|$)', message: 'import another package by its name, not by path' });
  if (pkg === 'core') patterns.push({ group: ['@opentelemetry/*'], message: 'packages/core has no OpenTelemetry dependency: records are seen through Matchable/Transformable' });
  return patterns;
}

/** Patterns forbidding a core layer to import a later layer. */
function layerPatterns(layer) {
  const later = CORE_LAYERS.slice(CORE_LAYERS.indexOf(layer) + 1);
  const patterns = later.map((l) => ({
    group: [`../${l}`, `../${l}/*`],
    message: `core/${layer} may not import core/${l}: the layers go ${CORE_LAYERS.join(' → ')}`,
  }));
  patterns.push({ regex: '^\\.\\.(/index(\\.js)?)?$', message: `core/${layer} may not import the package index` });
  return patterns;
}

/**
 * The adapter families (one per record representation) and what they share.
 * `shared/` holds the reads of each record shape, written once; a family
 * supplies only how to read its representation and never imports the other.
 */
export const ADAPTER_FAMILIES = { shared: [], 'otlp-json': ['shared'], 'otlp-proto': ['shared'], sdk: ['shared'] };

/** Patterns keeping an adapter folder to the folders it may import. */
function adapterPatterns(folder) {
  return Object.keys(ADAPTER_FAMILIES)
    .filter((f) => f !== folder && !ADAPTER_FAMILIES[folder].includes(f))
    .map((f) => ({ group: [`../${f}`, `../${f}/*`], message: `adapters/${folder} may not import adapters/${f}: each family reads its own representation, and what they share lives in shared/` }));
}

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', 'packages/*/native/build/**', 'test/conformance/cases/**', 'bench/results/**', '**/*.d.ts', '.vitest-results*.json'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Layout is Prettier's: turn off the rules that would argue with it.
  prettier,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Accessors and test doubles cast through `never`/`any` at the SDK boundary on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
      // `require` appears only where CommonJS is loaded deliberately (native addon, optional re2).
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  // Pages run in a browser (test/browser/page: the Chromium test's page).
  { files: ['test/browser/page/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
  ...WORKSPACE.filter((p) => p !== 'core').map((pkg) => ({ files: [`packages/${pkg}/src/**/*.ts`], rules: restrict(packagePatterns(pkg)) })),
  { files: ['packages/core/src/*.ts'], rules: restrict(packagePatterns('core')) },
  ...Object.keys(ADAPTER_FAMILIES).map((folder) => ({ files: [`packages/adapters/src/${folder}/**/*.ts`], rules: restrict([...packagePatterns('adapters'), ...adapterPatterns(folder)]) })),
  ...CORE_LAYERS.map((layer) => ({ files: [`packages/core/src/${layer}/**/*.ts`], rules: restrict([...packagePatterns('core'), ...layerPatterns(layer)]) })),
);
