/**
 * RE2's case-fold orbits (Unicode simple case folding: the set of code points
 * `(?i)c` matches for a given c), for writing case-insensitive patterns out as
 * explicit classes.
 *
 * ASCII is answered from a small table (its only non-ASCII partners are
 * KELVIN SIGN for k and LONG S for s). Beyond ASCII, the orbits are built once,
 * on first need: candidates come from JavaScript's case mappings (every pair
 * c <-> lower(c), c <-> upper(c) of single code points, joined transitively),
 * then each candidate orbit is confirmed against re2js itself, because the
 * mappings relate more than simple folding does (`ı` upper-cases to `I`, yet
 * `(?i)I` does not match `ı` in RE2).
 */
import { RE2JS } from 're2js';

const KELVIN = 0x212a;
const LONG_S = 0x17f;
/** Every cased code point lies below this (Adlam, the last cased script, ends at U+1E94B). */
const CASED_LIMIT = 0x20000;

const ASCII_CASED: readonly number[] = (() => {
  const out: number[] = [];
  for (let c = 0x41; c <= 0x5a; c++) out.push(c);
  for (let c = 0x61; c <= 0x7a; c++) out.push(c);
  return out;
})();

function asciiOrbit(c: number): readonly number[] {
  const isUpper = c >= 0x41 && c <= 0x5a;
  const isLower = c >= 0x61 && c <= 0x7a;
  if (!isUpper && !isLower) return [c];
  const lower = isUpper ? c + 0x20 : c;
  const orbit = [lower - 0x20, lower];
  if (lower === 0x6b) orbit.push(KELVIN);
  if (lower === 0x73) orbit.push(LONG_S);
  return orbit;
}

let table: { orbits: Map<number, readonly number[]>; cased: readonly number[] } | undefined;

function build(): NonNullable<typeof table> {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(Math.max(ra, rb), Math.min(ra, rb));
  };
  for (let c = 0; c < CASED_LIMIT; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const s = String.fromCodePoint(c);
    for (const m of [s.toLowerCase(), s.toUpperCase()]) {
      if (m === s) continue;
      const mc = m.codePointAt(0)!;
      if (String.fromCodePoint(mc) === m) union(c, mc);
    }
  }
  const groups = new Map<number, number[]>();
  for (const c of parent.keys()) {
    const r = find(c);
    let g = groups.get(r);
    if (!g) groups.set(r, (g = []));
    g.push(c);
  }
  const orbits = new Map<number, readonly number[]>();
  for (let pending of groups.values()) {
    // Split a candidate group into the orbits RE2 actually folds together.
    while (pending.length > 1) {
      pending.sort((a, b) => a - b);
      const re = RE2JS.compile(`(?i)\\x{${pending[0].toString(16)}}`);
      const orbit = pending.filter((m) => re.test(String.fromCodePoint(m)));
      if (orbit.length > 1) for (const m of orbit) orbits.set(m, orbit);
      pending = pending.filter((m) => !orbit.includes(m));
    }
  }
  return { orbits, cased: [...orbits.keys()].sort((a, b) => a - b) };
}

/** The code points `(?i)` + `c` matches in RE2, `c` included (just `[c]` when uncased). */
export function caseOrbit(c: number): readonly number[] {
  if (c < 0x80) return asciiOrbit(c);
  if (c >= CASED_LIMIT) return [c];
  table ??= build();
  return table.orbits.get(c) ?? [c];
}

/** Sorted code points that have case partners, enough for ranges up to `upTo`. */
export function casedCodePoints(upTo: number): readonly number[] {
  if (upTo < 0x80) return ASCII_CASED;
  table ??= build();
  return table.cased;
}
