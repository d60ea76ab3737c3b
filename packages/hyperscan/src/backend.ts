import { Re2jsBackend, type BackendRouting, type RegexBackend, type RegexMatcher } from '@otel-policy/core';
import { loadNative, type NativeDatabase, type NativeModule } from './native.js';
import { translateForHyperscan, Untranslatable } from './translate.js';

/** Options for {@link HyperscanBackend}. */
export interface HyperscanBackendOptions {
  /** Runs the patterns Hyperscan cannot take, and values that are not well-formed UTF-16 (default re2js). */
  fallback?: RegexBackend;
  /** Told about every pattern that went to the fallback, and why. */
  onFallback?: (pattern: string, reason: string) => void;
  /** How many compiled sets to keep for reuse by later reloads (default 64; 0 keeps none). */
  cacheSize?: number;
}

/** After this many failed set compilations, find the remaining bad patterns one by one instead. */
const MAX_SET_RETRIES = 4;

/**
 * Hyperscan (or Vectorscan) as the engine's regex backend: all patterns of a
 * match key in one database, scanned in one SIMD pass. Each pattern is
 * translated from RE2 syntax first (see translate.ts); a pattern that cannot
 * be translated or that Hyperscan refuses runs on the fallback backend,
 * alone, so one pattern never disables the set.
 */
export class HyperscanBackend implements RegexBackend {
  readonly name = 'hyperscan';
  /**
   * One pass over the value answers every pattern, literals included, faster
   * than the JavaScript prefilter could, once the value is long enough to
   * repay the call into native code (measured crossover, 10 to 1000
   * patterns: 128 to 192 characters) and the key has more than one pattern
   * (a lone pattern's literal is found faster by the native `indexOf`).
   */
  readonly routing: BackendRouting = { prefilter: false, literals: true, foldInline: true, shardSize: 100_000, shortValueLength: 128, minPatterns: 2 };
  /** Patterns sent to the fallback so far. */
  fallbackPatterns = 0;
  private readonly fallback: RegexBackend;
  /** For everything else: UTF-8 mode (the translation spells out case, dot-all and multi-line, so no flags for those). */
  private readonly utf8Flags: number;
  /** For expressions that match ASCII only: byte mode, about a quarter faster on long values. */
  private readonly byteFlags: number;
  /**
   * Matchers of the sets compiled last, by their patterns. A reload
   * recompiles every match key, and a thousand patterns take Hyperscan a
   * second or two; keys whose patterns did not change get their matcher back.
   * A matcher keeps no state between scans, so old and new snapshots can share it.
   */
  private readonly recent = new Map<string, RegexMatcher>();
  private readonly cacheSize: number;

  constructor(
    private readonly native: NativeModule,
    private readonly options: HyperscanBackendOptions = {},
  ) {
    this.fallback = options.fallback ?? new Re2jsBackend();
    this.cacheSize = Math.max(0, options.cacheSize ?? 64);
    const f = native.flags;
    this.utf8Flags = f.UTF8 | f.SINGLEMATCH | f.ALLOWEMPTY;
    this.byteFlags = f.SINGLEMATCH | f.ALLOWEMPTY;
  }

  compile(patterns: readonly string[], caseInsensitive: boolean): RegexMatcher {
    const plan = this.plan(patterns, caseInsensitive);
    let r = plan.next();
    while (!r.done) {
      let answer: NativeDatabase | Error;
      try {
        answer = new this.native.Database(r.value.expressions, r.value.flags);
      } catch (err) {
        answer = err as Error;
      }
      r = plan.next(answer);
    }
    return r.value;
  }

  /** Like {@link compile}, with Hyperscan's compiler on the libuv thread pool: a large set never blocks the event loop. */
  async compileAsync(patterns: readonly string[], caseInsensitive: boolean): Promise<RegexMatcher> {
    const plan = this.plan(patterns, caseInsensitive);
    let r = plan.next();
    while (!r.done) {
      let answer: NativeDatabase | Error;
      try {
        answer = await this.native.compileAsync(r.value.expressions, r.value.flags);
      } catch (err) {
        answer = err as Error;
      }
      r = plan.next(answer);
    }
    return r.value;
  }

  /**
   * The compilation, whichever way databases get built: yields the
   * expressions of each database it needs and is sent back the database or
   * the compiler's error. A set compiled recently needs none.
   */
  private *plan(patterns: readonly string[], caseInsensitive: boolean): Generator<DatabaseRequest, RegexMatcher, NativeDatabase | Error> {
    const key = cacheKey(patterns, caseInsensitive);
    const matcher = this.recent.get(key) ?? (yield* this.build(patterns, caseInsensitive));
    // Most recently used last: Map order is insertion order, so re-insert on use and drop the first.
    this.recent.delete(key);
    this.recent.set(key, matcher);
    if (this.recent.size > this.cacheSize) this.recent.delete(this.recent.keys().next().value!);
    return matcher;
  }

  private *build(patterns: readonly string[], caseInsensitive: boolean): Generator<DatabaseRequest, RegexMatcher, NativeDatabase | Error> {
    const onHs: { id: number; expr: string; flags: number }[] = [];
    const onFallback: { id: number; pattern: string }[] = [];
    const refuse = (id: number, reason: string) => {
      onFallback.push({ id, pattern: patterns[id] });
      this.fallbackPatterns++;
      this.options.onFallback?.(patterns[id], reason);
    };
    patterns.forEach((p, id) => {
      try {
        const t = translateForHyperscan(p, caseInsensitive);
        onHs.push({ id, expr: t.expression, flags: t.utf8 ? this.utf8Flags : this.byteFlags });
      } catch (err) {
        if (!(err instanceof Untranslatable)) throw err;
        refuse(id, err.message);
      }
    });

    let db: NativeDatabase | null = null;
    for (let attempt = 0; onHs.length > 0; attempt++) {
      const answer = yield { expressions: onHs.map((e) => e.expr), flags: onHs.map((e) => e.flags) };
      if (!(answer instanceof Error)) {
        db = answer;
        break;
      }
      const index = (answer as { expression?: unknown }).expression;
      const reason = `hyperscan: ${answer.message}`;
      if (typeof index !== 'number' || index < 0 || index >= onHs.length) {
        // Not one expression's fault (e.g. the set is too large): the whole set goes to the fallback.
        for (const e of onHs.splice(0)) refuse(e.id, reason);
        break;
      }
      refuse(onHs[index].id, reason);
      onHs.splice(index, 1);
      if (attempt >= MAX_SET_RETRIES) {
        // Many bad patterns: finding them one by one is cheaper than recompiling the set for each.
        for (let i = onHs.length - 1; i >= 0; i--) {
          const alone = yield { expressions: [onHs[i].expr], flags: [onHs[i].flags] };
          if (alone instanceof Error) {
            refuse(onHs[i].id, `hyperscan: ${alone.message}`);
            onHs.splice(i, 1);
          }
        }
      }
    }
    onFallback.sort((a, b) => a.id - b.id);
    const fb = onFallback.length
      ? this.fallback.compile(
          onFallback.map((e) => e.pattern),
          caseInsensitive,
        )
      : null;
    const identity = onFallback.length === 0;
    return new HyperscanMatcher(
      db,
      identity ? null : Int32Array.from(onHs, (e) => e.id),
      fb,
      Int32Array.from(onFallback, (e) => e.id),
      patterns.length,
      () => this.fallback.compile(patterns, caseInsensitive),
    );
  }
}

/** One database to build: its expressions and their flags. */
interface DatabaseRequest {
  expressions: string[];
  flags: number[];
}

/** The set as one string; length prefixes keep it unambiguous whatever the patterns contain. */
function cacheKey(patterns: readonly string[], caseInsensitive: boolean): string {
  let key = caseInsensitive ? 'i' : 'c';
  for (const p of patterns) key += `${p.length}:${p}`;
  return key;
}

class HyperscanMatcher implements RegexMatcher {
  private readonly scratch: Int32Array;
  private whole: RegexMatcher | undefined;

  constructor(
    private readonly db: NativeDatabase | null,
    /** Pattern id per database expression; null when they coincide (no fallback patterns). */
    private readonly dbIds: Int32Array | null,
    private readonly fallback: RegexMatcher | null,
    private readonly fallbackIds: Int32Array,
    size: number,
    private readonly compileWhole: () => RegexMatcher,
  ) {
    this.scratch = new Int32Array(Math.max(1, size));
  }

  scan(value: string, out: Int32Array, offset: number): number {
    const db = this.db;
    if (db !== null) {
      const n = db.scan(value);
      if (n < 0) {
        // A lone surrogate: UTF-8 cannot carry it, RE2 semantics see it as is. Rare; run everything on the fallback.
        this.whole ??= this.compileWhole();
        return this.whole.scan(value, out, offset);
      }
      const results = db.results;
      const ids = this.dbIds;
      if (ids === null) for (let i = 0; i < n; i++) out[offset++] = results[i];
      else for (let i = 0; i < n; i++) out[offset++] = ids[results[i]];
    }
    const scratch = this.scratch;
    if (this.fallback !== null) {
      const n = this.fallback.scan(value, scratch, 0);
      for (let i = 0; i < n; i++) out[offset++] = this.fallbackIds[scratch[i]];
    }
    return offset;
  }
}

/**
 * Stands in for the Hyperscan backend where the addon is unavailable: the
 * default backend, plus a notice that the engine logs once.
 */
class UnavailableHyperscanBackend implements RegexBackend {
  readonly name: string;
  readonly routing?: BackendRouting;
  readonly notice: string;
  constructor(
    private readonly inner: RegexBackend,
    readonly reason: string,
  ) {
    this.name = inner.name;
    this.routing = inner.routing;
    this.notice = `regex backend "hyperscan" is unavailable (${reason}); using the ${inner.name} backend`;
  }
  compile(patterns: readonly string[], caseInsensitive: boolean): RegexMatcher {
    return this.inner.compile(patterns, caseInsensitive);
  }
}

/** Options for {@link hyperscanBackend}. */
export interface LoadHyperscanOptions extends HyperscanBackendOptions {
  /** The addon to load (default: this package's build output). */
  addonPath?: string;
}

/**
 * The Hyperscan backend when the native addon is built and loads; otherwise
 * the default backend, carrying a notice that the engine using it logs once
 * (the SDK processors route that to `diag`). Never throws.
 *
 * @example
 * new PolicyEngine({ regexBackend: hyperscanBackend(), logger });
 */
export function hyperscanBackend(options: LoadHyperscanOptions = {}): RegexBackend {
  const load = loadNative(options.addonPath);
  if (load.ok) return new HyperscanBackend(load.native, options);
  return new UnavailableHyperscanBackend(options.fallback ?? new Re2jsBackend(), load.reason);
}

/** Whether the native addon can be used here, with the library version or the reason it cannot. */
export function hyperscanAvailability(addonPath?: string): { available: true; version: string } | { available: false; reason: string } {
  const load = loadNative(addonPath);
  return load.ok ? { available: true, version: load.version } : { available: false, reason: load.reason };
}
