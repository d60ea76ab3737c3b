/**
 * The match index (PatternSet) and its parts, checked against brute force:
 *
 * 1. Differential: PatternSet.scan over random pattern sets and values must
 *    return exactly the ids that one RE2 regex per pattern says match.
 * 2. requiredLiterals: soundness (every string the regex matches contains
 *    one of the literals) on crafted and random cases, plus expectations.
 * 3. AhoCorasick: every occurrence, with its end index, in both table modes
 *    and with case folding.
 *
 * Everything random is driven by a seeded PRNG, so failures reproduce.
 */
import { describe, expect, it } from 'vitest';
import { AhoCorasick, foldChar, foldLiteral } from '../src/match/aho-corasick.js';
import { MIN_LITERAL, requiredLiterals } from '../src/match/literal-prefilter.js';
import { PatternSet, type Pattern, type PatternKind, type PatternSetOptions } from '../src/match/pattern-set.js';
import { compileRe2, quoteMeta, type Re2Compiled } from '../src/match/re2.js';
import { Re2jsBackend } from '../src/match/regex-backend.js';
import { prng, type Rng } from './support/prng.js';

const R = String.raw;
type RE2JS = Extract<Re2Compiled, { ok: true }>['re'];

const KELVIN = '\u212a';
const LONG_S = '\u017f';

// ---------------------------------------------------------------------------
// PRNG and generators
// ---------------------------------------------------------------------------

/** Fragments that patterns and values share, so that hits are likely. */
const VOCABULARY = [
  'foo',
  'bar',
  'baz',
  'abc',
  'xyz',
  'ab',
  'a',
  'kelvin',
  'Kiss',
  'ss',
  'sk',
  'SKY',
  'error',
  'ERR',
  'http',
  'GET /api',
  'a.b',
  'x*y',
  '(a)',
  '[b]',
  'a|b',
  '$5',
  '^c',
  '\\',
  '{1}',
  '?',
  '+',
  ' ',
  '.',
  'é',
  'ßs',
  'straße',
  KELVIN,
  LONG_S,
  'K' + LONG_S,
  '😀',
  'ab😀',
  'naïve',
  '日本',
  'tab\there',
  'line\nbreak',
  'abcabc',
  'aaa',
  'abab',
];

const ALPHABET = [
  ...'abcdefghijklmnopqrstuvwxyz',
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ...'0123456789',
  ...'.*+?()[]{}|^$\\-_/:;,\'"!@#%&=~`<>',
  ' ',
  ' ',
  '\n',
  '\t',
  'é',
  'É',
  'ß',
  'ẞ',
  KELVIN,
  LONG_S,
  'k',
  's',
  'K',
  'S',
  '😀',
  '🎉',
  '日',
  'ı',
  'İ',
  'Å',
  'å',
  '\u212b',
];

/** Random case changes, including the non-ASCII characters that fold to ASCII k and s. */
function mutateCase(r: Rng, s: string): string {
  let out = '';
  for (const ch of s) {
    const x = r.next();
    if ((ch === 'k' || ch === 'K') && x < 0.25) out += KELVIN;
    else if ((ch === 's' || ch === 'S') && x < 0.25) out += LONG_S;
    else if (x < 0.5) out += ch.toUpperCase().length === ch.length ? ch.toUpperCase() : ch;
    else if (x < 0.75) out += ch.toLowerCase().length === ch.length ? ch.toLowerCase() : ch;
    else out += ch;
  }
  return out;
}

function genFragments(r: Rng): string[] {
  const n = r.int(3, 10);
  const frags: string[] = [];
  for (let i = 0; i < n; i++) {
    if (r.chance(0.6)) frags.push(r.pick(VOCABULARY));
    else {
      let s = '';
      const len = r.int(1, 6);
      for (let j = 0; j < len; j++) s += r.chance(0.8) ? r.pick([...'abcdefkxyzs']) : r.pick(ALPHABET);
      frags.push(s);
    }
  }
  return frags;
}

function genLiteral(r: Rng, frags: readonly string[]): string {
  if (r.chance(0.03)) return '';
  let s = '';
  const n = r.int(1, 3);
  for (let i = 0; i < n; i++) s += r.chance(0.8) ? r.pick(frags) : r.pick(ALPHABET);
  return r.chance(0.2) ? mutateCase(r, s) : s;
}

const QUANTIFIERS = ['*', '+', '?', '{0,2}', '{2}', '{1,3}', '{0}', '{2,}', '{1}', '{0,1}'];

/** One atom of a regex, and whether a quantifier may follow it. */
function genAtom(r: Rng, frags: readonly string[], depth: number): [string, boolean] {
  const x = r.int(0, 99);
  if (x < 30) return [quoteMeta(r.pick(frags)), true]; // literal run (escaped like a user would)
  if (x < 38) return [r.pick([...'abcxyzk0 s']), true];
  if (x < 42) return [r.pick([R`\.`, R`\*`, R`\+`, R`\?`, R`\(`, R`\)`, R`\[`, R`\]`, R`\{`, R`\}`, R`\|`, R`\^`, R`\$`, R`\\`, R`\-`, R`\/`, R`\_`, R`\#`, R`\ `]), true];
  if (x < 46) return [r.pick([R`\d`, R`\w`, R`\s`, R`\D`, R`\W`, R`\S`, R`\n`, R`\t`, R`\a`, R`\f`, R`\r`, R`\v`]), true];
  if (x < 48) return [r.pick([R`\pL`, R`\p{L}`, R`\p{Greek}`, R`\PL`, R`\p{Lu}`, R`\pN`, R`\P{Ll}`]), true];
  if (x < 52) {
    const body = r.pick(frags).replace(/\\E/g, '');
    return [R`\Q` + body + R`\E`, body !== ''];
  }
  if (x < 60)
    return [r.pick(['[abc]', '[^x]', '[]a]', '[^]a]', '[a-z0-9]', '[[:alpha:]]', '[[:^space:]x]', R`[\d.]`, '[.*+]', '[é-ë]', '[kK]', R`[\]\\]`, '[^a-z]', '[[:upper:]]', '[ſ]', '[😀x]']), true];
  if (x < 64) return ['.', true];
  if (x < 70) return [r.pick(['^', '$', R`\A`, R`\z`, R`\b`, R`\B`]), r.chance(0.1)];
  if (x < 82 && depth < 3) {
    const open = r.pick(['(', '(', '(?:', '(?:', '(?i:', '(?s:', '(?-i:', '(?P<n0>', '(?P<n1>', '(?<n2>']);
    return [open + genAlternation(r, frags, depth + 1) + ')', true];
  }
  if (x < 88) return [r.pick(['(?i)', '(?s)', '(?-i)', '(?m)', '(?U)', '(?i-s)', '(?is)']), false];
  if (x < 94) return [r.pick(['😀', 'é', 'ß', KELVIN, LONG_S, '日', '🎉']), true];
  return [r.pick([']', '}', 'x{', 'a{,2}', '{']), false];
}

function genConcat(r: Rng, frags: readonly string[], depth: number): string {
  const n = r.int(0, depth === 0 ? 5 : 3);
  let s = '';
  for (let i = 0; i < n; i++) {
    const [atom, quantifiable] = genAtom(r, frags, depth);
    s += atom;
    if (quantifiable && r.chance(0.3)) {
      s += r.pick(QUANTIFIERS);
      if (r.chance(0.25)) s += '?';
    }
  }
  return s;
}

function genAlternation(r: Rng, frags: readonly string[], depth: number): string {
  const n = r.chance(0.3) ? r.int(2, 3) : 1;
  const branches: string[] = [];
  for (let i = 0; i < n; i++) branches.push(genConcat(r, frags, depth));
  return branches.join('|');
}

/** A random RE2 pattern that compiles both with and without case folding. */
function genRegex(r: Rng, frags: readonly string[]): string {
  for (;;) {
    const p = r.chance(0.03) ? '' : genAlternation(r, frags, 0);
    if (compileRe2(p, false).ok && compileRe2(p, true).ok) return p;
  }
}

const KINDS: readonly PatternKind[] = ['exact', 'prefix', 'suffix', 'contains', 'regex'];

function genPattern(r: Rng, frags: readonly string[], kinds: readonly PatternKind[] = KINDS): Pattern {
  const kind = r.pick(kinds);
  const ci = r.chance(0.4);
  return { kind, ci, value: kind === 'regex' ? genRegex(r, frags) : genLiteral(r, frags) };
}

function genPatterns(r: Rng, n: number, frags: readonly string[], kinds?: readonly PatternKind[]): Pattern[] {
  const out: Pattern[] = [];
  for (let i = 0; i < n; i++) {
    // Now and then the same pattern twice (PatternSet must report both ids).
    if (out.length > 0 && r.chance(0.03)) out.push({ ...r.pick(out) });
    else out.push(genPattern(r, frags, kinds));
  }
  return out;
}

function genValue(r: Rng, frags: readonly string[], patterns: readonly Pattern[]): string {
  const literals = patterns.filter((p) => p.kind !== 'regex').map((p) => p.value);
  if (literals.length > 0 && r.chance(0.12)) {
    // A literal pattern's value itself (exact hits), maybe in another case.
    const v = r.pick(literals);
    return r.chance(0.5) ? mutateCase(r, v) : v;
  }
  let v = '';
  const n = r.int(0, 8);
  for (let i = 0; i < n; i++) {
    const x = r.next();
    if (x < 0.35) v += r.pick(frags);
    else if (x < 0.5) v += mutateCase(r, r.pick(frags));
    else if (x < 0.6 && literals.length > 0) v += r.pick(literals);
    else v += r.pick(ALPHABET);
  }
  return v;
}

// ---------------------------------------------------------------------------
// Reference and comparison
// ---------------------------------------------------------------------------

function referenceSource(p: Pattern): string {
  const q = quoteMeta(p.value);
  switch (p.kind) {
    case 'regex':
      return p.value;
    case 'exact':
      return R`\A` + q + R`\z`;
    case 'prefix':
      return R`\A` + q;
    case 'suffix':
      return q + R`\z`;
    case 'contains':
      return q;
  }
}

function mustCompile(source: string, ci: boolean): RE2JS {
  const c = compileRe2(source, ci);
  if (!c.ok) throw new Error(`reference: cannot compile ${JSON.stringify(source)}: ${c.reason}`);
  return c.re;
}

class Reference {
  private readonly res: RE2JS[];
  constructor(patterns: readonly Pattern[]) {
    this.res = patterns.map((p) => mustCompile(referenceSource(p), p.ci));
  }
  ids(value: string): number[] {
    const out: number[] = [];
    this.res.forEach((re, id) => {
      if (re.test(value)) out.push(id);
    });
    return out;
  }
}

/** Scan with a fresh output buffer at a non-zero offset; checks the buffer contract on the way. */
function scanIds(set: PatternSet, size: number, value: string): number[] {
  const offset = 3;
  const out = new Int32Array(offset + size + 1).fill(-7);
  const end = set.scan(value, out, offset);
  for (let i = 0; i < offset; i++) if (out[i] !== -7) throw new Error(`scan wrote before its offset (index ${i})`);
  if (end < offset || end > offset + size) throw new Error(`scan returned offset ${end} (size ${size})`);
  return [...out.subarray(offset, end)];
}

/** Sorted copy; duplicates are kept, so a reported-twice id shows up as a mismatch. */
function normalise(ids: number[]): number[] {
  const sorted = [...ids].sort((a, b) => a - b);
  return sorted;
}

function sameIds(actual: number[], expected: number[]): boolean {
  const a = normalise(actual);
  return a.length === expected.length && a.every((x, i) => x === expected[i]);
}

interface Mismatch {
  patterns: Pattern[];
  value: string;
  expected: number[];
  actual: number[];
  options: PatternSetOptions;
}

function plain(p: Pattern): Pattern {
  return { kind: p.kind, value: p.value, ci: p.ci };
}

function check(patterns: readonly Pattern[], value: string, options: PatternSetOptions): Mismatch | null {
  const set = new PatternSet(patterns, new Re2jsBackend(), options);
  const actual = scanIds(set, patterns.length, value);
  const expected = new Reference(patterns).ids(value);
  return sameIds(actual, expected) ? null : { patterns: patterns.map(plain), value, expected, actual: normalise(actual), options };
}

function validPattern(p: Pattern): boolean {
  return p.kind !== 'regex' || (compileRe2(p.value, false).ok && compileRe2(p.value, true).ok);
}

/** Delete runs of code points (long runs first, then single ones) while `keep` holds. */
function shrinkString(s: string, keep: (t: string) => boolean): string {
  let cps = [...s];
  for (let size = Math.max(1, cps.length >> 1); size >= 1; size = size === 1 ? 0 : Math.max(1, size >> 1)) {
    for (let i = 0; i + size <= cps.length;) {
      const cand = [...cps.slice(0, i), ...cps.slice(i + size)];
      if (keep(cand.join(''))) cps = cand;
      else i++;
    }
  }
  return cps.join('');
}

/** Smallest pattern list, pattern texts and value (greedy) that still mismatch. */
function minimise(m: Mismatch): Mismatch {
  let patterns = m.patterns;
  let value = m.value;
  const fails = (ps: readonly Pattern[], v: string) => ps.length > 0 && check(ps, v, m.options) !== null;
  // Usually one of the patterns on which the two answers differ fails alone.
  const differing = [...m.expected.filter((id) => !m.actual.includes(id)), ...m.actual.filter((id) => !m.expected.includes(id))];
  const alone = differing.find((id) => id < patterns.length && fails([patterns[id]], value));
  if (alone !== undefined) patterns = [patterns[alone]];
  for (let i = 0; i < patterns.length && patterns.length > 1;) {
    const cand = [...patterns.slice(0, i), ...patterns.slice(i + 1)];
    if (fails(cand, value)) patterns = cand;
    else i++;
  }
  for (let i = 0; i < patterns.length; i++) {
    const p = patterns[i];
    const text = shrinkString(p.value, (t) => {
      const q = { ...p, value: t };
      return validPattern(q) && fails([...patterns.slice(0, i), q, ...patterns.slice(i + 1)], value);
    });
    patterns = [...patterns.slice(0, i), { ...p, value: text }, ...patterns.slice(i + 1)];
  }
  value = shrinkString(value, (v) => fails(patterns, v));
  return check(patterns, value, m.options) ?? m;
}

function describeMismatch(m: Mismatch): string {
  return `patterns=${JSON.stringify(m.patterns)} value=${JSON.stringify(m.value)} options=${JSON.stringify(m.options)} expected=${JSON.stringify(m.expected)} actual=${JSON.stringify(m.actual)}`;
}

interface DiffStats {
  sets: number;
  scans: number;
  matches: number;
}

/**
 * Run the differential over `sets` generated pattern sets; collect every
 * mismatch, minimise the first few, and fail listing the distinct ones.
 */
function differential(seed: number, sets: number, genSet: (r: Rng, frags: string[]) => Pattern[], valuesPerSet: number, options: PatternSetOptions = {}): DiffStats {
  const r = prng(seed);
  const stats: DiffStats = { sets: 0, scans: 0, matches: 0 };
  const raw: Mismatch[] = [];
  for (let s = 0; s < sets; s++) {
    const frags = genFragments(r);
    const patterns = genSet(r, frags);
    const set = new PatternSet(patterns, new Re2jsBackend(), options);
    const ref = new Reference(patterns);
    stats.sets++;
    const values = ['', ...Array.from({ length: valuesPerSet }, () => genValue(r, frags, patterns))];
    for (const value of values) {
      const actual = scanIds(set, patterns.length, value);
      const expected = ref.ids(value);
      stats.scans++;
      stats.matches += expected.length;
      if (!sameIds(actual, expected)) raw.push({ patterns: patterns.map(plain), value, expected, actual: normalise(actual), options });
    }
  }
  if (raw.length > 0) {
    const distinct = new Map<string, Mismatch>();
    for (const m of raw.slice(0, 12)) {
      const min = minimise(m);
      distinct.set(JSON.stringify([min.patterns, min.value]), min);
    }
    const lines = [...distinct.values()].map(describeMismatch);
    expect.fail(`${raw.length} mismatching scans of ${stats.scans}; minimised (first ${Math.min(raw.length, 12)}):\n${lines.join('\n')}`);
  }
  return stats;
}

// ---------------------------------------------------------------------------
// 1. Differential
// ---------------------------------------------------------------------------

describe('PatternSet.scan agrees with one RE2 regex per pattern', () => {
  it('small random sets of every kind (1..12 patterns)', () => {
    const st = differential(1, 400, (r, f) => genPatterns(r, r.int(1, 12), f), 25);
    expect(st.matches).toBeGreaterThan(st.scans / 2); // the generator really produces hits
  });

  it('medium random sets (13..80 patterns)', () => {
    const st = differential(2, 60, (r, f) => genPatterns(r, r.int(13, 80), f), 40);
    expect(st.matches).toBeGreaterThan(st.scans / 2);
  });

  it('large random sets (150..300 patterns)', () => {
    const st = differential(3, 8, (r, f) => genPatterns(r, r.int(150, 300), f), 60);
    expect(st.matches).toBeGreaterThan(st.scans / 2);
  });

  it('literal kinds only: <= 6 case-sensitive literals (native search), >= 8 and >= 64 (automaton, full class map)', () => {
    const literalKinds: PatternKind[] = ['exact', 'prefix', 'suffix', 'contains'];
    const lit = (r: Rng, f: string[], n: number, ci: boolean | null): Pattern[] =>
      Array.from({ length: n }, () => {
        const p = genPattern(r, f, literalKinds);
        return ci === null ? p : { ...p, ci };
      });
    differential(4, 150, (r, f) => lit(r, f, r.int(1, 6), false), 30);
    differential(5, 60, (r, f) => lit(r, f, r.int(8, 20), false), 40);
    differential(6, 40, (r, f) => lit(r, f, r.int(8, 20), true), 40);
    differential(7, 10, (r, f) => lit(r, f, r.int(64, 200), null), 60);
  });

  it('prefiltered regexes only, case-sensitive and case-insensitive, beyond 8 and 64 literals', () => {
    differential(8, 100, (r, f) => genPatterns(r, r.int(1, 12), f, ['regex']), 30);
    differential(9, 10, (r, f) => genPatterns(r, r.int(64, 150), f, ['regex']), 50);
  });

  it('70+ always-run regexes (more than one backend shard), with literals mixed in', () => {
    // Regexes with no usable literal: all run through the backend, 64 per shard.
    const noLiteral = (r: Rng): Pattern => {
      const body = r.pick(['[a-z]', R`\d`, '.', '[kK]', R`\w`, 'ab', 'é', '(?i)s', R`\bx`, R`\s`, '[[:upper:]]', '😀', '^', '$']);
      const q = r.pick(['', '+', '*', '{2}', '?']);
      const tail = r.pick(['', 'x', 'k', R`\z`, R`\b`, '|zz', '$']);
      return { kind: 'regex', ci: r.chance(0.4), value: body + q + tail };
    };
    const gen = (r: Rng, f: string[]) => {
      const n = r.int(70, 150);
      const ps = Array.from({ length: n }, () => noLiteral(r));
      ps.push(...genPatterns(r, r.int(0, 30), f));
      // Non-ASCII case-insensitive literals are also always-run (regex engine does the folding).
      ps.push({ kind: 'contains', ci: true, value: 'ß' }, { kind: 'exact', ci: true, value: 'É' }, { kind: 'prefix', ci: true, value: 'ſ' });
      return ps;
    };
    differential(10, 12, gen, 50);
    differential(11, 4, gen, 30, { shardSize: 7 });
  });

  it('options: shardSize 1 and 3, and noPrefilter', () => {
    differential(12, 60, (r, f) => genPatterns(r, r.int(1, 20), f), 20, { shardSize: 1 });
    differential(13, 60, (r, f) => genPatterns(r, r.int(1, 20), f), 20, { shardSize: 3 });
    differential(14, 60, (r, f) => genPatterns(r, r.int(1, 40), f), 20, { noPrefilter: true });
  });

  it('options: every pattern but case-sensitive exact through the backend, in one shard', () => {
    differential(15, 60, (r, f) => genPatterns(r, r.int(1, 60), f), 20, { noPrefilter: true, literalsToBackend: true, shardSize: 10_000 });
    differential(16, 40, (r, f) => genPatterns(r, r.int(1, 60), f), 20, { literalsToBackend: true, shardSize: 5 });
  });

  it('options: short values the default way, long ones through the backend-heavy routing', () => {
    // Values of length 0..12 straddle the threshold of 6.
    differential(17, 60, (r, f) => genPatterns(r, r.int(1, 60), f), 30, { noPrefilter: true, literalsToBackend: true, shardSize: 10_000, shortValueLength: 6 });
    differential(18, 60, (r, f) => genPatterns(r, r.int(1, 60), f), 30, { noPrefilter: true, literalsToBackend: true, foldInline: true, shardSize: 10_000 });
    differential(19, 60, (r, f) => genPatterns(r, r.int(1, 4), f), 30, { noPrefilter: true, literalsToBackend: true, minPatterns: 3 });
  });

  it('case folding focus: k/K/KELVIN, s/S/LONG S, non-ASCII', () => {
    const frags = ['kk', 'ks', 'sk', 'Kiss', 'SKY', 'ask', 'ß', 'é', 'É', 'straSSe', KELVIN + 'elvin', 'mi' + LONG_S + LONG_S];
    const r = prng(15);
    const patterns: Pattern[] = [];
    for (const v of frags) for (const kind of ['exact', 'prefix', 'suffix', 'contains'] as const) for (const ci of [false, true]) patterns.push({ kind, value: v, ci });
    for (const re of ['kk+', 'ask$', '^sky', 's[kK]y', 'Kis{2}', R`\bkiss\b`, '(?i)kiss', 'KISS|sky', 'straße', '[ſ]k', KELVIN + 'el'])
      for (const ci of [false, true]) patterns.push({ kind: 'regex', value: re, ci });
    const set = new PatternSet(patterns, new Re2jsBackend());
    const ref = new Reference(patterns);
    const bad: string[] = [];
    for (let i = 0; i < 3000; i++) {
      let v = '';
      const n = r.int(0, 4);
      for (let j = 0; j < n; j++) v += r.chance(0.5) ? mutateCase(r, r.pick(frags)) : r.pick(['k', 'K', KELVIN, 's', 'S', LONG_S, 'y', 'Y', ' ', 'a', 'é', 'É', 'ß', 'ẞ']);
      const actual = scanIds(set, patterns.length, v);
      const expected = ref.ids(v);
      if (!sameIds(actual, expected)) bad.push(`${JSON.stringify(v)}: expected ${JSON.stringify(expected)} actual ${JSON.stringify(normalise(actual))}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('specific cases', () => {
    const cases: [Pattern[], string, number[]][] = [
      [[{ kind: 'exact', value: '', ci: false }], '', [0]],
      [[{ kind: 'exact', value: '', ci: true }], 'a', []],
      [[{ kind: 'exact', value: '', ci: true }], '', [0]],
      [
        [
          { kind: 'prefix', value: '', ci: false },
          { kind: 'suffix', value: '', ci: true },
          { kind: 'contains', value: '', ci: false },
        ],
        '',
        [0, 1, 2],
      ],
      [[{ kind: 'regex', value: '', ci: false }], 'x', [0]],
      [[{ kind: 'suffix', value: 'abab', ci: false }], 'ababab', [0]],
      [[{ kind: 'prefix', value: 'abab', ci: false }], 'xababab', []],
      [[{ kind: 'exact', value: 'kiss', ci: true }], KELVIN + 'I' + LONG_S + 'S', [0]],
      [
        [
          { kind: 'exact', value: 'kiss', ci: false },
          { kind: 'exact', value: 'kiss', ci: false },
        ],
        'kiss',
        [0, 1],
      ],
      [[{ kind: 'contains', value: 'é', ci: true }], 'CAFÉ', [0]],
      [
        [
          { kind: 'regex', value: 'a.c', ci: false },
          { kind: 'contains', value: 'a.c', ci: false },
        ],
        'abc',
        [0],
      ],
      [[{ kind: 'regex', value: R`foo\.bar`, ci: true }], 'FOO.BAR', [0]],
      [[{ kind: 'regex', value: 'abc+d', ci: false }], 'abcccd', [0]],
      [
        [
          { kind: 'suffix', value: '😀', ci: false },
          { kind: 'prefix', value: '😀', ci: true },
        ],
        '😀x😀',
        [0, 1],
      ],
    ];
    for (const [patterns, value, expected] of cases) {
      const set = new PatternSet(patterns, new Re2jsBackend());
      expect(normalise(scanIds(set, patterns.length, value)), JSON.stringify([patterns, value])).toEqual(expected);
      expect(new Reference(patterns).ids(value)).toEqual(expected);
    }
  });

  it('rescanning with one set is stateless (many values, same set)', () => {
    const patterns: Pattern[] = [
      { kind: 'regex', value: 'abc', ci: false },
      { kind: 'contains', value: 'abc', ci: true },
      { kind: 'regex', value: '[0-9]+', ci: false },
    ];
    const set = new PatternSet(patterns, new Re2jsBackend());
    for (let i = 0; i < 50; i++) {
      expect(normalise(scanIds(set, 3, 'xabc'))).toEqual([0, 1]);
      expect(normalise(scanIds(set, 3, 'ABC1'))).toEqual([1, 2]);
      expect(scanIds(set, 3, 'none')).toEqual([]);
    }
  });

  it('the configurations above reach the intended modes (white box)', () => {
    type Internals = { cs: { literals: string[]; ac: { full: unknown } } | null; ci: { ac: { full: unknown } } | null; shards: unknown[] };
    const backend = new Re2jsBackend();
    const few = new PatternSet([{ kind: 'contains', value: 'abc', ci: false }], backend) as unknown as Internals;
    expect(few.cs!.literals.length).toBeLessThanOrEqual(6); // native indexOf path
    const many = Array.from({ length: 70 }, (_, i): Pattern => ({ kind: 'contains', value: `lit${i}`, ci: i % 2 === 0 }));
    const big = new PatternSet(many, backend) as unknown as Internals;
    expect(big.cs!.ac.full).not.toBeNull(); // >= 8 literals: full class map
    expect(big.ci!.ac.full).not.toBeNull();
    const always = Array.from({ length: 70 }, (_, i): Pattern => ({ kind: 'regex', value: `[a-z]{${i % 5}}x?`, ci: false }));
    const sharded = new PatternSet(always, backend) as unknown as Internals;
    expect(sharded.shards.length).toBe(2); // 64 + 6
    const value = 'abcx';
    expect(normalise(scanIds(sharded as unknown as PatternSet, 70, value))).toEqual(new Reference(always).ids(value));
  });

  it('generation counter wrap-around resets the per-scan stamps (white box)', () => {
    const patterns: Pattern[] = [
      { kind: 'regex', value: 'abc', ci: false },
      { kind: 'contains', value: 'abc', ci: false },
      { kind: 'regex', value: 'x+', ci: false },
    ];
    const set = new PatternSet(patterns, new Re2jsBackend());
    (set as unknown as { gen: number }).gen = 0xfffffffe;
    expect(normalise(scanIds(set, 3, 'abcx'))).toEqual([0, 1, 2]); // gen 0xffffffff
    expect(normalise(scanIds(set, 3, 'abcx'))).toEqual([0, 1, 2]); // wraps to 1
    expect(normalise(scanIds(set, 3, 'abc'))).toEqual([0, 1]);
    expect(scanIds(set, 3, '')).toEqual([]);
  });

  // Minimised failures found by the differential test (see the report in requiredLiterals below).
  it('regression: optional non-BMP character after a literal run (abc😀?)', () => {
    const patterns: Pattern[] = [{ kind: 'regex', value: 'abc😀?', ci: false }];
    expect(new Reference(patterns).ids('abc')).toEqual([0]);
    const set = new PatternSet(patterns, new Re2jsBackend());
    expect(scanIds(set, 1, 'abc')).toEqual([0]);
  });

  it(R`regression: \p{..} not at the start of a branch swallows a top-level | (a\p{L}|xyz)`, () => {
    const patterns: Pattern[] = [{ kind: 'regex', value: R`a\p{L}|xyz`, ci: false }];
    expect(new Reference(patterns).ids('ab')).toEqual([0]);
    const set = new PatternSet(patterns, new Re2jsBackend());
    expect(scanIds(set, 1, 'ab')).toEqual([0]);
  });
});

// ---------------------------------------------------------------------------
// 2. requiredLiterals
// ---------------------------------------------------------------------------

function foldString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += String.fromCharCode(foldChar(s.charCodeAt(i)));
  return out;
}

/** Strings the regex matches that contain none of the literals (case-sensitive use). */
function unsound(pattern: string, samples: readonly string[]): string[] {
  const lits = requiredLiterals(pattern);
  if (lits === null) return [];
  const re = mustCompile(pattern, false);
  return samples.filter((s) => re.test(s) && !lits.some((l) => s.includes(l)));
}

/** As unsound(), for the case-insensitive use: folded literals against the folded value. */
function unsoundFolded(pattern: string, samples: readonly string[]): string[] {
  const lits = requiredLiterals(pattern);
  if (lits === null) return [];
  const folded = lits.map(foldLiteral);
  if (folded.some((l) => l === undefined)) return []; // PatternSet always runs such a regex
  const re = mustCompile(pattern, true);
  return samples.filter((s) => re.test(s) && !folded.some((l) => foldString(s).includes(l!)));
}

describe('requiredLiterals', () => {
  it('MIN_LITERAL is 3', () => {
    expect(MIN_LITERAL).toBe(3);
  });

  it.each<[string, string[] | null]>([
    ['abc', ['abc']],
    ['(foo|bar)baz', ['baz']],
    ['foo|bar1', ['foo', 'bar1']],
    ['fo|bar1', null], // a branch with no literal of MIN_LITERAL units
    ['(?i)abc', null],
    ['x(?i)abc', null],
    ['abc|(?i)xyz', null],
    ['(?i-s)abc', null],
    [R`a\.b\.c`, ['a.b.c']],
    [R`\Qa.b\E`, ['a.b']],
    [R`\Qa+b\Ec`, ['a+bc']],
    [R`foo\nbar`, ['foo\nbar']],
    ['(?s)abc', ['abc']],
    ['(?-i)abc', ['abc']],
    ['(?i:xx)abcd', ['abcd']],
    ['abcd*', ['abc']],
    ['abcd?', ['abc']],
    ['abcd{0,2}', ['abc']],
    ['abcd+efg', ['abc']], // runs abc, d, efg: the first longest
    ['xyz+efgh', ['efgh']],
    ['ab*c', null],
    ['a{2}bc', null],
    ['[]a]bcd', ['bcd']],
    ['[^x]abc', ['abc']],
    ['[[:alpha:]]abc', ['abc']],
    [R`\d+abc\b`, ['abc']],
    [R`^abc$`, ['abc']],
    [R`\Aabc\z`, ['abc']],
    ['.*', null],
    ['', null],
    ['abc|', null],
    ['a{', null],
    [R`\x41bcd`, null],
    [R`\101bcd`, null],
    ['abc(def|ghi)', ['abc']],
    ['(abc)+', null],
  ])('%j -> %j', (pattern, expected) => {
    const got = requiredLiterals(pattern);
    if (expected === null) expect(got).toBeNull();
    else expect(got === null ? null : [...got].sort()).toEqual([...expected].sort());
  });

  it('abc+d: every match contains "abc", but the analysis splits the quantified char off (null is sound, if imprecise)', () => {
    const got = requiredLiterals('abc+d');
    expect(got === null || got.includes('abc')).toBe(true);
    expect(unsound('abc+d', ['abcd', 'abccccd', 'xabcdx', 'abd'])).toEqual([]);
  });

  it('is sound on crafted cases', () => {
    const samples = [
      '',
      'abc',
      'abd',
      'ab',
      'abbbc',
      'ac',
      'aXc',
      'abccd',
      'abcd',
      'foobaz',
      'barbaz',
      'baz',
      'foo',
      'bar1',
      'a.b.c',
      'axbxc',
      'x',
      'xyz',
      'aé',
      'ab😀',
      'abc😀',
      'abc😀😀',
      'a1',
      'aZ',
      'λ',
      'aλ',
      'a\nb',
      'fooo',
      'fo',
      'ABC',
      'abcabc',
      ']bcd',
      'abcd ',
      '😀',
      'k',
      'K',
      KELVIN,
      'ſ',
      'xx',
      'aa',
      'aaa',
      'a{',
      'a{,2}',
      'ab{2}',
      '{',
      'xxyz',
      'zzz',
      'n1',
      'ab}',
    ];
    const patterns = [
      'abc+d',
      'ab*c',
      'ab+c',
      'ab?c',
      'a{0,2}',
      'a{2}',
      'a{2}bc',
      'abcd{0}',
      '(foo|bar)baz',
      'foo|bar1',
      'fo|bar1',
      R`a\.b\.c`,
      'a.b.c',
      R`\Qa.b\E.c`,
      'abc*?',
      'abc+?',
      'ab??c',
      '[]a]bcd',
      '[^]a]bcd',
      R`\bxyz\b`,
      R`\Axyz\z`,
      '^xyz$',
      'xyz|',
      '|xyz',
      '(?s)a.b',
      '(?i:abc)d',
      '(?U)abc+',
      'ab(?:c|d)',
      'a(b|c)d',
      R`x\Q\E*yz`,
      'x]yz',
      'x}yz',
      R`\pL\pLab`,
      'abc😀?',
      'abc😀*',
      'abc😀{0,2}',
      'ab😀+',
      R`\Qabc😀\E?`,
      R`a\p{L}|xyz`,
      R`a\p{Greek}|xyz`,
      R`ab\p{L}|zzz`,
      R`\pL|xyz`,
      R`\P{L}|xyz`,
      R`abc\p{L}+|zzz`,
      'a{,2}',
      'xa{,2}yz',
      R`\ abc`,
    ];
    const bad: string[] = [];
    for (const p of patterns) for (const s of unsound(p, samples)) bad.push(`${JSON.stringify(p)} matches ${JSON.stringify(s)} but literals are ${JSON.stringify(requiredLiterals(p))}`);
    expect(bad).toEqual([]);
  });

  it('is sound for case-insensitive use (folded literals against the folded value)', () => {
    const patterns = ['kiss', 'ask+', 'sky|kelvin', R`a\.ks`, 'ssss', 'k{2}ss'];
    const samples = ['KISS', KELVIN + 'I' + LONG_S + 'S', 'AS' + KELVIN, 'SKY', 'ſky', KELVIN + 'ELVIN', 'A.' + KELVIN + LONG_S, 'SSSS', LONG_S.repeat(4), 'kkss'];
    const bad: string[] = [];
    for (const p of patterns) for (const s of unsoundFolded(p, samples)) bad.push(`${p} / ${s}`);
    expect(bad).toEqual([]);
  });

  it('is sound on random regexes and values (seeded)', () => {
    const r = prng(21);
    const bad = new Map<string, string>();
    let checked = 0;
    for (let i = 0; i < 2500; i++) {
      const frags = genFragments(r);
      const p = genRegex(r, frags);
      const lits = requiredLiterals(p);
      if (lits === null) continue;
      const samples = Array.from({ length: 30 }, () => genValue(r, frags, []));
      for (const s of unsound(p, samples)) bad.set(p, s);
      for (const s of unsoundFolded(p, samples)) bad.set(`(ci) ${p}`, s);
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
    expect([...bad].slice(0, 20).map(([p, s]) => `${JSON.stringify(p)} matches ${JSON.stringify(s)}`)).toEqual([]);
  });

  // Bug 1: a quantifier with minimum 0 after a non-BMP character removes only
  // the low surrogate from the run; the high surrogate stays in a "required" literal.
  it.each(['abc😀?', 'abc😀*', 'abc😀{0,2}', R`\Qabc😀\E?`])('regression: %j does not require a lone high surrogate', (p) => {
    const lits = requiredLiterals(p);
    expect(lits === null || lits.every((l) => !/[\ud800-\udbff]$/.test(l))).toBe(true);
    expect(unsound(p, ['abc', 'xabcx'])).toEqual([]);
  });

  // Bug 2: `\p{...}` advances by `i += indexOf('}', i) + 1` (an absolute index
  // added to i), skipping past the class and swallowing what follows, e.g. `|`.
  it.each([
    [R`a\p{L}|xyz`, 'ab'],
    [R`a\p{Greek}|xyz`, 'aλ'],
    [R`abc\P{L}|zzz`, 'zzz'],
  ])('regression: %j keeps the branch after \\p{..} (matches %j)', (p, s) => {
    expect(mustCompile(p, false).test(s)).toBe(true);
    expect(unsound(p, [s])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// 3. AhoCorasick
// ---------------------------------------------------------------------------

/** Every (literal id, end index) pair by brute force, sorted. */
function bruteOccurrences(literals: readonly string[], value: string, fold: boolean): string[] {
  const v = fold ? foldString(value) : value;
  const out: string[] = [];
  literals.forEach((l, id) => {
    for (let i = v.indexOf(l); i >= 0; i = v.indexOf(l, i + 1)) out.push(`${id}@${i + l.length - 1}`);
  });
  return out.sort();
}

function acOccurrences(ac: AhoCorasick, value: string): string[] {
  const out: string[] = [];
  ac.scan(value, (id, end) => out.push(`${id}@${end}`));
  return out.sort();
}

describe('AhoCorasick', () => {
  it('reports every occurrence with its end index: overlaps and literals that are suffixes of others', () => {
    for (const fill of [0, 10]) {
      // fill > 0 pads the literal list to reach the large-table mode (>= 8 literals).
      const lits = ['he', 'she', 'his', 'hers', 'e', 'aa', 'aaa', ...Array.from({ length: fill }, (_, i) => `zz${i}q`)];
      const ac = new AhoCorasick(lits, false);
      expect(acOccurrences(ac, 'ushers')).toEqual(['0@3', '1@3', '3@5', '4@3'].sort());
      expect(acOccurrences(ac, 'aaaa')).toEqual(['5@1', '5@2', '5@3', '6@2', '6@3'].sort());
      expect(acOccurrences(ac, '')).toEqual([]);
      expect(acOccurrences(ac, 'xyz')).toEqual([]);
      expect(acOccurrences(ac, 'hishe')).toEqual(bruteOccurrences(lits, 'hishe', false));
    }
  });

  it('literals with non-ASCII and surrogate pairs', () => {
    const lits = ['é', 'café', '😀', 'a😀', '\ude00'];
    const ac = new AhoCorasick(lits, false);
    const v = 'un café a😀😀 É';
    expect(acOccurrences(ac, v)).toEqual(bruteOccurrences(lits, v, false));
    expect(acOccurrences(ac, v)).toContain(`2@${v.indexOf('😀') + 1}`);
  });

  it('case folding: ASCII upper case, KELVIN SIGN -> k, LONG S -> s (both table modes)', () => {
    expect(foldChar(KELVIN.charCodeAt(0))).toBe(107);
    expect(foldChar(LONG_S.charCodeAt(0))).toBe(115);
    expect(foldChar('A'.charCodeAt(0))).toBe(97);
    expect(foldChar('é'.charCodeAt(0))).toBe('é'.charCodeAt(0));
    expect(foldLiteral('KiSs')).toBe('kiss');
    expect(foldLiteral('café')).toBeUndefined();
    expect(foldLiteral(KELVIN)).toBeUndefined(); // non-ASCII literal: the regex engine folds it
    for (const fill of [0, 10]) {
      const lits = ['kiss', 'sky', 'k', 's', ...Array.from({ length: fill }, (_, i) => `q${i}`)];
      const ac = new AhoCorasick(lits, true);
      const v = KELVIN + 'I' + LONG_S + 'S SKY ' + LONG_S + KELVIN + 'Y';
      const got = acOccurrences(ac, v);
      expect(got).toEqual(bruteOccurrences(lits, v, true));
      expect(got).toContain('0@3');
      expect(got).toContain('1@7');
      expect(got).toContain(`1@${v.length - 1}`);
      // Without folding the same automaton literals match only lower case.
      const cs = new AhoCorasick(lits, false);
      expect(acOccurrences(cs, v)).toEqual(bruteOccurrences(lits, v, false));
    }
  });

  it('lengths and size', () => {
    const ac = new AhoCorasick(['a', 'bcd', '😀'], false);
    expect(ac.size).toBe(3);
    expect([...ac.lengths]).toEqual([1, 3, 2]);
  });

  it('agrees with brute force on random literal sets (< 8, >= 8, > 256 classes; fold and not)', () => {
    const r = prng(31);
    const cjk = Array.from({ length: 400 }, (_, i) => String.fromCharCode(0x4e00 + i));
    for (let t = 0; t < 400; t++) {
      const fold = r.chance(0.5);
      const mode = r.int(0, 2);
      const n = mode === 0 ? r.int(1, 7) : mode === 1 ? r.int(8, 60) : r.int(300, 400);
      const set = new Set<string>();
      for (let i = 0; i < n * 3 && set.size < n; i++) {
        let l = '';
        const len = r.int(1, 5);
        for (let j = 0; j < len; j++) l += mode === 2 && r.chance(0.5) ? r.pick(cjk) : r.pick([...'abcabcaksS', ...ALPHABET]);
        const f = fold ? foldLiteral(l) : l;
        if (f !== undefined && f !== '') set.add(f);
      }
      const lits = [...set];
      if (lits.length === 0) continue;
      const ac = new AhoCorasick(lits, fold);
      for (let k = 0; k < 15; k++) {
        let v = '';
        const parts = r.int(0, 8);
        for (let j = 0; j < parts; j++) v += r.chance(0.4) ? mutateCase(r, r.pick(lits)) : r.chance(0.3) && mode === 2 ? r.pick(cjk) : r.pick(ALPHABET);
        expect(acOccurrences(ac, v), JSON.stringify({ lits: lits.length, fold, v })).toEqual(bruteOccurrences(lits, v, fold));
      }
    }
  });
});
