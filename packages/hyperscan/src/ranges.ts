/**
 * Code point sets as sorted inclusive ranges: the RE2 Perl and POSIX classes,
 * and the set operations the translation writes classes with (merge, negate,
 * Unicode simple case folding, surrogate removal).
 */
import { caseOrbit, casedCodePoints } from './case-fold.js';

export const MAX_RUNE = 0x10ffff;
export const SURROGATE_LO = 0xd800;
export const SURROGATE_HI = 0xdfff;

/** Sorted, merged, inclusive [lo, hi] pairs, flattened. */
export type Ranges = number[];

/** Go's Perl classes (ASCII, as in RE2). */
export const PERL: Record<string, Ranges> = {
  d: [0x30, 0x39],
  s: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20],
  w: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
};

/** Go's POSIX classes (ASCII). */
export const POSIX: Record<string, Ranges> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};

export const SIMPLE_ESCAPES: Record<string, number> = { a: 0x07, f: 0x0c, t: 0x09, n: 0x0a, r: 0x0d, v: 0x0b };

export function normalize(r: Ranges): Ranges {
  const pairs: [number, number][] = [];
  for (let i = 0; i < r.length; i += 2) pairs.push([r[i], r[i + 1]]);
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n && lo <= out[n - 1] + 1) out[n - 1] = Math.max(out[n - 1], hi);
    else out.push(lo, hi);
  }
  return out;
}

export function negate(r: Ranges): Ranges {
  const n = normalize(r);
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < n.length; i += 2) {
    if (n[i] > next) out.push(next, n[i] - 1);
    next = n[i + 1] + 1;
  }
  if (next <= MAX_RUNE) out.push(next, MAX_RUNE);
  return out;
}

/** Add every code point that case-folds to one in `r` (RE2's appendFoldedRange). */
export function fold(r: Ranges): Ranges {
  const out = r.slice();
  let max = 0;
  for (let i = 1; i < r.length; i += 2) max = Math.max(max, r[i]);
  const cased = casedCodePoints(max);
  for (let i = 0; i < r.length; i += 2) {
    const lo = r[i];
    const hi = r[i + 1];
    // Binary search the first cased code point >= lo.
    let a = 0;
    let b = cased.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (cased[mid] < lo) a = mid + 1;
      else b = mid;
    }
    for (let k = a; k < cased.length && cased[k] <= hi; k++) {
      for (const f of caseOrbit(cased[k])) out.push(f, f);
    }
  }
  return normalize(out);
}

/** Valid UTF-8 never encodes a surrogate, and Hyperscan refuses them in classes. */
export function withoutSurrogates(r: Ranges): Ranges {
  const out: Ranges = [];
  for (let i = 0; i < r.length; i += 2) {
    const lo = r[i];
    const hi = r[i + 1];
    if (hi < SURROGATE_LO || lo > SURROGATE_HI) out.push(lo, hi);
    else {
      if (lo < SURROGATE_LO) out.push(lo, SURROGATE_LO - 1);
      if (hi > SURROGATE_HI) out.push(SURROGATE_HI + 1, hi);
    }
  }
  return out;
}

export function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

export function escapeRune(c: number): string {
  return isAlnum(c) ? String.fromCharCode(c) : `\\x{${c.toString(16)}}`;
}
