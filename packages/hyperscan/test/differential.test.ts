/**
 * The real addon against the default backend: random and corpus patterns x
 * values, both case modes, and the whole conformance corpus through the
 * engine. Where the addon is not built, `hyperscanBackend()` is the default
 * backend itself (the first test says which one ran); CI installs the
 * library and sets OTEL_POLICY_EXPECT_HYPERSCAN=1, so there a missing addon
 * fails here instead of passing quietly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PatternSet, Re2jsBackend, type Pattern, type RegexBackend } from '@otel-policy/core';
import { hyperscanAvailability, hyperscanBackend } from '../src/backend.js';
import { translate } from '../src/translate.js';
import { ALPHABET, prng, randomPattern, randomValue, scanIds } from './support/gen.js';

const availability = hyperscanAvailability();
const fallbacks: string[] = [];
const backend: RegexBackend = hyperscanBackend({ onFallback: (p, why) => fallbacks.push(`${p}: ${why}`) });
const reference = new Re2jsBackend();

function agree(patterns: readonly string[], values: readonly string[], ci: boolean, label: string): void {
  const a = backend.compile(patterns, ci);
  const b = reference.compile(patterns, ci);
  for (const v of values) {
    const got = scanIds((x, o, i) => a.scan(x, o, i), v, patterns.length);
    const want = scanIds((x, o, i) => b.scan(x, o, i), v, patterns.length);
    if (got.join() !== want.join()) {
      const which = [...new Set([...got, ...want])].filter((id) => got.includes(id) !== want.includes(id));
      const detail = which.map((id) => `${JSON.stringify(patterns[id])} (as ${safeTranslate(patterns[id], ci)}): hyperscan ${got.includes(id)}, re2js ${want.includes(id)}`);
      throw new Error(`${label}: ${JSON.stringify(v)} (ci ${ci}): ${detail.join('; ')}`);
    }
  }
}

function safeTranslate(p: string, ci: boolean): string {
  try {
    return JSON.stringify(translate(p, ci));
  } catch (err) {
    return `fallback: ${(err as Error).message}`;
  }
}

const CASES_DIR = fileURLToPath(new URL('../../../test/conformance/cases', import.meta.url));

/** Every regex and literal of the conformance policies, and every string of the inputs. */
function corpus(): { patterns: string[]; literals: Pattern[]; values: string[] } {
  const patterns = new Set<string>();
  const literals: Pattern[] = [];
  const values = new Set<string>(['']);
  const walk = (v: unknown, key: string, into: 'policy' | 'input') => {
    if (typeof v === 'string') {
      if (into === 'input') values.add(v);
      else if (key === 'regex') patterns.add(v);
      else if (key === 'exact' || key === 'contains' || key === 'starts_with' || key === 'ends_with') {
        const kind = key === 'starts_with' ? 'prefix' : key === 'ends_with' ? 'suffix' : key;
        literals.push({ kind, value: v, ci: false }, { kind, value: v, ci: true });
      }
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, key, into));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k, into);
  };
  for (const name of readdirSync(CASES_DIR)) {
    for (const file of readdirSync(join(CASES_DIR, name))) {
      if (file === 'policies.json') walk(JSON.parse(readFileSync(join(CASES_DIR, name, file), 'utf8')), '', 'policy');
      else if (file.startsWith('input')) walk(JSON.parse(readFileSync(join(CASES_DIR, name, file), 'utf8')), '', 'input');
    }
  }
  const valid = [...patterns].filter((p) => {
    try {
      reference.compile([p], false);
      return true;
    } catch {
      return false; // the corpus's deliberately invalid patterns
    }
  });
  return { patterns: valid, literals, values: [...values] };
}

describe(`differential: ${backend.name} backend vs re2js`, () => {
  it('uses the addon where it is built (required when OTEL_POLICY_EXPECT_HYPERSCAN=1)', () => {
    if (process.env.OTEL_POLICY_EXPECT_HYPERSCAN === '1') expect(availability).toMatchObject({ available: true });
    expect(backend.name).toBe(availability.available ? 'hyperscan' : 're2js');
    if (availability.available) expect(availability.version).toMatch(/^\d+\.\d+/);
    else expect(backend.notice).toContain(availability.reason);
  });

  for (const ci of [false, true]) {
    it(`random patterns, one set per seed (case-insensitive ${ci})`, () => {
      for (let seed = 1; seed <= 40; seed++) {
        const r = prng(seed + (ci ? 50_000 : 0));
        const patterns = Array.from({ length: r.int(1, 40) }, () => randomPattern(r));
        const values = Array.from({ length: 40 }, () => randomValue(r, patterns));
        agree(patterns, values, ci, `seed ${seed}`);
      }
    });

    it(`random patterns, each alone (case-insensitive ${ci})`, () => {
      for (let seed = 1; seed <= 400; seed++) {
        const r = prng(seed + (ci ? 90_000 : 70_000));
        const p = randomPattern(r);
        agree(
          [p],
          Array.from({ length: 25 }, () => randomValue(r, [p])),
          ci,
          `seed ${seed}`,
        );
      }
    });

    it(`conformance corpus patterns x corpus values (case-insensitive ${ci})`, () => {
      const c = corpus();
      expect(c.patterns.length).toBeGreaterThan(20);
      const extra = ALPHABET.flatMap((a) => c.values.slice(0, 50).map((v) => v + a + v));
      agree(c.patterns, [...c.values, ...extra], ci, 'corpus');
    });
  }

  it('sets compiled off the event loop (compileAsync) answer the same', async () => {
    const compileAsync = (backend as { compileAsync?: (p: readonly string[], ci: boolean) => Promise<import('@otel-policy/core').RegexMatcher> }).compileAsync;
    for (let seed = 1; seed <= 10; seed++) {
      const r = prng(seed + 30_000);
      const patterns = Array.from({ length: r.int(1, 40) }, () => randomPattern(r));
      const ci = seed % 2 === 0;
      const a = compileAsync ? await compileAsync.call(backend, patterns, ci) : backend.compile(patterns, ci);
      const b = reference.compile(patterns, ci);
      for (let v = 0; v < 30; v++) {
        const value = randomValue(r, patterns);
        expect(
          scanIds((x, o, i) => a.scan(x, o, i), value, patterns.length),
          `seed ${seed}: ${JSON.stringify(value)}`,
        ).toEqual(scanIds((x, o, i) => b.scan(x, o, i), value, patterns.length));
      }
    }
    expect(typeof compileAsync).toBe(availability.available ? 'function' : 'undefined');
  });

  it('edge values: empty, newlines at the ends, long, multi-byte, astral', () => {
    // \\B alone: between two bytes of one character byte mode would see a non-boundary ("aéa" has none).
    const patterns = [
      '\\B',
      '\\b',
      'a\\b',
      '^$',
      '$',
      '^',
      'a$',
      '^a',
      '(?m)^$',
      '(?m)^a$',
      '(?m)^\\z',
      '(?s).+',
      '.+',
      '\\b',
      '\\B',
      'x*',
      '(?i)k+$',
      '[^a]',
      '\\x{1F600}',
      '😀.',
      '\\w+\\b',
      'ſ',
      '(?i)s{3}',
    ];
    const long = 'ab\n'.repeat(3000) + 'K\u212a';
    const values = ['', '\n', '\n\n', 'a\n', '\na', 'a', 'é', '😀', '😀x', 'x😀', long, long + '\n', `é${long}é`, 'ssſ', 'SSS', 'ſſſ', 'aéa', 'x😀y', 'a中b'];
    for (const ci of [false, true]) agree(patterns, values, ci, 'edges');
  });

  it('pattern sets (every match kind, one set per key) agree with the default routing', () => {
    const r = prng(4242);
    for (let round = 0; round < 30; round++) {
      const patterns: Pattern[] = [];
      const frags: string[] = [];
      for (let i = r.int(1, 80); i > 0; i--) {
        const kind = r.pick(['exact', 'prefix', 'suffix', 'contains', 'regex'] as const);
        const value = kind === 'regex' ? randomPattern(r) : randomValue(r).slice(0, r.int(0, 6));
        frags.push(value);
        patterns.push({ kind, value, ci: r.next() < 0.4 });
      }
      // Both halves of the routing: everything through the backend, and short values the default way.
      const a = new PatternSet(patterns, backend, { shortValueLength: round % 2 === 0 ? 0 : 6, minPatterns: 0 });
      const b = new PatternSet(patterns, reference);
      for (let v = 0; v < 40; v++) {
        const value = randomValue(r, frags);
        expect(
          scanIds((x, o, i) => a.scan(x, o, i), value, patterns.length),
          `round ${round}: ${JSON.stringify(value)}`,
        ).toEqual(scanIds((x, o, i) => b.scan(x, o, i), value, patterns.length));
      }
    }
  });

  it('keeps the fallback to the patterns that need it', () => {
    // Unicode classes are the one construct the translation refuses outright; most random patterns stay native.
    const natives = fallbacks.filter((f) => !/Unicode class|multi-line \^|empty character class|lone surrogate|Embedded (start |end )?anchors|can never match/.test(f));
    if (availability.available) expect(natives).toEqual([]);
    else expect(fallbacks).toEqual([]);
  });
});
