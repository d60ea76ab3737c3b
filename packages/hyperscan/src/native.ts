/**
 * Loading the native addon (built at install time by native/build.cjs when
 * the system has Hyperscan or Vectorscan and a C++ toolchain).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A compiled Hyperscan block-mode database with its own scratch space. */
export interface NativeDatabase {
  /**
   * Scan `value` (as UTF-8); the indexes of the matching expressions are then
   * in `results[0..n)`. Returns n, or -1 without scanning when `value` holds a
   * lone surrogate (not representable in UTF-8).
   */
  scan(value: string): number;
  /** Where `scan` writes, one slot per expression (each reports at most once). */
  readonly results: Int32Array;
}

/** The addon's exports. */
export interface NativeModule {
  version(): string;
  readonly flags: {
    readonly CASELESS: number;
    readonly DOTALL: number;
    readonly MULTILINE: number;
    readonly SINGLEMATCH: number;
    readonly ALLOWEMPTY: number;
    readonly UTF8: number;
    readonly UCP: number;
  };
  /** Compiles with hs_compile_multi; on failure throws an Error whose `expression` is the failing index (or -1). */
  Database: new (expressions: readonly string[], flags: readonly number[]) => NativeDatabase;
  /** The same compilation on the libuv thread pool; rejects like the constructor throws. */
  compileAsync(expressions: readonly string[], flags: readonly number[]): Promise<NativeDatabase>;
}

/** Where the build puts the addon. */
export const DEFAULT_ADDON_PATH = fileURLToPath(new URL('../build/Release/otel_policy_hs.node', import.meta.url));

const HOW_TO_ENABLE = 'apt-get install libhyperscan-dev (or libvectorscan-dev), then `pnpm --filter @otel-policy/hyperscan run build:native`';
const HOW_TO_ENABLE_FIXED =
  'install Intel Hyperscan (apt-get install libhyperscan-dev on x86-64) or a Vectorscan release without the bug, then rebuild with `pnpm --filter @otel-policy/hyperscan run build:native`';

/**
 * Known-answer checks run once when the addon loads. Debian bookworm's
 * Vectorscan 5.4.9 (x86-64) misses matches of a multi-byte class in a
 * database that also holds an anchored pattern when the match starts 18 to 32
 * bytes in; a library that fails these is not used at all, since a wrong
 * answer from a policy engine is worse than a slow one.
 */
const KNOWN_ANSWERS: readonly { expressions: string[]; value: string; expected: number[] }[] = (() => {
  const out: { expressions: string[]; value: string; expected: number[] }[] = [];
  for (let k = 0; k <= 40; k++) {
    out.push({ expressions: ['[\\x{3a3}\\x{3c3}]', '\\Ax\\z'], value: `${'x'.repeat(k)}\u03a3`, expected: [0] });
  }
  out.push({ expressions: ['[^Xa]', '\\Aab'], value: 'a', expected: [] });
  return out;
})();

/** The first known-answer check the library fails, or undefined. */
export function selfTest(native: NativeModule): string | undefined {
  const f = native.flags;
  const dbs = new Map<string, NativeDatabase>();
  for (const t of KNOWN_ANSWERS) {
    const key = t.expressions.join('\n');
    let db = dbs.get(key);
    if (!db)
      dbs.set(
        key,
        (db = new native.Database(
          t.expressions,
          t.expressions.map(() => f.UTF8 | f.SINGLEMATCH),
        )),
      );
    const got = Array.from(db.results.subarray(0, db.scan(t.value))).sort((a, b) => a - b);
    if (got.join() !== t.expected.join()) {
      return `${JSON.stringify(t.expressions)} on ${JSON.stringify(t.value)} gave [${got}], expected [${t.expected}]`;
    }
  }
  return undefined;
}

/** The addon, or why it cannot be used. */
export type NativeLoad = { ok: true; native: NativeModule; version: string } | { ok: false; reason: string };

const cache = new Map<string, NativeLoad>();

/**
 * Load the addon once per path. Never throws: a missing build, a missing
 * shared library or `OTEL_POLICY_HYPERSCAN=0` in the environment all come
 * back as a reason.
 */
export function loadNative(path: string = DEFAULT_ADDON_PATH): NativeLoad {
  if (process.env.OTEL_POLICY_HYPERSCAN === '0') return { ok: false, reason: 'disabled by OTEL_POLICY_HYPERSCAN=0' };
  const cached = cache.get(path);
  if (cached) return cached;
  let result: NativeLoad;
  if (!existsSync(path)) {
    result = { ok: false, reason: `native addon not built (${HOW_TO_ENABLE})` };
  } else {
    try {
      const native = createRequire(import.meta.url)(path) as NativeModule;
      const version = native.version();
      const failed = selfTest(native);
      result = failed ? { ok: false, reason: `the system's Hyperscan library (${version}) gives wrong answers: ${failed} (${HOW_TO_ENABLE_FIXED})` } : { ok: true, native, version };
    } catch (err) {
      const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
      result = { ok: false, reason: `native addon failed to load: ${msg} (${HOW_TO_ENABLE})` };
    }
  }
  cache.set(path, result);
  return result;
}
