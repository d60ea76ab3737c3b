import type { RE2JS } from 're2js';
import { AhoCorasick, foldLiteral } from './aho-corasick.js';
import { requiredLiterals } from './literal-prefilter.js';
import { DEFAULT_ROUTING, Re2jsBackend, type AsyncCompileStep, type CompileYield, type RegexBackend, type RegexMatcher } from './regex-backend.js';
import { compileRe2, quoteMeta } from './re2.js';

/** The string match kinds that a match key's pattern set answers. */
export type PatternKind = 'exact' | 'prefix' | 'suffix' | 'contains' | 'regex';

/** One distinct pattern of a match key. */
export interface Pattern {
  readonly kind: PatternKind;
  readonly value: string;
  /** Match without regard to case. */
  readonly ci: boolean;
  /** The regex already compiled (with `ci`) when the compiler validated it. */
  readonly re?: RE2JS;
}

/** Options for building a {@link PatternSet}; each defaults to the backend's {@link RegexBackend.routing}. */
export interface PatternSetOptions {
  /** Largest number of regexes compiled into one backend set (bounds DFA memory and compile pauses). */
  shardSize?: number;
  /** Run every regex through the backend, without literal prefilters (for backends faster than the prefilter). */
  noPrefilter?: boolean;
  /** Send literal patterns other than case-sensitive `exact` to the backend as regexes. */
  literalsToBackend?: boolean;
  /** Compile case-insensitive patterns with the case-sensitive ones, as `(?i:...)`. */
  foldInline?: boolean;
  /** Build sets smaller than this the default way (see {@link BackendRouting.minPatterns}); 0 turns it off. */
  minPatterns?: number;
  /** Answer values up to this length the default way (see {@link BackendRouting.shortValueLength}); 0 turns it off. */
  shortValueLength?: number;
}

// Roles a literal plays for a pattern.
const CONTAINS = 0;
const PREFIX = 1;
const SUFFIX = 2;
const EXACT = 3;
const PREFILTER = 4;

/** Literals of one automaton and, per literal, the (role, target) pairs it serves. */
class LiteralTable {
  readonly literals: string[] = [];
  private readonly index = new Map<string, number>();
  readonly entries: [number, number][][] = [];
  add(literal: string, role: number, target: number): void {
    let id = this.index.get(literal);
    if (id === undefined) {
      id = this.literals.length;
      this.index.set(literal, id);
      this.literals.push(literal);
      this.entries.push([]);
    }
    this.entries[id].push([role, target]);
  }
}

/** An automaton with its literal roles in CSR form. */
interface LiteralScanner {
  ac: AhoCorasick;
  literals: readonly string[];
  start: Int32Array;
  role: Uint8Array;
  target: Int32Array;
}

/**
 * Up to this many case-sensitive literals are tested with the native string
 * search (indexOf is vectorised) instead of stepping the automaton in JS.
 */
const NATIVE_SEARCH_MAX = 6;

function scannerOf(t: LiteralTable, fold: boolean): LiteralScanner | null {
  if (t.literals.length === 0) return null;
  const total = t.entries.reduce((n, e) => n + e.length, 0);
  const start = new Int32Array(t.literals.length + 1);
  const role = new Uint8Array(total);
  const target = new Int32Array(total);
  let k = 0;
  t.entries.forEach((list, id) => {
    start[id] = k;
    for (const [r, tg] of list) {
      role[k] = r;
      target[k] = tg;
      k++;
    }
  });
  start[t.literals.length] = k;
  return { ac: new AhoCorasick(t.literals, fold), literals: t.literals, start, role, target };
}

/** Regexes always run (no usable prefilter literal), compiled in shards. */
interface Shard {
  matcher: RegexMatcher;
  ids: Int32Array;
}

/**
 * All string patterns that read one value (one match key), answered by one
 * pass over it per automaton: case-sensitive exact values by hash lookup;
 * every other literal and every regex's required literal by an Aho-Corasick
 * automaton (a second, case-folding one only when the key has
 * case-insensitive patterns); then only the regexes whose literal occurred
 * are run. Regexes without a
 * usable literal are scanned by the backend in shards.
 *
 * A scan allocates nothing unless a regex has to run.
 */
export class PatternSet {
  size!: number;
  private exact!: Map<string, number[]>;
  /** Patterns every value matches (an empty prefix, suffix or substring). */
  private everyValue!: Int32Array;
  private cs!: LiteralScanner | null;
  private ci!: LiteralScanner | null;
  /** Prefiltered regexes: pattern id and compiled regex. */
  private regexIds!: Int32Array;
  private regexes!: RE2JS[];
  private shards!: Shard[];
  // Per-scan state, kept in fields so that the automaton callback is allocated once.
  private seen!: Uint32Array;
  private candStamp!: Uint32Array;
  private cands!: Int32Array;
  private nCands!: number;
  private gen!: number;
  private out!: Int32Array;
  private offset!: number;
  private lastIndex!: number;
  private scratch!: Int32Array;
  private onCs!: (id: number, end: number) => void;
  private onCi!: (id: number, end: number) => void;
  /** The same patterns the default way, for values of at most shortMax units (null: none). */
  private short!: PatternSet | null;
  private shortMax!: number;

  /**
   * Build a pattern set. Compiling many regexes takes a while: to build one in
   * slices, use {@link PatternSet.steps} and resume it between event-loop turns.
   */
  constructor(patterns: readonly Pattern[], backend: RegexBackend, options: PatternSetOptions = {}) {
    const steps = PatternSet.steps(patterns, backend, options);
    let r = steps.next();
    while (!r.done) r = steps.next();
    return r.value;
  }

  /** Build in steps: yields between expensive parts (each regex shard). */
  static *steps(patterns: readonly Pattern[], backend: RegexBackend, options: PatternSetOptions = {}): Generator<CompileYield, PatternSet, unknown> {
    const set = Object.create(PatternSet.prototype) as PatternSet;
    yield* set.init(patterns, backend, options);
    return set;
  }

  private *init(patterns: readonly Pattern[], backend: RegexBackend, options: PatternSetOptions): Generator<CompileYield, void, unknown> {
    this.size = patterns.length;
    this.exact = new Map();
    this.shards = [];
    this.nCands = 0;
    this.gen = 0;
    this.out = new Int32Array(0);
    this.offset = 0;
    this.lastIndex = 0;
    const routing = backend.routing ?? DEFAULT_ROUTING;
    if (patterns.length < (options.minPatterns ?? routing.minPatterns ?? 0)) {
      yield* this.init(patterns, new Re2jsBackend(), { shardSize: options.shardSize });
      return;
    }
    const shardSize = Math.max(1, options.shardSize ?? routing.shardSize);
    const noPrefilter = options.noPrefilter ?? !routing.prefilter;
    const literalsToBackend = options.literalsToBackend ?? routing.literals;
    const shortMax = options.shortValueLength ?? routing.shortValueLength ?? 0;
    this.short = shortMax > 0 ? yield* PatternSet.steps(patterns, new Re2jsBackend(), { shortValueLength: 0 }) : null;
    // -1: no value is short enough, not even the empty one.
    this.shortMax = this.short === null ? -1 : shortMax;
    const csTable = new LiteralTable();
    const ciTable = new LiteralTable();
    const regexIds: number[] = [];
    const regexes: RE2JS[] = [];
    const always: { id: number; source: string; ci: boolean }[] = [];
    const everyValue: number[] = [];

    patterns.forEach((p, id) => {
      if (p.kind !== 'regex' && literalsToBackend && (p.ci || p.kind !== 'exact')) {
        always.push({ id, source: literalRegex(p.kind, p.value), ci: p.ci });
        return;
      }
      if (p.kind !== 'regex') {
        if (p.kind === 'exact' && (!p.ci || p.value === '')) {
          // Only "" equals "", whatever the case.
          const ids = this.exact.get(p.value);
          if (ids) ids.push(id);
          else this.exact.set(p.value, [id]);
          return;
        }
        if (p.value === '') {
          // Every string starts with, ends with and contains "": no matcher needed (nor the regex engine).
          everyValue.push(id);
          return;
        }
        if (!p.ci) {
          csTable.add(p.value, p.kind === 'prefix' ? PREFIX : p.kind === 'suffix' ? SUFFIX : CONTAINS, id);
          return;
        }
        const folded = foldLiteral(p.value);
        if (folded !== undefined && folded !== '') {
          ciTable.add(folded, p.kind === 'prefix' ? PREFIX : p.kind === 'suffix' ? SUFFIX : p.kind === 'exact' ? EXACT : CONTAINS, id);
          return;
        }
        // Non-ASCII case-insensitive literals need Unicode case folding: use the regex engine.
        always.push({ id, source: literalRegex(p.kind, p.value), ci: true });
        return;
      }
      const lits = noPrefilter ? null : requiredLiterals(p.value);
      const folded = lits && p.ci ? lits.map(foldLiteral) : lits;
      if (!folded || folded.some((l) => l === undefined)) {
        always.push({ id, source: p.value, ci: p.ci });
        return;
      }
      let re = p.re;
      if (re === undefined) {
        const compiled = compileRe2(p.value, p.ci);
        if (!compiled.ok) throw new Error(`invalid regex ${JSON.stringify(p.value)}: ${compiled.reason}`);
        re = compiled.re;
      }
      const ri = regexes.length;
      regexes.push(re);
      regexIds.push(id);
      for (const l of folded) (p.ci ? ciTable : csTable).add(l!, PREFILTER, ri);
    });

    if (options.foldInline ?? routing.foldInline) {
      for (const a of always) {
        if (!a.ci) continue;
        a.source = `(?i:${a.source})`;
        a.ci = false;
      }
    }
    for (const ci of [false, true]) {
      const list = always.filter((a) => a.ci === ci);
      for (let i = 0; i < list.length; i += shardSize) {
        const part = list.slice(i, i + shardSize);
        const sources = part.map((a) => a.source);
        let matcher: RegexMatcher | undefined;
        if (backend.compileAsync) {
          const step: AsyncCompileStep = { run: () => backend.compileAsync!(sources, ci) };
          matcher = (yield step) as RegexMatcher | undefined;
        }
        this.shards.push({ matcher: matcher ?? backend.compile(sources, ci), ids: Int32Array.from(part, (a) => a.id) });
        yield;
      }
    }
    this.cs = scannerOf(csTable, false);
    this.ci = scannerOf(ciTable, true);
    this.everyValue = Int32Array.from(everyValue);
    this.regexIds = Int32Array.from(regexIds);
    this.regexes = regexes;
    this.seen = new Uint32Array(Math.max(1, patterns.length));
    this.candStamp = new Uint32Array(Math.max(1, regexes.length));
    this.cands = new Int32Array(Math.max(1, regexes.length));
    this.scratch = new Int32Array(Math.max(1, ...this.shards.map((s) => s.ids.length)));
    this.onCs = (id, end) => this.onLiteral(this.cs!, id, end);
    this.onCi = (id, end) => this.onLiteral(this.ci!, id, end);
  }

  private emit(patternId: number): void {
    if (this.seen[patternId] === this.gen) return;
    this.seen[patternId] = this.gen;
    this.out[this.offset++] = patternId;
  }

  private onLiteral(sc: LiteralScanner, literal: number, end: number): void {
    const len = sc.ac.lengths[literal];
    for (let k = sc.start[literal], stop = sc.start[literal + 1]; k < stop; k++) {
      const target = sc.target[k];
      switch (sc.role[k]) {
        case CONTAINS:
          this.emit(target);
          break;
        case PREFIX:
          if (end === len - 1) this.emit(target);
          break;
        case SUFFIX:
          if (end === this.lastIndex) this.emit(target);
          break;
        case EXACT:
          if (end === this.lastIndex && end === len - 1) this.emit(target);
          break;
        case PREFILTER:
          if (this.candStamp[target] !== this.gen) {
            this.candStamp[target] = this.gen;
            this.cands[this.nCands++] = target;
          }
          break;
      }
    }
  }

  private scanNative(sc: LiteralScanner, value: string): void {
    const lits = sc.literals;
    for (let l = 0; l < lits.length; l++) {
      const lit = lits[l];
      const found = value.indexOf(lit);
      if (found < 0) continue;
      const len = lit.length;
      for (let k = sc.start[l], stop = sc.start[l + 1]; k < stop; k++) {
        const role = sc.role[k];
        // Prefix and suffix need the occurrence at an edge, not just any occurrence.
        if (role === PREFIX) {
          if (found === 0) this.onRole(role, sc.target[k]);
        } else if (role === SUFFIX) {
          if (value.length >= len && value.endsWith(lit)) this.onRole(role, sc.target[k]);
        } else this.onRole(role, sc.target[k]);
      }
    }
  }

  private onRole(role: number, target: number): void {
    if (role === PREFILTER) {
      if (this.candStamp[target] !== this.gen) {
        this.candStamp[target] = this.gen;
        this.cands[this.nCands++] = target;
      }
    } else this.emit(target);
  }

  /** Write the ids of the patterns that match `value` into `out`; return the new offset. */
  scan(value: string, out: Int32Array, offset: number): number {
    if (value.length <= this.shortMax) return this.short!.scan(value, out, offset);
    if (this.gen === 0xffffffff) {
      this.seen.fill(0);
      this.candStamp.fill(0);
      this.gen = 0;
    }
    this.gen++;
    this.out = out;
    this.offset = offset;
    this.nCands = 0;
    this.lastIndex = value.length - 1;
    for (let i = 0; i < this.everyValue.length; i++) this.emit(this.everyValue[i]);
    if (this.exact.size !== 0) {
      const ids = this.exact.get(value);
      if (ids !== undefined) for (let i = 0; i < ids.length; i++) this.emit(ids[i]);
    }
    const cs = this.cs;
    if (cs !== null) {
      if (cs.literals.length <= NATIVE_SEARCH_MAX) this.scanNative(cs, value);
      else cs.ac.scan(value, this.onCs);
    }
    if (this.ci !== null) this.ci.ac.scan(value, this.onCi);
    for (let c = 0; c < this.nCands; c++) {
      const ri = this.cands[c];
      if (this.regexes[ri].test(value)) this.emit(this.regexIds[ri]);
    }
    for (let s = 0; s < this.shards.length; s++) {
      const shard = this.shards[s];
      const n = shard.matcher.scan(value, this.scratch, 0);
      for (let i = 0; i < n; i++) this.emit(shard.ids[this.scratch[i]]);
    }
    return this.offset;
  }
}

/** The RE2 pattern equivalent to a literal pattern. */
export function literalRegex(kind: Exclude<PatternKind, 'regex'>, value: string): string {
  switch (kind) {
    case 'exact':
      return `\\A${quoteMeta(value)}\\z`;
    case 'prefix':
      return `\\A${quoteMeta(value)}`;
    case 'suffix':
      return `${quoteMeta(value)}\\z`;
    case 'contains':
      return quoteMeta(value);
  }
}
