/**
 * The OpenTelemetry SDK packages of the application's own SDK line, loaded
 * from where its `@opentelemetry/sdk-node` is installed: the exporters and
 * processors built here are the very classes NodeSDK would build (same
 * versions, same environment handling), whichever line (2.x with sdk-node
 * 0.2xx, 3.x with 0.3xx) the application runs. Loaded synchronously
 * (`require`), so that a `--require`/`--import` preload has the SDK running
 * before the application's first line; loaded only when the zero-code path
 * or `withPolicies` is used, so the processors alone never need sdk-node.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

/** A class from an SDK package; constructed with the options NodeSDK passes it. */
export type SdkClass = new (...args: any[]) => any;

/** The parts of the SDK packages the zero-code path uses. */
export interface SdkPackages {
  /** `@opentelemetry/sdk-node` itself. */
  sdkNode: { NodeSDK: SdkClass };
  /** The sdk-node version (e.g. `0.223.0`, `0.301.0`). */
  version: string;
  /** Load a package as sdk-node resolves it (its own dependency), e.g. an exporter. */
  load(name: string): Record<string, unknown>;
  /** Where `@opentelemetry/sdk-node` resolved to (for resolving further files). */
  resolvedFrom: string;
}

/**
 * Resolvers in order: from the application (the working directory), whose
 * SDK line it is, then from this package (the same place under npm's flat
 * install; pnpm links the peer dependency here).
 */
function resolvers(): NodeJS.Require[] {
  return [createRequire(path.join(process.cwd(), 'index.js')), createRequire(import.meta.url)];
}

/** Where `name` resolves from the first resolver that finds it, and that resolver's require. */
function resolveFromApp(name: string): { path: string; require: NodeJS.Require } {
  let first: unknown;
  for (const r of resolvers()) {
    try {
      return { path: r.resolve(name), require: r };
    } catch (err) {
      first ??= err;
    }
  }
  throw first;
}

/** Require `name` from the first resolver that finds it. */
export function requireFromApp(name: string): unknown {
  const { path: resolved, require } = resolveFromApp(name);
  return require(resolved);
}

let cached: SdkPackages | undefined;

/**
 * The application's SDK packages.
 * @throws Error naming the missing package when `@opentelemetry/sdk-node` is not installed
 */
export function sdkPackages(): SdkPackages {
  if (cached) return cached;
  let entry: string;
  try {
    entry = resolveFromApp('@opentelemetry/sdk-node').path;
  } catch {
    throw new Error('@opentelemetry/sdk-node is not installed: install it beside @otel-policy/sdk-processor (npm install @opentelemetry/sdk-node)');
  }
  const requireSdk = createRequire(entry);
  const sdkNode = requireSdk('@opentelemetry/sdk-node') as SdkPackages['sdkNode'];
  let version = 'unknown';
  try {
    version = (requireSdk('@opentelemetry/sdk-node/package.json') as { version: string }).version;
  } catch {
    // package.json not exported: the version is only reported, never needed.
  }
  cached = { sdkNode, version, resolvedFrom: entry, load: (name) => requireSdk(name) as Record<string, unknown> };
  return cached;
}

/** A named export of an SDK package, or an error naming both. */
export function sdkClass(sdk: SdkPackages, pkg: string, name: string): SdkClass {
  const value = sdk.load(pkg)[name];
  if (typeof value !== 'function') throw new Error(`${pkg} has no export ${name} (sdk-node ${sdk.version})`);
  return value as SdkClass;
}
