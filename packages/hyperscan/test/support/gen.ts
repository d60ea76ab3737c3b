/**
 * Random RE2 patterns and values for differential tests: every construct the
 * translation handles (and some it refuses), over an alphabet chosen to hit
 * the places where RE2 and Hyperscan disagree unless translated (newlines
 * around anchors, KELVIN SIGN and LONG S under (?i), non-ASCII around \b,
 * astral code points).
 */
import { RE2JS } from 're2js';
import type { Rng } from '../../../core/test/support/prng.js';

export { prng, type Rng } from '../../../core/test/support/prng.js';

/** Characters values are made of. */
export const ALPHABET = [
  'a',
  'b',
  'c',
  'k',
  'K',
  '\u212a',
  's',
  'S',
  '\u017f',
  'x',
  'Z',
  '0',
  '7',
  '_',
  '-',
  '.',
  ' ',
  '\t',
  '\n',
  'é',
  'É',
  'σ',
  'ς',
  'Σ',
  'ß',
  'ẞ',
  'ı',
  'I',
  'i',
  '😀',
  '中',
  '{',
  '}',
  '\\',
  '$',
  '^',
];

const LITERAL_ATOMS = [
  'a',
  'b',
  'c',
  'k',
  'K',
  's',
  'S',
  'x',
  'Z',
  '0',
  '7',
  '_',
  '-',
  'é',
  'É',
  'σ',
  'Σ',
  'ß',
  'ẞ',
  'ı',
  'I',
  '😀',
  '中',
  '\\.',
  '\\$',
  '\\^',
  '\\{',
  '\\\\',
  '\\n',
  '\\t',
  '\\x41',
  '\\x{212A}',
  '\\x{17f}',
  '\\x{1F600}',
  '\\101',
  '\\0',
  '\\Q.$\\E',
  ' ',
];
const CLASS_ATOMS = [
  '.',
  '\\d',
  '\\D',
  '\\s',
  '\\S',
  '\\w',
  '\\W',
  '[abc]',
  '[^abc]',
  '[a-z]',
  '[^a-z]',
  '[A-Zk]',
  '[^k]',
  '[^\\n]',
  '[\\d_-]',
  '[[:alpha:]]',
  '[[:^space:]]',
  '[[:punct:]]',
  '[\\x{80}-\\x{10FFFF}]',
  '[é-ſ]',
  '[]a]',
  '[^]a]',
  '[a-]',
  '[\\w.]',
  '[^\\W]',
  '\\pL',
  '\\p{Greek}',
  '[\\s\\S]',
];
const ASSERTIONS = ['^', '$', '\\A', '\\z', '\\b', '\\B'];
const FLAGS = ['(?i)', '(?-i)', '(?m)', '(?s)', '(?U)', '(?im)', '(?i-s)'];
const QUANTS = ['*', '+', '?', '*?', '+?', '??', '{2}', '{1,3}', '{0,2}', '{2,}', '{0}', '{1,3}?'];

function atom(r: Rng, depth: number): string {
  const k = r.int(0, 99);
  if (k < 38) return r.pick(LITERAL_ATOMS);
  if (k < 62) return r.pick(CLASS_ATOMS);
  if (k < 74) return r.pick(ASSERTIONS);
  if (k < 80) return r.pick(FLAGS);
  if (depth < 3 && k < 96) {
    const open = r.pick(['(', '(?:', '(?P<g>', '(?i:', '(?s:', '(?m:', '(?-i:']);
    return `${open}${alternation(r, depth + 1)})`;
  }
  return r.pick(['{', 'a{', '{x}', '\\{']);
}

function concatenation(r: Rng, depth: number): string {
  let out = '';
  const n = r.int(0, depth === 0 ? 5 : 3);
  for (let i = 0; i < n; i++) {
    const a = atom(r, depth);
    out += a;
    if (r.next() < 0.25 && !FLAGS.includes(a)) out += r.pick(QUANTS);
  }
  return out;
}

function alternation(r: Rng, depth: number): string {
  const parts = [concatenation(r, depth)];
  while (r.next() < 0.25) parts.push(concatenation(r, depth));
  return parts.join('|');
}

/** A random pattern that re2js accepts (Go syntax), with how it was made up to the caller. */
export function randomPattern(r: Rng): string {
  for (;;) {
    const p = alternation(r, 0);
    try {
      RE2JS.compile(p);
      return p;
    } catch {
      // Generated something Go's parser refuses (e.g. a quantified assertion); draw again.
    }
  }
}

/** A random value, partly built from the pattern's own characters so that matches are common. */
export function randomValue(r: Rng, hints: readonly string[] = []): string {
  let out = '';
  const n = r.int(0, 12);
  for (let i = 0; i < n; i++) {
    if (hints.length && r.next() < 0.3) {
      const h = r.pick(hints);
      out += h.replace(/[\\^$()[\]{}|*+?]/g, '');
    } else out += r.pick(ALPHABET);
  }
  return out;
}

/** Ids written by a matcher-like scan, sorted. */
export function scanIds(scan: (v: string, out: Int32Array, offset: number) => number, value: string, size: number): number[] {
  const out = new Int32Array(Math.max(1, size) + 1);
  const n = scan(value, out, 1);
  return Array.from(out.subarray(1, n)).sort((a, b) => a - b);
}
