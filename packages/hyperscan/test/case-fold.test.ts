import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { caseOrbit, casedCodePoints } from '../src/case-fold.js';

const hex = (c: number) => `\\x{${c.toString(16)}}`;

describe('case-fold orbits', () => {
  it('ASCII: letter pairs, with KELVIN SIGN for k and LONG S for s', () => {
    expect(caseOrbit(0x6b)).toEqual([0x4b, 0x6b, 0x212a]);
    expect(caseOrbit(0x53)).toEqual([0x53, 0x73, 0x17f]);
    expect(caseOrbit(0x41)).toEqual([0x41, 0x61]);
    expect(caseOrbit(0x31)).toEqual([0x31]);
    for (let c = 0; c < 0x80; c++) {
      const re = RE2JS.compile(`(?i)${hex(c)}`);
      for (const m of caseOrbit(c)) expect(re.test(String.fromCodePoint(m))).toBe(true);
    }
  });

  it('every orbit is what re2js folds together, and orbits are symmetric', () => {
    const cased = casedCodePoints(0x10ffff);
    expect(cased.length).toBeGreaterThan(2500);
    for (const c of cased) {
      const orbit = caseOrbit(c);
      expect(orbit.length).toBeGreaterThan(1);
      const re = RE2JS.compile(`(?i)${hex(c)}`);
      for (const m of orbit) {
        expect(re.test(String.fromCodePoint(m))).toBe(true);
        expect(caseOrbit(m)).toEqual(orbit);
      }
    }
  });

  it('no code point outside the table has a fold partner among the cased ones', () => {
    const cased = casedCodePoints(0x10ffff);
    // The uncased code points as one class: under (?i) it must not grow to reach any cased one.
    let cls = '';
    let next = 0;
    for (const c of [...cased, 0x110000]) {
      if (c > next) cls += c - 1 > next ? `${hex(next)}-${hex(c - 1)}` : hex(next);
      next = c + 1;
    }
    const re = RE2JS.compile(`(?i)[${cls}]`);
    const leaked = cased.filter((c) => re.test(String.fromCodePoint(c)));
    expect(leaked).toEqual([]);
  });

  it('JavaScript case pairs that RE2 does not fold stay apart (dotless i, dotted I)', () => {
    expect(caseOrbit(0x131)).toEqual([0x131]);
    expect(caseOrbit(0x130)).toEqual([0x130]);
    expect(caseOrbit(0x49)).toEqual([0x49, 0x69]);
  });
});
