/**
 * The automaton's Wu-Manber pre-check (large case-sensitive sets of literals
 * of 5+ characters) must never hide an occurrence: differential test against
 * brute force, with literals planted at the start, the end, overlapping, and
 * values shorter than the shortest literal.
 */
import { describe, expect, it } from 'vitest';
import { PatternSet, Re2jsBackend, type Pattern } from '@otel-policy/core';

let seed = 1234567;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
const ALPHABET = 'abcde fgh/-_.:=0123456789XYZé漢\u{1F600}';
const chars = [...ALPHABET];
const word = (min: number, max: number) => Array.from({ length: min + Math.floor(rand() * (max - min + 1)) }, () => chars[Math.floor(rand() * chars.length)]).join('');

function brute(patterns: Pattern[], v: string): number[] {
  return patterns
    .map((p, i) => {
      const ok = p.kind === 'contains' ? v.includes(p.value) : p.kind === 'prefix' ? v.startsWith(p.value) : p.kind === 'suffix' ? v.endsWith(p.value) : v === p.value;
      return ok ? i : -1;
    })
    .filter((i) => i >= 0);
}

describe('Wu-Manber pre-check', () => {
  it('agrees with brute force on random literal sets and planted values', () => {
    for (let round = 0; round < 300; round++) {
      const n = 8 + Math.floor(rand() * 120);
      const kinds = ['contains', 'prefix', 'suffix'] as const;
      const patterns: Pattern[] = Array.from({ length: n }, () => ({ kind: kinds[Math.floor(rand() * 3)], value: word(5, 14), ci: false }));
      const set = new PatternSet(patterns, new Re2jsBackend());
      const out = new Int32Array(n);
      for (let k = 0; k < 40; k++) {
        const lit = patterns[Math.floor(rand() * n)].value;
        const other = patterns[Math.floor(rand() * n)].value;
        const shape = k % 6;
        const v =
          shape === 0
            ? word(0, 60)
            : shape === 1
              ? lit + word(0, 20)
              : shape === 2
                ? word(0, 20) + lit
                : shape === 3
                  ? word(0, 10) + lit + other.slice(2) + word(0, 10)
                  : shape === 4
                    ? lit.slice(0, 4)
                    : lit + other;
        const got = Array.from(out.subarray(0, set.scan(v, out, 0))).sort((a, b) => a - b);
        expect({ v, got }).toEqual({ v, got: brute(patterns, v) });
      }
    }
  });

  it('regexes prefiltered by long literals still match', () => {
    const patterns: Pattern[] = Array.from({ length: 50 }, (_, i) => ({ kind: 'regex', value: `service-${i}x (?:timeout|refused) after \\d+ms`, ci: false }));
    const set = new PatternSet(patterns, new Re2jsBackend());
    const out = new Int32Array(50);
    expect(Array.from(out.subarray(0, set.scan('rpc service-17x refused after 30ms', out, 0)))).toEqual([17]);
    expect(set.scan('rpc service-17x refused after ms', out, 0)).toBe(0);
    expect(set.scan('service-4', out, 0)).toBe(0);
  });
});
