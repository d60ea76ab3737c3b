/**
 * The backend's bookkeeping — per-pattern fallback, id mapping, retries, the
 * ill-formed-string path, and the unavailable path — against a stand-in for
 * the addon built on re2js (the translation's output is valid RE2 too), so
 * that these run on every machine. The real addon is held to the same
 * answers in differential.test.ts.
 */
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { PatternSet, PolicyEngine, Re2jsBackend, type Pattern, type RegexBackend } from '@otel-policy/core';
import { HyperscanBackend, hyperscanBackend, hyperscanAvailability } from '../src/backend.js';
import { regexBackendNamed } from '../src/by-name.js';
import { selfTest, type NativeModule } from '../src/native.js';
import { prng, randomPattern, randomValue, scanIds } from './support/gen.js';

interface FakeStats {
  compiles: number;
  scans?: number;
}

/** An addon look-alike: refuses expressions for which `refuse` says so, like hs_compile_multi (first bad index). */
function fakeNative(refuse: (expr: string) => string | null = () => null, stats: FakeStats = { compiles: 0 }): NativeModule {
  class Database {
    private readonly res: RE2JS[];
    readonly results: Int32Array;
    constructor(exprs: readonly string[], _flags?: readonly number[]) {
      stats.compiles++;
      exprs.forEach((e, i) => {
        const why = refuse(e);
        if (why === 'whole set') throw Object.assign(new Error('Pattern too large'), { expression: -1 });
        if (why) throw Object.assign(new Error(why), { expression: i });
      });
      this.res = exprs.map((e) => RE2JS.compile(e));
      this.results = new Int32Array(exprs.length);
    }
    scan(value: string): number {
      if (stats.scans !== undefined) stats.scans++;
      if (!value.isWellFormed()) return -1;
      let n = 0;
      for (let i = 0; i < this.res.length; i++) if (this.res[i].test(value)) this.results[n++] = i;
      return n;
    }
  }
  return {
    version: () => 'fake',
    flags: { CASELESS: 1, DOTALL: 2, MULTILINE: 4, SINGLEMATCH: 8, ALLOWEMPTY: 16, UTF8: 32, UCP: 64 },
    Database,
    compileAsync: async (exprs, flags) => {
      await new Promise((r) => setImmediate(r));
      return new Database(exprs, flags);
    },
  };
}

function agree(backend: RegexBackend, patterns: string[], values: string[], ci: boolean): void {
  const a = backend.compile(patterns, ci);
  const b = new Re2jsBackend().compile(patterns, ci);
  for (const v of values) {
    expect(
      scanIds((x, o, i) => a.scan(x, o, i), v, patterns.length),
      `${JSON.stringify(v)} in ${JSON.stringify(patterns)}`,
    ).toEqual(scanIds((x, o, i) => b.scan(x, o, i), v, patterns.length));
  }
}

describe('HyperscanBackend (with a stand-in addon)', () => {
  it('sends untranslatable and refused patterns to the fallback, alone, and maps ids back', () => {
    const reasons: string[] = [];
    const backend = new HyperscanBackend(
      fakeNative((e) => (e.includes('zz') ? 'Expression is not supported' : null)),
      { onFallback: (p, why) => reasons.push(`${p}: ${why}`) },
    );
    const patterns = ['abc', '\\pL+x', 'zz+', 'b$', '(?m)a^b', 'c', 'zzz', '\\p{Greek}'];
    agree(backend, patterns, ['abc', 'Ωx', 'zz', 'xb', 'a\nb', 'ccc', 'b\n', ''], false);
    expect(backend.fallbackPatterns).toBe(5);
    expect(reasons.some((r) => r.startsWith('\\pL+x: Unicode class'))).toBe(true);
    expect(reasons.some((r) => r.startsWith('zz+: hyperscan: Expression is not supported'))).toBe(true);
  });

  it('finds many refused patterns one by one instead of recompiling the set for each', () => {
    const stats = { compiles: 0 };
    const backend = new HyperscanBackend(fakeNative((e) => (e.startsWith('q') ? 'refused' : null), stats));
    const patterns = Array.from({ length: 200 }, (_, i) => (i % 10 === 0 ? `q${i}` : `p${i}x`));
    agree(backend, patterns, ['p11x', 'q20', 'p19xq30', 'nothing'], false);
    expect(backend.fallbackPatterns).toBe(20);
    // A few whole-set attempts, one pass alone over the rest, and the final set: far below one per bad pattern times the set.
    expect(stats.compiles).toBeLessThan(200 + 10);
    expect(stats.compiles).toBeGreaterThan(5);
  });

  it('compileAsync: the same plan with the compiler off the event loop, refusals included', async () => {
    const stats = { compiles: 0 };
    const backend = new HyperscanBackend(fakeNative((e) => (e.startsWith('q') ? 'refused' : null), stats));
    const patterns = Array.from({ length: 60 }, (_, i) => (i % 6 === 0 ? `q${i}` : i % 7 === 0 ? `\\pL${i}` : `p${i}x`));
    const a = await backend.compileAsync(patterns, false);
    const b = new Re2jsBackend().compile(patterns, false);
    for (const v of ['p11x', 'q12', 'Ω14', 'p13xq18', 'none']) {
      expect(scanIds((x, o, i) => a.scan(x, o, i), v, 60)).toEqual(scanIds((x, o, i) => b.scan(x, o, i), v, 60));
    }
    expect(backend.fallbackPatterns).toBe(10 + 7);
  });

  it('gives a set compiled before its matcher back (a reload of unchanged keys compiles nothing), and bounds what it keeps', async () => {
    const stats = { compiles: 0 };
    const backend = new HyperscanBackend(
      fakeNative(() => null, stats),
      { cacheSize: 2 },
    );
    const a = backend.compile(['a+', 'b'], false);
    expect(backend.compile(['a+', 'b'], false)).toBe(a);
    expect(await backend.compileAsync(['a+', 'b'], false)).toBe(a);
    expect(stats.compiles).toBe(1);
    expect(backend.compile(['a+', 'b'], true)).not.toBe(a); // another case mode is another set
    expect(backend.compile(['a+b'], false)).not.toBe(a); // and so is another split of the same text
    expect(stats.compiles).toBe(3);
    // Two kept: the oldest (a) is gone now.
    expect(backend.compile(['a+', 'b'], false)).not.toBe(a);
    expect(stats.compiles).toBe(4);
    const none = new HyperscanBackend(
      fakeNative(() => null, stats),
      { cacheSize: 0 },
    );
    expect(none.compile(['x'], false)).not.toBe(none.compile(['x'], false));
  });

  it('a failure that names no expression sends the whole set to the fallback', () => {
    const backend = new HyperscanBackend(fakeNative((e) => (e === 'huge' ? 'whole set' : null)));
    agree(backend, ['a', 'huge', 'b'], ['a', 'huge', 'b', 'c'], false);
    expect(backend.fallbackPatterns).toBe(3);
  });

  it('answers values with lone surrogates by RE2 semantics, not by their UTF-8 replacement', () => {
    const backend = new HyperscanBackend(fakeNative());
    agree(backend, ['\\x{FFFD}', '^.$', 'a.b', '[^a]'], ['\ud800', 'a\udc00b', '\ufffd', 'a'], false);
  });

  for (const ci of [false, true]) {
    it(`random sets agree with re2js (case-insensitive ${ci})`, () => {
      for (let seed = 1; seed <= 40; seed++) {
        const r = prng(1000 + seed);
        const patterns = Array.from({ length: r.int(1, 40) }, () => randomPattern(r));
        const backend = new HyperscanBackend(fakeNative(() => (r.next() < 0.05 ? 'refused' : null)));
        agree(
          backend,
          patterns,
          Array.from({ length: 30 }, () => randomValue(r, patterns)),
          ci,
        );
      }
    });
  }

  it('routes every pattern of a match key to itself, in one set, for values longer than 128 characters', () => {
    const stats = { compiles: 0, scans: 0 };
    const backend = new HyperscanBackend(fakeNative(() => null, stats));
    expect(backend.routing).toEqual({ prefilter: false, literals: true, foldInline: true, shardSize: 100_000, shortValueLength: 128, minPatterns: 2 });
    const patterns: Pattern[] = [
      { kind: 'regex', value: 'err(or)?\\d', ci: false },
      { kind: 'contains', value: 'timeout', ci: false },
      { kind: 'prefix', value: 'GET', ci: true },
      { kind: 'exact', value: 'x', ci: false },
    ];
    const set = new PatternSet(patterns, backend);
    expect(stats.compiles).toBe(1); // one database for the three non-exact patterns
    const out = new Int32Array(8);
    const ids = (v: string) => Array.from(out.subarray(0, set.scan(v, out, 0))).sort();
    expect(ids('get error1 timeout')).toEqual([0, 1, 2]);
    expect(ids('x')).toEqual([3]);
    expect(stats.scans).toBe(0); // short values never reach the backend
    const long = `get ${'.'.repeat(130)} error7`;
    expect(ids(long)).toEqual([0, 2]);
    expect(stats.scans).toBe(1);
    // A key with a single pattern is answered the default way whatever the value.
    const single = new PatternSet([{ kind: 'regex', value: 'error\\d', ci: false }], backend);
    expect(stats.compiles).toBe(1);
    expect(single.scan(`${'.'.repeat(200)} error3`, out, 0)).toBe(1);
    expect(stats.scans).toBe(1);
  });
});

describe('self-test of the system library', () => {
  it('passes a library that answers like RE2', () => {
    expect(selfTest(fakeNative())).toBeUndefined();
  });

  it("fails one that misses matches the way Debian bookworm's Vectorscan 5.4.9 does", () => {
    // Misses a multi-byte class match 18..32 bytes in when an anchored pattern shares the database.
    const buggy = fakeNative();
    const Real = buggy.Database;
    const Database = class extends Real {
      constructor(
        private readonly exprs: readonly string[],
        flags: readonly number[],
      ) {
        super(exprs, flags);
      }
      override scan(value: string): number {
        const bytes = Buffer.byteLength(value);
        if (this.exprs.some((e) => e.startsWith('\\A')) && bytes >= 20 && bytes <= 34) return 0;
        return super.scan(value);
      }
    };
    const failed = selfTest({ ...buggy, Database });
    expect(failed).toContain('gave [], expected [0]');
    // The first failing value is the first one the simulated bug covers: 18 x's and the sigma (20 bytes).
    expect(failed).toContain(`on ${JSON.stringify('x'.repeat(18) + '\u03a3')}`);
  });
});

describe('when the addon is unavailable', () => {
  it('hyperscanBackend() returns the default backend with a notice saying why and how to enable', () => {
    const backend = hyperscanBackend({ addonPath: '/nonexistent/otel_policy_hs.node' });
    expect(backend.name).toBe('re2js');
    expect(backend.notice).toMatch(
      /regex backend "hyperscan" is unavailable \(native addon not built \(apt-get install libhyperscan-dev \(or libvectorscan-dev\), then `pnpm --filter @otel-policy\/hyperscan run build:native`\)\); using the re2js backend/,
    );
    agree(backend, ['a+b', '(?i)k'], ['aab', 'K', '\u212a', 'x'], false);
    expect(hyperscanAvailability('/nonexistent/otel_policy_hs.node')).toEqual({ available: false, reason: expect.stringContaining('not built') });
  });

  it('an addon that fails to load is reported with the loader error', () => {
    const backend = hyperscanBackend({ addonPath: new URL('./support/gen.ts', import.meta.url).pathname });
    expect(backend.name).toBe('re2js');
    expect(backend.notice).toContain('native addon failed to load');
  });

  it('OTEL_POLICY_HYPERSCAN=0 turns the addon off', () => {
    const before = process.env.OTEL_POLICY_HYPERSCAN;
    process.env.OTEL_POLICY_HYPERSCAN = '0';
    try {
      const backend = hyperscanBackend();
      expect(backend.name).toBe('re2js');
      expect(backend.notice).toContain('disabled by OTEL_POLICY_HYPERSCAN=0');
    } finally {
      if (before === undefined) delete process.env.OTEL_POLICY_HYPERSCAN;
      else process.env.OTEL_POLICY_HYPERSCAN = before;
    }
  });

  it('the engine says so once through its logger, however often it reloads, and still matches', () => {
    const warnings: string[] = [];
    const engine = new PolicyEngine({
      regexBackend: hyperscanBackend({ addonPath: '/nonexistent/otel_policy_hs.node' }),
      logger: { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    });
    const policies = JSON.stringify({
      policies: [{ id: 'drop-debug', name: 'drop-debug', log: { match: [{ log_field: 'body', regex: '^DEBUG\\b' }], keep: 'none' } }],
    });
    for (let i = 0; i < 3; i++) expect(engine.load(policies).active).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('regex backend "hyperscan" is unavailable');
  });
});

describe('backends by name (collector regex_backend, CLI --regex-backend)', () => {
  it('default is what the caller says (the engine default when nothing), re2js and hyperscan are themselves', () => {
    const custom = new Re2jsBackend();
    expect(regexBackendNamed('default')).toBeUndefined();
    expect(regexBackendNamed('default', () => custom)).toBe(custom);
    expect(regexBackendNamed('re2js')).toBeInstanceOf(Re2jsBackend);
    expect(regexBackendNamed('hyperscan')!.name).toBe(hyperscanAvailability().available ? 'hyperscan' : 're2js');
  });
});
