import type { RE2JS, RE2Set } from 're2js';
import { re2js } from './re2js-module.js';
import { compileRe2 } from './re2.js';

/**
 * A compiled set of patterns that answers, for one value, which of them
 * match. Implementations must run in time linear in the value (RE2 semantics).
 */
export interface RegexMatcher {
  /**
   * Scan `value`; write the index (into the compiled pattern list) of every
   * matching pattern to `out` from `offset` on, and return the new offset.
   */
  scan(value: string, out: Int32Array, offset: number): number;
}

/**
 * The contract between the engine and a regex engine: compile a pattern set
 * once (per match key and reload), scan many values. Patterns are RE2 syntax
 * and already validated one by one with the default engine.
 */
export interface RegexBackend {
  readonly name: string;
  compile(patterns: readonly string[], caseInsensitive: boolean): RegexMatcher;
  /**
   * The same, off the event loop (e.g. on a native thread pool). When
   * present, an asynchronous reload ({@link PolicyEngine.loadAsync}) uses it.
   */
  compileAsync?(patterns: readonly string[], caseInsensitive: boolean): Promise<RegexMatcher>;
  /** How a pattern set divides its work with this backend; omitted means {@link DEFAULT_ROUTING}. */
  readonly routing?: BackendRouting;
  /**
   * A message for the operator, logged once by each engine that uses this
   * backend: e.g. that a requested native backend is unavailable and this
   * one stands in for it.
   */
  readonly notice?: string;
}

/**
 * What a pattern set hands to its backend. A backend that scans many
 * patterns in one pass faster than the JavaScript literal automaton (a SIMD
 * multi-pattern engine) wants everything; re2js wants as little as possible.
 */
export interface BackendRouting {
  /** Skip regexes whose required literal is absent from the value (false: every regex goes to the backend). */
  readonly prefilter: boolean;
  /** Send literal patterns (contains, prefix, suffix, and all case-insensitive ones) to the backend as regexes. */
  readonly literals: boolean;
  /** Most patterns compiled into one backend set. */
  readonly shardSize: number;
  /** Compile case-insensitive patterns into the case-sensitive set as `(?i:...)`, so that one scan answers both. */
  readonly foldInline?: boolean;
  /**
   * Values of at most this many UTF-16 code units are answered the default
   * way (literal prefilter, re2js) instead: for short values one call into a
   * native backend costs more than the JavaScript automaton's whole pass.
   */
  readonly shortValueLength?: number;
  /** Pattern sets with fewer patterns than this are answered the default way altogether (one literal is found faster by `indexOf`). */
  readonly minPatterns?: number;
}

/**
 * Yielded by the compiler's steps where work can leave the event loop. A
 * driver that can wait runs it and sends the result back into the steps; one
 * that cannot sends nothing, and the step does the work synchronously.
 */
export interface AsyncCompileStep {
  readonly run: () => Promise<unknown>;
}

/** What compile steps yield: nothing (a place to pause) or work that can run asynchronously. */
export type CompileYield = void | AsyncCompileStep;

/** Routing for backends that scan pattern by pattern in JavaScript: prefilter everything, shards of 64. */
export const DEFAULT_ROUTING: BackendRouting = { prefilter: true, literals: false, shardSize: 64 };

class SingleRegexMatcher implements RegexMatcher {
  constructor(private readonly re: RE2JS) {}
  scan(value: string, out: Int32Array, offset: number): number {
    if (this.re.test(value)) out[offset++] = 0;
    return offset;
  }
}

class SetRegexMatcher implements RegexMatcher {
  constructor(private readonly set: RE2Set) {}
  scan(value: string, out: Int32Array, offset: number): number {
    const ids = this.set.match(value);
    for (let i = 0; i < ids.length; i++) out[offset++] = ids[i];
    return offset;
  }
}

class ListRegexMatcher implements RegexMatcher {
  constructor(private readonly res: RE2JS[]) {}
  scan(value: string, out: Int32Array, offset: number): number {
    for (let i = 0; i < this.res.length; i++) if (this.res[i].test(value)) out[offset++] = i;
    return offset;
  }
}

/** The default backend: re2js (pure JavaScript RE2), one `RE2Set` per pattern set. */
export class Re2jsBackend implements RegexBackend {
  readonly name = 're2js';
  constructor(private readonly maxDfaMemory = 8 * 1024 * 1024) {}

  compile(patterns: readonly string[], caseInsensitive: boolean): RegexMatcher {
    const single = (p: string): RE2JS => {
      const c = compileRe2(p, caseInsensitive);
      if (!c.ok) throw new Error(`invalid regex ${JSON.stringify(p)}: ${c.reason}`);
      return c.re;
    };
    if (patterns.length === 1) return new SingleRegexMatcher(single(patterns[0]));
    try {
      const { RE2JS, RE2Set } = re2js();
      const set = new RE2Set(RE2Set.UNANCHORED, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0, this.maxDfaMemory);
      for (const p of patterns) set.add(p);
      set.compile();
      return new SetRegexMatcher(set);
    } catch {
      // A set refuses what a single regex accepts in rare cases (duplicate group names): go one by one.
      return new ListRegexMatcher(patterns.map(single));
    }
  }
}
