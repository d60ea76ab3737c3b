/**
 * The RE2 -> Hyperscan translation, without the native addon: the output is
 * also valid RE2, so re2js can check that it means what the input meant.
 */
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { translate, translateForHyperscan, Untranslatable } from '../src/translate.js';
import { prng, randomPattern, randomValue } from './support/gen.js';

const KELVIN = '\u212a';
const LONG_S = '\u017f';

describe('translate', () => {
  it.each([
    ['abc$', false, 'abc\\z'],
    ['^abc', false, '\\Aabc'],
    ['(?m)^a', false, '(?:\\A|\\n)a'],
    ['a(?m)$', false, 'a(?m:$)'],
    ['\\d\\s\\w', false, '[0-9][\\x{9}\\x{a}\\x{c}\\x{d}\\x{20}][0-9A-Z\\x{5f}a-z]'],
    ['k', true, `[Kk\\x{212a}]`],
    ['(?i)s', false, `[Ss\\x{17f}]`],
    ['(?i)a(?-i)b', false, '[Aa]b'],
    ['(?i:a)b', false, '(?:[Aa])b'],
    ['(a|b)+', false, '(?:a|b)+'],
    ['(?P<x>a)', false, '(?:a)'],
    ['a*?', false, 'a*'],
    ['a{2,}?b{3}', false, 'a{2,}b{3}'],
    ['a{,2}', false, 'a\\x{7b}\\x{2c}2\\x{7d}'],
    ['\\Qa.b\\E+', false, 'a\\x{2e}b+'],
    ['', false, '(?:)'],
    ['a|', false, 'a|(?:)'],
    ['(?s).', false, '[\\x{0}-\\x{d7ff}\\x{e000}-\\x{10ffff}]'],
    ['.', false, '.'],
    ['[^\\n]', false, '[\\x{0}-\\x{9}\\x{b}-\\x{d7ff}\\x{e000}-\\x{10ffff}]'],
    ['(?i)[^k]', false, '[\\x{0}-JL-jl-\\x{2129}\\x{212b}-\\x{d7ff}\\x{e000}-\\x{10ffff}]'],
    ['[[:digit:][:upper:]]', false, '[0-9A-Z]'],
    ['\\x{1F600}\\101\\0', false, '\\x{1f600}A\\x{0}'],
    ['(?i)σ', false, '[\\x{3a3}\\x{3c2}\\x{3c3}]'],
    ['\\bx\\B', false, '\\bx\\B'],
  ])('%j (ci %s) -> %s', (pattern, ci, expected) => {
    expect(translate(pattern, ci)).toBe(expected);
  });

  it.each([
    ['\\pL', 'Unicode class'],
    ['\\p{Greek}', 'Unicode class'],
    ['[\\PL]', 'Unicode class'],
    ['a(?m)^b', 'multi-line ^ inside the pattern'],
    ['(?m)(^a)', 'multi-line ^ inside the pattern'],
    ['[^\\x00-\\x{10FFFF}]', 'empty character class'],
  ])('refuses %j (%s)', (pattern, reason) => {
    expect(() => translate(pattern, false)).toThrow(Untranslatable);
    expect(() => translate(pattern, false)).toThrow(reason);
  });

  it.each([
    ['abc\\d+\\z', false, false],
    ['[^\\n]x', false, true],
    ['a.b', false, true],
    ['(?s)a.b', false, true],
    ['é', false, true],
    ['[a-z]+', false, false],
    ['[a-z]+', true, true], // KELVIN SIGN and LONG S fold into it
    ['(?i)abc', false, false],
    ['(?i)ks', false, true],
    ['\\bword\\b', false, false],
    ['x\\B', false, true],
    ['\\W', false, true],
  ])('%j (ci %s) needs UTF-8 mode: %s', (pattern, ci, utf8) => {
    expect(translateForHyperscan(pattern, ci).utf8).toBe(utf8);
  });

  it('refuses a lone surrogate in the pattern', () => {
    expect(() => translate('a\ud800', false)).toThrow('lone surrogate');
  });

  it('folds the way RE2 does: KELVIN SIGN and LONG S, but not dotless i', () => {
    const t = (p: string) => RE2JS.compile(translate(p, true));
    expect(t('k').test(KELVIN)).toBe(true);
    expect(t('S').test(LONG_S)).toBe(true);
    expect(t('[a-z]+').matches(`${KELVIN}${LONG_S}`)).toBe(true);
    expect(t('\\W').test(KELVIN)).toBe(false);
    expect(t('I').test('ı')).toBe(false);
    expect(t('ß').test('ẞ')).toBe(true);
    expect(t('ς').test('Σ')).toBe(true);
  });

  // Means the same as the original, as re2js sees both: the semantic half of
  // the differential test (the native differential test covers Hyperscan's reading).
  for (const ci of [false, true]) {
    it(`random patterns mean the same after translation (case-insensitive ${ci})`, () => {
      let translated = 0;
      for (let seed = 1; seed <= 600; seed++) {
        const r = prng(seed * (ci ? 7 : 1));
        const pattern = randomPattern(r);
        let out: string;
        try {
          out = translate(pattern, ci);
        } catch (err) {
          expect(err).toBeInstanceOf(Untranslatable);
          continue;
        }
        translated++;
        const a = RE2JS.compile(pattern, ci ? RE2JS.CASE_INSENSITIVE : 0);
        const b = RE2JS.compile(out);
        for (let v = 0; v < 25; v++) {
          const value = randomValue(r, [pattern]);
          if (a.test(value) !== b.test(value)) {
            throw new Error(`seed ${seed}: ${JSON.stringify(pattern)} -> ${JSON.stringify(out)} disagree on ${JSON.stringify(value)}`);
          }
        }
      }
      expect(translated).toBeGreaterThan(450);
    });
  }
});
