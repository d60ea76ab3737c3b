/**
 * Behaviour of every keep action, through the public engine API and the
 * OTLP/JSON adapters: none / all, tumbling-window rate limits on an injected
 * clock, keyed log sampling (the SEMANTICS.md algorithm re-implemented here
 * independently), unkeyed log sampling (statistically, and with an injected
 * random), most-restrictive selection with its stats, trace sampling and
 * metric keep.
 */
import { describe, expect, it } from 'vitest';
import { EvalResult, PolicyEngine, RateLimiter } from '@otel-policy/core';
import { applyToLogs, applyToMetrics, applyToTraces, otlpJsonLogAccessor, type LogCursor, type LogsData, type MetricsData, type TracesData } from '@otel-policy/adapters';

// ---------------------------------------------------------------------------
// helpers

type Json = Record<string, unknown>;

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  bytesValue?: string;
  kvlistValue?: { values: KV[] };
}
interface KV {
  key: string;
  value: AnyValue;
}

const S = (s: string): AnyValue => ({ stringValue: s });
const I = (n: number | string): AnyValue => ({ intValue: n });
const D = (d: number): AnyValue => ({ doubleValue: d });
const B = (b: boolean): AnyValue => ({ boolValue: b });
const kv = (key: string, value: AnyValue): KV => ({ key, value });

function logPolicy(id: string, log: Json, extra: Json = {}): Json {
  return { id, name: id, ...extra, log };
}

interface EngineOpts {
  clock?: () => number;
  random?: () => number;
}

function engineOf(policies: Json[], opts: EngineOpts = {}): PolicyEngine {
  const engine = new PolicyEngine({ policies: JSON.stringify({ policies }), ...opts });
  // Every policy in these tests is meant to compile.
  const errs = engine.stats().filter((s) => s.errors.length > 0);
  expect(errs).toEqual([]);
  return engine;
}

interface Rec {
  body?: string;
  severity?: string;
  attrs?: KV[];
  resource?: KV[];
  scope?: KV[];
  traceId?: string;
  spanId?: string;
  time?: string;
}

function recordOf(r: Rec): Json {
  const rec: Json = {};
  if (r.time !== undefined) rec.timeUnixNano = r.time;
  if (r.severity !== undefined) rec.severityText = r.severity;
  if (r.body !== undefined) rec.body = S(r.body);
  rec.attributes = r.attrs ?? [];
  if (r.traceId !== undefined) rec.traceId = r.traceId;
  if (r.spanId !== undefined) rec.spanId = r.spanId;
  return rec;
}

function cursorOf(r: Rec): LogCursor {
  const record = recordOf(r);
  const scopeLogs = { scope: { name: 'scope', attributes: r.scope ?? [] }, logRecords: [record] };
  const resourceLogs = { resource: { attributes: r.resource ?? [] }, scopeLogs: [scopeLogs] };
  return { resourceLogs, scopeLogs, record } as unknown as LogCursor;
}

function evalLog(engine: PolicyEngine, r: Rec): EvalResult {
  return engine.evaluateLog(cursorOf(r), otlpJsonLogAccessor);
}

const isKept = (r: EvalResult): boolean => r < EvalResult.Dropped;

function logsOf(records: Rec[]): LogsData {
  return {
    resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ scope: { name: 's' }, logRecords: records.map(recordOf) }] }],
  } as unknown as LogsData;
}

function keptBodies(data: LogsData): string[] {
  const out: string[] = [];
  for (const rl of (data as unknown as { resourceLogs: Json[] }).resourceLogs) {
    for (const sl of (rl.scopeLogs as Json[]) ?? []) {
      for (const lr of (sl.logRecords as Json[]) ?? []) out.push(((lr.body as AnyValue | undefined)?.stringValue as string) ?? '');
    }
  }
  return out;
}

function stat(engine: PolicyEngine, id: string): { hits: number; misses: number } {
  const s = engine.stats().find((p) => p.policyId === id);
  if (!s) throw new Error(`no stats for ${id}`);
  return { hits: s.hits, misses: s.misses };
}

/** A random source that replays `values` and counts its calls. */
function scripted(values: number[]): { random: () => number; calls: () => number } {
  let i = 0;
  return {
    random: () => {
      if (i >= values.length) throw new Error('scripted random exhausted');
      return values[i++];
    },
    calls: () => i,
  };
}

/** Deterministic PRNG (mulberry32) for reproducible key sets. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomHex(rnd: () => number, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(rnd() * 256)
      .toString(16)
      .padStart(2, '0');
  return s;
}

// ---------------------------------------------------------------------------
// independent re-implementation of SEMANTICS.md "Log percentage with sample_key"

const MASK64 = (1n << 64n) - 1n;
const MASK56 = (1n << 56n) - 1n;
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;

function fnv1a64(bytes: Uint8Array): bigint {
  let h = FNV_OFFSET;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & MASK64;
  }
  return h;
}

/** The bytes a key value hashes over: string UTF-8, int 8 bytes BE, double IEEE bits BE, bool one byte. */
function keyBytes(v: AnyValue): Uint8Array {
  if (v.stringValue !== undefined) return new TextEncoder().encode(v.stringValue);
  if (v.intValue !== undefined) {
    const out = new Uint8Array(8);
    let x = BigInt.asUintN(64, BigInt(v.intValue));
    for (let i = 7; i >= 0; i--) {
      out[i] = Number(x & 0xffn);
      x >>= 8n;
    }
    return out;
  }
  if (v.doubleValue !== undefined) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setFloat64(0, v.doubleValue, false);
    return out;
  }
  if (v.boolValue !== undefined) return Uint8Array.of(v.boolValue ? 1 : 0);
  throw new Error('unsupported key type in test');
}

const hexToBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

/** R for a non-trace_id key. */
const keyRandomness = (v: AnyValue): bigint => fnv1a64(keyBytes(v)) & MASK56;
/** R for a trace_id key: the last 7 bytes of the raw ID. */
const traceIdRandomness = (hex: string): bigint => {
  const raw = hexToBytes(hex);
  let r = 0n;
  for (const b of raw.subarray(raw.length - 7)) r = (r << 8n) | BigInt(b);
  return r;
};

/** T = trunc((1 - P/100) * 2^56), the subtraction done in float64 first. */
function logThreshold(p: number): bigint {
  const f = (1 - p / 100) * 2 ** 56;
  return BigInt(Math.trunc(f));
}

function expectedKeyedKeep(p: number, r: bigint): boolean {
  if (p >= 100) return true;
  if (p <= 0) return false;
  return r >= logThreshold(p);
}

/** Keys of every hashable type, deterministic. */
function keySet(seed: number, n: number): AnyValue[] {
  const rnd = prng(seed);
  const out: AnyValue[] = [];
  const unicode = ['ключ', '鍵', 'clé', '🔑', 'ä', 'Z̤͔ͧ̑̓'];
  for (let i = 0; i < n; i++) {
    switch (i % 8) {
      case 0:
        out.push(S(`req-${i}-${randomHex(rnd, 4)}`));
        break;
      case 1:
        out.push(S(`${unicode[i % unicode.length]}-${i}`));
        break;
      case 2:
        out.push(I(Math.floor(rnd() * 1e9) - 5e8)); // small ints, negative too, as JSON numbers
        break;
      case 3:
        out.push(I(String(BigInt.asIntN(64, BigInt(`0x${randomHex(rnd, 8)}`))))); // full int64 range, as strings
        break;
      case 4:
        out.push(D((rnd() - 0.5) * 1e6));
        break;
      case 5:
        out.push(D(i)); // integral doubles must hash as doubles, not ints
        break;
      case 6:
        out.push(S(randomHex(rnd, 6)));
        break;
      case 7:
        out.push(I(i));
        break;
    }
  }
  out.push(B(true), B(false), I('9223372036854775807'), I('-9223372036854775808'), D(1e300), D(-2.5));
  return out;
}

const BASE = 6_000_000_000; // a multiple of every window used below

// ---------------------------------------------------------------------------

describe('keep: none and all', () => {
  it('none drops every matching record and leaves others alone', () => {
    const engine = engineOf([logPolicy('drop', { match: [{ log_field: 'body', starts_with: 'drop' }], keep: 'none' })]);
    expect(evalLog(engine, { body: 'drop me' })).toBe(EvalResult.Dropped);
    expect(evalLog(engine, { body: 'keep me' })).toBe(EvalResult.NoMatch);
    const data = logsOf([{ body: 'drop 1' }, { body: 'keep 1' }, { body: 'drop 2' }, { body: 'keep 2' }]);
    const out = applyToLogs(engine, data);
    expect(keptBodies(data)).toEqual(['keep 1', 'keep 2']);
    expect(out.dropped).toBe(2);
    expect(out.noMatch).toBe(2);
    expect(stat(engine, 'drop')).toEqual({ hits: 3, misses: 0 });
  });

  it('all keeps every matching record and counts a hit for each', () => {
    const engine = engineOf([logPolicy('keep-all', { match: [{ log_field: 'body', starts_with: 'x' }], keep: 'all', transform: { add: [{ log_attribute: 'seen', value: '1' }] } })]);
    const data = logsOf([{ body: 'x1' }, { body: 'x2' }, { body: 'y' }]);
    applyToLogs(engine, data);
    expect(keptBodies(data)).toEqual(['x1', 'x2', 'y']);
    expect(stat(engine, 'keep-all')).toEqual({ hits: 2, misses: 0 });
  });

  it('keep defaults to all when omitted', () => {
    const engine = engineOf([logPolicy('default', { match: [{ log_field: 'body', exact: 'a' }], transform: { add: [{ log_attribute: 'k', value: 'v' }] } })]);
    expect(isKept(evalLog(engine, { body: 'a' }))).toBe(true);
    expect(stat(engine, 'default')).toEqual({ hits: 1, misses: 0 });
  });

  it('100% keeps everything and 0% drops everything', () => {
    const rnd = scripted([]);
    const engine = engineOf([logPolicy('p100', { match: [{ log_field: 'body', exact: 'full' }], keep: '100%' }), logPolicy('p0', { match: [{ log_field: 'body', exact: 'zero' }], keep: '0%' })], {
      random: rnd.random,
    });
    for (let i = 0; i < 50; i++) {
      expect(isKept(evalLog(engine, { body: 'full' }))).toBe(true);
      expect(isKept(evalLog(engine, { body: 'zero' }))).toBe(false);
    }
  });
});

describe('keep: rate limits (tumbling window on the injected clock)', () => {
  const cases: [string, number, number][] = [
    ['1/s', 1, 1000],
    ['5/s', 5, 1000],
    ['3/m', 3, 60_000],
    ['4/1s', 4, 1000],
    ['2/5s', 2, 5000],
    ['7/30s', 7, 30_000],
    ['1/1m', 1, 60_000],
    ['3/2m', 3, 120_000],
    ['10/5m', 10, 300_000],
  ];

  describe.each(cases)('%s', (keep, n, windowMs) => {
    const setup = () => {
      let now = BASE;
      const clock = () => now;
      const engine = engineOf([logPolicy('rl', { match: [{ log_field: 'body', starts_with: 'r' }], keep })], { clock });
      return { engine, at: (t: number) => (now = BASE + t) };
    };

    it('allows exactly N records in a window, then drops with RateLimited', () => {
      const { engine, at } = setup();
      at(0);
      const results = Array.from({ length: n + 5 }, () => evalLog(engine, { body: 'r' }));
      expect(results.slice(0, n)).toEqual(Array(n).fill(EvalResult.Kept));
      expect(results.slice(n)).toEqual(Array(5).fill(EvalResult.RateLimited));
      // Still the same window one millisecond before it ends.
      at(windowMs - 1);
      expect(evalLog(engine, { body: 'r' })).toBe(EvalResult.RateLimited);
      // Stats: every decision was the policy's own (it is the only one): all hits.
      expect(stat(engine, 'rl')).toEqual({ hits: n + 6, misses: 0 });
    });

    it('starts a new window with a fresh budget once the window has elapsed', () => {
      const { engine, at } = setup();
      at(0);
      for (let i = 0; i < n; i++) expect(evalLog(engine, { body: 'r' })).toBe(EvalResult.Kept);
      expect(evalLog(engine, { body: 'r' })).toBe(EvalResult.RateLimited);
      at(windowMs);
      for (let i = 0; i < n; i++) expect(evalLog(engine, { body: 'r' })).toBe(EvalResult.Kept);
      expect(evalLog(engine, { body: 'r' })).toBe(EvalResult.RateLimited);
      // After a long idle gap the budget is full again.
      at(10 * windowMs);
      for (let i = 0; i < n; i++) expect(evalLog(engine, { body: 'r' })).toBe(EvalResult.Kept);
      expect(evalLog(engine, { body: 'r' })).toBe(EvalResult.RateLimited);
    });

    it('is tumbling, not sliding: records late in a window do not reduce the next window', () => {
      const { engine, at } = setup();
      at(0);
      expect(evalLog(engine, { body: 'r' })).toBe(EvalResult.Kept);
      at(windowMs - 1);
      for (let i = 1; i < n; i++) expect(evalLog(engine, { body: 'r' })).toBe(EvalResult.Kept);
      expect(evalLog(engine, { body: 'r' })).toBe(EvalResult.RateLimited);
      // A sliding window would still count the n-1 records of (windowMs - 1).
      at(windowMs);
      for (let i = 0; i < n; i++) expect(evalLog(engine, { body: 'r' })).toBe(EvalResult.Kept);
      expect(evalLog(engine, { body: 'r' })).toBe(EvalResult.RateLimited);
    });

    it('does not let dropped records extend or restart the window', () => {
      const { engine, at } = setup();
      at(0);
      for (let i = 0; i < n; i++) evalLog(engine, { body: 'r' });
      // Rejected attempts all through the window.
      for (const t of [1, Math.floor(windowMs / 2), windowMs - 1]) {
        at(t);
        expect(evalLog(engine, { body: 'r' })).toBe(EvalResult.RateLimited);
      }
      at(windowMs);
      expect(evalLog(engine, { body: 'r' })).toBe(EvalResult.Kept);
    });
  });

  it('uses the wall clock, never record timestamps', () => {
    let now = BASE;
    const engine = engineOf([logPolicy('rl', { match: [{ log_field: 'body', starts_with: 'r' }], keep: '1/s' })], { clock: () => now });
    expect(evalLog(engine, { body: 'r', time: '1000000000' })).toBe(EvalResult.Kept);
    // A timestamp far in the future does not open a new window.
    expect(evalLog(engine, { body: 'r', time: '999000000000000000' })).toBe(EvalResult.RateLimited);
    now = BASE + 1000;
    // An old timestamp does not keep the old window.
    expect(evalLog(engine, { body: 'r', time: '1' })).toBe(EvalResult.Kept);
  });

  it('keeps one limiter per policy', () => {
    let now = BASE;
    const engine = engineOf([logPolicy('a', { match: [{ log_field: 'body', exact: 'a' }], keep: '2/s' }), logPolicy('b', { match: [{ log_field: 'body', exact: 'b' }], keep: '3/s' })], {
      clock: () => now,
    });
    const seq = ['a', 'b', 'a', 'b', 'a', 'b', 'b', 'a'].map((body) => [body, isKept(evalLog(engine, { body }))]);
    expect(seq).toEqual([
      ['a', true],
      ['b', true],
      ['a', true],
      ['b', true],
      ['a', false],
      ['b', true],
      ['b', false],
      ['a', false],
    ]);
    now += 1000;
    expect(isKept(evalLog(engine, { body: 'a' }))).toBe(true);
  });

  it('RateLimiter: allowed iff fewer than N were allowed in the current window', () => {
    let now = 0;
    const rl = new RateLimiter(2, 1000, () => now);
    expect([rl.tryAcquire(), rl.tryAcquire(), rl.tryAcquire()]).toEqual([true, true, false]);
    now = 999;
    expect(rl.tryAcquire()).toBe(false);
    now = 1000;
    expect([rl.tryAcquire(), rl.tryAcquire(), rl.tryAcquire()]).toEqual([true, true, false]);
  });

  it.each(['1.5/s', '0/s', '1/0s', '-1/s', '1/1.5m', '2/h', '1/', '/s', '5/ s'])('rejects the malformed rate limit %j (policy inert)', (keep) => {
    const engine = new PolicyEngine({ policies: JSON.stringify({ policies: [logPolicy('bad', { match: [{ log_field: 'body', exact: 'x' }], keep })] }) });
    const s = engine.stats().find((p) => p.policyId === 'bad');
    expect(s?.errors.length).toBeGreaterThan(0);
    expect(evalLog(engine, { body: 'x' })).toBe(EvalResult.NoMatch);
  });
});

describe('keep: log percentage with sample_key (consistent sampling)', () => {
  const percentages = [1, 10, 25, 33.3, 50, 75, 90, 99.5];

  type Placement = 'log_attribute' | 'resource_attribute' | 'scope_attribute';
  const placeKey = (where: Placement, v: AnyValue, i: number): Rec => {
    const key = kv('k', v);
    const other = [kv('other', S(`noise-${i}`))];
    if (where === 'log_attribute') return { body: `m${i}`, attrs: [...other, key] };
    if (where === 'resource_attribute') return { body: `m${i}`, resource: [kv('service.name', S('svc')), key] };
    return { body: `m${i}`, scope: [key, ...other] };
  };

  describe.each<Placement>(['log_attribute', 'resource_attribute', 'scope_attribute'])('keyed by %s', (where) => {
    it.each(percentages)('matches FNV-1a/56 >= trunc((1 - P/100) * 2^56) at %s%%', (p) => {
      const engine = engineOf([logPolicy('s', { match: [{ log_field: 'body', starts_with: 'm' }], keep: `${p}%`, sample_key: { [where]: 'k' } })], {
        random: scripted([]).random, // keyed sampling must not use the random source
      });
      const keys = keySet(Math.round(p * 1000), 1200);
      const got = keys.map((v, i) => isKept(evalLog(engine, placeKey(where, v, i))));
      const want = keys.map((v) => expectedKeyedKeep(p, keyRandomness(v)));
      const mismatches = keys.map((v, i) => ({ v, got: got[i], want: want[i] })).filter((x) => x.got !== x.want);
      expect(mismatches).toEqual([]);
      // Not vacuous: both decisions happen (except at the extremes).
      if (p >= 10 && p <= 90) {
        expect(want.filter(Boolean).length).toBeGreaterThan(0);
        expect(want.filter((x) => !x).length).toBeGreaterThan(0);
      }
    });
  });

  it('also accepts the key in its nested and {path} spellings', () => {
    const engine = engineOf([logPolicy('s', { match: [{ log_field: 'body', starts_with: 'm' }], keep: '40%', sample_key: { log_attribute: { path: ['req', 'id'] } } })]);
    const keys = keySet(7, 400);
    for (const [i, v] of keys.entries()) {
      const rec: Rec = { body: `m${i}`, attrs: [kv('req', { kvlistValue: { values: [kv('id', v)] } })] };
      expect(isKept(evalLog(engine, rec))).toBe(expectedKeyedKeep(40, keyRandomness(v)));
    }
  });

  it.each(percentages)('keyed by log_field trace_id: the last 7 bytes of the raw ID at %s%%', (p) => {
    const engine = engineOf([logPolicy('s', { match: [{ log_field: 'body', starts_with: 'm' }], keep: `${p}%`, sample_key: { log_field: 'trace_id' } })], {
      random: scripted([]).random,
    });
    const rnd = prng(99 + p);
    const ids = Array.from({ length: 1500 }, () => randomHex(rnd, 16));
    const got = ids.map((id, i) => isKept(evalLog(engine, { body: `m${i}`, traceId: id })));
    const want = ids.map((id) => expectedKeyedKeep(p, traceIdRandomness(id)));
    expect(got).toEqual(want);
    // Upper-case hex in the payload is the same ID.
    const gotUpper = ids.map((id, i) => isKept(evalLog(engine, { body: `m${i}`, traceId: id.toUpperCase() })));
    expect(gotUpper).toEqual(want);
  });

  it('trace_id key: R equal to T keeps, R = T - 1 drops; only the last 7 bytes count', () => {
    for (const p of [10, 25, 50, 75]) {
      const t = logThreshold(p);
      const engine = engineOf([logPolicy('s', { match: [{ log_field: 'body', exact: 'm' }], keep: `${p}%`, sample_key: { log_field: 'LOG_FIELD_TRACE_ID' } })]);
      const last7 = (x: bigint) => x.toString(16).padStart(14, '0');
      for (const prefix of ['000000000000000000', 'ffffffffffffffffff', '0123456789abcdef01']) {
        expect(isKept(evalLog(engine, { body: 'm', traceId: prefix + last7(t) }))).toBe(true);
        expect(isKept(evalLog(engine, { body: 'm', traceId: prefix + last7(t - 1n) }))).toBe(false);
        expect(isKept(evalLog(engine, { body: 'm', traceId: prefix + last7(MASK56) }))).toBe(true);
        expect(isKept(evalLog(engine, { body: 'm', traceId: prefix + last7(1n) }))).toBe(false);
      }
    }
  });

  it('keyed by log_field body and severity_text hashes the string UTF-8', () => {
    const keys = keySet(3, 600).filter((v) => v.stringValue !== undefined);
    for (const field of ['body', 'severity_text'] as const) {
      const engine = engineOf([logPolicy('s', { match: [{ log_attribute: 'sel', exact: 'y' }], keep: '35%', sample_key: { log_field: field } })]);
      for (const v of keys) {
        const rec: Rec = field === 'body' ? { body: v.stringValue, attrs: [kv('sel', S('y'))] } : { severity: v.stringValue, attrs: [kv('sel', S('y'))] };
        expect(isKept(evalLog(engine, rec))).toBe(expectedKeyedKeep(35, keyRandomness(v)));
      }
    }
  });

  it('keyed by log_field span_id hashes the raw ID bytes (reference behaviour)', () => {
    const engine = engineOf([logPolicy('s', { match: [{ log_field: 'body', starts_with: 'm' }], keep: '50%', sample_key: { log_field: 'span_id' } })]);
    const rnd = prng(5);
    for (let i = 0; i < 600; i++) {
      const id = randomHex(rnd, 8);
      expect(isKept(evalLog(engine, { body: `m${i}`, spanId: id }))).toBe(expectedKeyedKeep(50, fnv1a64(hexToBytes(id)) & MASK56));
    }
  });

  it('a record without the key is kept', () => {
    const engine = engineOf(
      [
        logPolicy('s-attr', { match: [{ log_field: 'body', exact: 'attr' }], keep: '1%', sample_key: { log_attribute: 'k' } }),
        logPolicy('s-res', { match: [{ log_field: 'body', exact: 'res' }], keep: '1%', sample_key: { resource_attribute: 'k' } }),
        logPolicy('s-scope', { match: [{ log_field: 'body', exact: 'scope' }], keep: '1%', sample_key: { scope_attribute: 'k' } }),
        logPolicy('s-trace', { match: [{ log_field: 'body', exact: 'trace' }], keep: '1%', sample_key: { log_field: 'trace_id' } }),
        logPolicy('s-nested', { match: [{ log_field: 'body', exact: 'nested' }], keep: '1%', sample_key: { log_attribute: ['a', 'k'] } }),
      ],
      { random: scripted([]).random },
    );
    for (let i = 0; i < 100; i++) {
      // The key elsewhere (another scope) does not count.
      expect(isKept(evalLog(engine, { body: 'attr', resource: [kv('k', S(`v${i}`))], scope: [kv('k', S(`v${i}`))] }))).toBe(true);
      expect(isKept(evalLog(engine, { body: 'res', attrs: [kv('k', S(`v${i}`))] }))).toBe(true);
      expect(isKept(evalLog(engine, { body: 'scope', attrs: [kv('k', S(`v${i}`))] }))).toBe(true);
      expect(isKept(evalLog(engine, { body: 'trace' }))).toBe(true);
      expect(isKept(evalLog(engine, { body: 'trace', traceId: '' }))).toBe(true);
      expect(isKept(evalLog(engine, { body: 'trace', traceId: '00000000000000000000000000000000' }))).toBe(true);
      expect(isKept(evalLog(engine, { body: 'nested', attrs: [kv('k', S(`v${i}`)), kv('a', { kvlistValue: { values: [kv('other', S('x'))] } })] }))).toBe(true);
    }
    // Sanity: at 1%, records that do carry the key are mostly dropped.
    let keptWithKey = 0;
    for (let i = 0; i < 200; i++) if (isKept(evalLog(engine, { body: 'attr', attrs: [kv('k', S(`v${i}`))] }))) keptWithKey++;
    expect(keptWithKey).toBeLessThan(20);
    expect(stat(engine, 's-attr').misses).toBe(0);
  });

  it('the same key always gets the same decision, whatever else the record holds, across engines', () => {
    const policies = [logPolicy('s', { match: [{ log_field: 'body', starts_with: 'm' }], keep: '30%', sample_key: { log_attribute: 'request_id' } })];
    const e1 = engineOf(policies);
    const e2 = engineOf(policies);
    const keys = keySet(11, 300);
    let kept = 0;
    for (const [i, v] of keys.entries()) {
      const decisions = [
        isKept(evalLog(e1, { body: `m-start-${i}`, attrs: [kv('request_id', v)] })),
        isKept(evalLog(e1, { body: 'm-processing', severity: 'DEBUG', attrs: [kv('x', S('1')), kv('request_id', v)] })),
        isKept(evalLog(e2, { body: `m-done ${i}`, attrs: [kv('request_id', v), kv('status', I(200))], traceId: randomHex(prng(i), 16) })),
        isKept(evalLog(e1, { body: `m-start-${i}`, attrs: [kv('request_id', v)] })),
      ];
      expect(new Set(decisions).size).toBe(1);
      if (decisions[0]) kept++;
    }
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(keys.length);
  });

  it('the key type matters: string "1", int 1, double 1 and bool true are different keys', () => {
    const values = [S('1'), I(1), D(1), B(true)];
    const rs = values.map(keyRandomness);
    expect(new Set(rs.map(String)).size).toBe(4);
    // Find a percentage where the four decisions are not all equal, then check the engine agrees.
    for (const p of [5, 15, 25, 35, 45, 55, 65, 75, 85, 95]) {
      const engine = engineOf([logPolicy('s', { match: [{ log_field: 'body', exact: 'm' }], keep: `${p}%`, sample_key: { log_attribute: 'k' } })]);
      for (const v of values) expect(isKept(evalLog(engine, { body: 'm', attrs: [kv('k', v)] }))).toBe(expectedKeyedKeep(p, keyRandomness(v)));
    }
  });
});

describe('keep: log percentage without sample_key', () => {
  it.each([10, 30, 75])('keeps about %s%% of 20000 identical records with the real Math.random', (p) => {
    const engine = engineOf([logPolicy('s', { match: [{ log_field: 'body', exact: 'same' }], keep: `${p}%` })]);
    const n = 20_000;
    const decisions: boolean[] = [];
    for (let i = 0; i < n; i++) decisions.push(isKept(evalLog(engine, { body: 'same', time: '1700000000000000000' })));
    const kept = decisions.filter(Boolean).length;
    const q = p / 100;
    const sd = Math.sqrt(n * q * (1 - q));
    // 6 standard deviations: a false failure has probability ~2e-9.
    expect(Math.abs(kept - n * q)).toBeLessThan(6 * sd);

    // Independence: the decision after a kept record and after a dropped one
    // are both ~p (a record-derived or timestamp-derived decision would make
    // them 1 and 0).
    let afterKept = 0;
    let afterKeptKept = 0;
    let afterDropped = 0;
    let afterDroppedKept = 0;
    for (let i = 1; i < n; i++) {
      if (decisions[i - 1]) {
        afterKept++;
        if (decisions[i]) afterKeptKept++;
      } else {
        afterDropped++;
        if (decisions[i]) afterDroppedKept++;
      }
    }
    const tol = (m: number) => 6 * Math.sqrt((q * (1 - q)) / m);
    expect(Math.abs(afterKeptKept / afterKept - q)).toBeLessThan(tol(afterKept));
    expect(Math.abs(afterDroppedKept / afterDropped - q)).toBeLessThan(tol(afterDropped));
    // Stats: one policy, so every decision is its own hit.
    expect(stat(engine, 's')).toEqual({ hits: n, misses: 0 });
  });

  it('identical records in one batch are neither all kept nor all dropped', () => {
    const engine = engineOf([logPolicy('s', { match: [{ log_field: 'body', exact: 'same' }], keep: '50%' })]);
    const data = logsOf(Array.from({ length: 400 }, () => ({ body: 'same', time: '1700000000000000000', attrs: [kv('a', S('b'))] })));
    const out = applyToLogs(engine, data);
    const kept = keptBodies(data).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(400);
    expect(out.sampledOut).toBe(400 - kept);
  });

  it('with an injected random, keeps iff random() * 100 < N, one draw per record', () => {
    const draws = [0, 0.05, 0.0999, 0.1, 0.15, 0.2999, 0.3, 0.333, 0.3329, 0.5, 0.7499, 0.75, 0.9, 0.999999];
    for (const p of [10, 30, 33.3, 75]) {
      const rnd = scripted(draws);
      const engine = engineOf([logPolicy('s', { match: [{ log_field: 'body', exact: 'm' }], keep: `${p}%` })], { random: rnd.random });
      const got = draws.map(() => evalLog(engine, { body: 'm' }));
      expect(got).toEqual(draws.map((r) => (r * 100 < p ? EvalResult.Kept : EvalResult.SampledOut)));
      expect(rnd.calls()).toBe(draws.length);
    }
  });

  it('does not draw for records no percentage policy decides', () => {
    const rnd = scripted([]);
    const engine = engineOf([logPolicy('s', { match: [{ log_field: 'body', exact: 'm' }], keep: '50%' })], { random: rnd.random });
    expect(evalLog(engine, { body: 'other' })).toBe(EvalResult.NoMatch);
    expect(rnd.calls()).toBe(0);
  });
});

describe('most restrictive keep wins', () => {
  const body = 'hit';
  const match = [{ log_field: 'body', exact: body }];

  it('none beats a percentage, and the percentage sampler does not run', () => {
    const rnd = scripted([0]);
    const engine = engineOf([logPolicy('a-pct', { match, keep: '10%' }), logPolicy('b-none', { match, keep: 'none' })], { random: rnd.random });
    expect(evalLog(engine, { body })).toBe(EvalResult.Dropped);
    expect(rnd.calls()).toBe(0);
    expect(stat(engine, 'b-none')).toEqual({ hits: 1, misses: 0 });
    expect(stat(engine, 'a-pct')).toEqual({ hits: 0, misses: 1 });
  });

  it('a lower percentage beats a higher one (only its sampler runs)', () => {
    // 0.15 keeps at 20% but not at 10%.
    const rnd = scripted([0.15, 0.05]);
    const engine = engineOf([logPolicy('a-20', { match, keep: '20%' }), logPolicy('b-10', { match, keep: '10%' })], { random: rnd.random });
    expect(evalLog(engine, { body })).toBe(EvalResult.SampledOut);
    expect(stat(engine, 'b-10')).toEqual({ hits: 1, misses: 0 });
    expect(stat(engine, 'a-20')).toEqual({ hits: 0, misses: 1 });
    expect(evalLog(engine, { body })).toBe(EvalResult.Kept);
    expect(stat(engine, 'b-10')).toEqual({ hits: 2, misses: 0 });
    expect(stat(engine, 'a-20')).toEqual({ hits: 1, misses: 1 });
    expect(rnd.calls()).toBe(2);
  });

  it('a lower keyed percentage uses its own sample_key', () => {
    const engine = engineOf([logPolicy('a-60', { match, keep: '60%', sample_key: { log_attribute: 'x' } }), logPolicy('b-30', { match, keep: '30%', sample_key: { log_attribute: 'y' } })]);
    const keys = keySet(21, 300);
    for (const [i, v] of keys.entries()) {
      const other = keys[(i * 7 + 3) % keys.length];
      expect(isKept(evalLog(engine, { body, attrs: [kv('x', other), kv('y', v)] }))).toBe(expectedKeyedKeep(30, keyRandomness(v)));
    }
  });

  it('equal percentages: the lowest ID decides, with its sample_key', () => {
    // Both IDs orders: the policy listed second in the file but lowest in byte order wins.
    const engine = engineOf([logPolicy('b', { match, keep: '40%', sample_key: { log_attribute: 'y' } }), logPolicy('a', { match, keep: '40%', sample_key: { log_attribute: 'x' } })]);
    const keys = keySet(22, 300);
    let differing = 0;
    for (const [i, v] of keys.entries()) {
      const other = keys[(i * 11 + 5) % keys.length];
      if (expectedKeyedKeep(40, keyRandomness(v)) !== expectedKeyedKeep(40, keyRandomness(other))) differing++;
      expect(isKept(evalLog(engine, { body, attrs: [kv('x', v), kv('y', other)] }))).toBe(expectedKeyedKeep(40, keyRandomness(v)));
    }
    expect(differing).toBeGreaterThan(0);
  });

  it('a rate limit (500) beats percentages above 50% (score < 500): the sampler does not run', () => {
    let now = BASE;
    const rnd = scripted([]);
    const engine = engineOf([logPolicy('a-51', { match, keep: '51%' }), logPolicy('b-rl', { match, keep: '2/s' })], { clock: () => now, random: rnd.random });
    expect([evalLog(engine, { body }), evalLog(engine, { body }), evalLog(engine, { body })]).toEqual([EvalResult.Kept, EvalResult.Kept, EvalResult.RateLimited]);
    expect(rnd.calls()).toBe(0);
    expect(stat(engine, 'b-rl')).toEqual({ hits: 3, misses: 0 });
    expect(stat(engine, 'a-51')).toEqual({ hits: 2, misses: 1 });
    now += 1000;
    expect(evalLog(engine, { body })).toBe(EvalResult.Kept);
  });

  it('a percentage below 50% (score > 500) beats a rate limit, whose budget is not consumed', () => {
    const now = BASE;
    const rnd = scripted([0.2, 0.9, 0.3, 0.95]);
    const engine = engineOf([logPolicy('a-rl', { match: [{ log_field: 'body', starts_with: 'hit' }], keep: '1/s' }), logPolicy('b-49', { match, keep: '49%' })], {
      clock: () => now,
      random: rnd.random,
    });
    expect([evalLog(engine, { body }), evalLog(engine, { body }), evalLog(engine, { body }), evalLog(engine, { body })]).toEqual([
      EvalResult.Kept,
      EvalResult.SampledOut,
      EvalResult.Kept,
      EvalResult.SampledOut,
    ]);
    expect(stat(engine, 'b-49')).toEqual({ hits: 4, misses: 0 });
    expect(stat(engine, 'a-rl')).toEqual({ hits: 2, misses: 2 });
    // The rate limiter never ran: its whole budget is still there for a record only it matches.
    expect(evalLog(engine, { body: 'hit-only-rl' })).toBe(EvalResult.Kept);
    expect(evalLog(engine, { body: 'hit-only-rl' })).toBe(EvalResult.RateLimited);
  });

  it('fractional percentages score trunc(1000 - 10N): 49.5% (505) beats a rate limit, 50.5% (495) loses', () => {
    const now = BASE;
    const rnd = scripted([0.4, 0.49]);
    const e1 = engineOf([logPolicy('a-rl', { match, keep: '1/s' }), logPolicy('b-pct', { match, keep: '49.5%' })], { clock: () => now, random: rnd.random });
    expect(evalLog(e1, { body })).toBe(EvalResult.Kept);
    expect(evalLog(e1, { body })).toBe(EvalResult.Kept); // the percentage decides, not the 1/s limit
    expect(rnd.calls()).toBe(2);

    const rnd2 = scripted([]);
    const e2 = engineOf([logPolicy('a-rl', { match, keep: '1/s' }), logPolicy('b-pct', { match, keep: '50.5%' })], { clock: () => now, random: rnd2.random });
    expect(evalLog(e2, { body })).toBe(EvalResult.Kept);
    expect(evalLog(e2, { body })).toBe(EvalResult.RateLimited);
    expect(rnd2.calls()).toBe(0);
  });

  it('a rate limit ties with 50%: the lowest ID wins (rate limit first)', () => {
    const now = BASE;
    const rnd = scripted([]);
    const engine = engineOf([logPolicy('b-50', { match, keep: '50%' }), logPolicy('a-rl', { match, keep: '1/s' })], { clock: () => now, random: rnd.random });
    expect(evalLog(engine, { body })).toBe(EvalResult.Kept);
    expect(evalLog(engine, { body })).toBe(EvalResult.RateLimited);
    expect(evalLog(engine, { body })).toBe(EvalResult.RateLimited);
    expect(rnd.calls()).toBe(0);
    expect(stat(engine, 'a-rl')).toEqual({ hits: 3, misses: 0 });
    expect(stat(engine, 'b-50')).toEqual({ hits: 1, misses: 2 });
  });

  it('a rate limit ties with 50%: the lowest ID wins (percentage first), the limiter is untouched', () => {
    const now = BASE;
    const rnd = scripted([0.1, 0.2, 0.3, 0.6, 0.7]);
    const engine = engineOf([logPolicy('b-rl', { match: [{ log_field: 'body', starts_with: 'hit' }], keep: '1/s' }), logPolicy('a-50', { match, keep: '50%' })], {
      clock: () => now,
      random: rnd.random,
    });
    const got = [0, 1, 2, 3, 4].map(() => evalLog(engine, { body }));
    expect(got).toEqual([EvalResult.Kept, EvalResult.Kept, EvalResult.Kept, EvalResult.SampledOut, EvalResult.SampledOut]);
    expect(stat(engine, 'a-50')).toEqual({ hits: 5, misses: 0 });
    expect(stat(engine, 'b-rl')).toEqual({ hits: 3, misses: 2 });
    expect(evalLog(engine, { body: 'hit-rl-only' })).toBe(EvalResult.Kept);
    expect(evalLog(engine, { body: 'hit-rl-only' })).toBe(EvalResult.RateLimited);
  });

  it('two rate limits: the lowest ID decides alone; the other budget is not consumed', () => {
    const now = BASE;
    const engine = engineOf([logPolicy('a-rl', { match, keep: '1/m' }), logPolicy('b-rl', { match: [{ log_field: 'body', starts_with: 'hit' }], keep: '2/m' })], { clock: () => now });
    expect([evalLog(engine, { body }), evalLog(engine, { body }), evalLog(engine, { body })]).toEqual([EvalResult.Kept, EvalResult.RateLimited, EvalResult.RateLimited]);
    expect(stat(engine, 'a-rl')).toEqual({ hits: 3, misses: 0 });
    expect(stat(engine, 'b-rl')).toEqual({ hits: 1, misses: 2 });
    expect([evalLog(engine, { body: 'hit-b' }), evalLog(engine, { body: 'hit-b' }), evalLog(engine, { body: 'hit-b' })]).toEqual([EvalResult.Kept, EvalResult.Kept, EvalResult.RateLimited]);
  });

  it('none beats a rate limit, whose budget is not consumed', () => {
    const now = BASE;
    const engine = engineOf([logPolicy('a-rl', { match: [{ log_field: 'body', starts_with: 'hit' }], keep: '1/s' }), logPolicy('b-none', { match, keep: 'none' })], { clock: () => now });
    for (let i = 0; i < 5; i++) expect(evalLog(engine, { body })).toBe(EvalResult.Dropped);
    expect(stat(engine, 'b-none')).toEqual({ hits: 5, misses: 0 });
    expect(stat(engine, 'a-rl')).toEqual({ hits: 0, misses: 5 });
    expect(evalLog(engine, { body: 'hit-rl' })).toBe(EvalResult.Kept);
  });

  it('a rate limit beats all', () => {
    const now = BASE;
    const engine = engineOf([logPolicy('a-all', { match, keep: 'all', transform: { add: [{ log_attribute: 'x', value: 'y' }] } }), logPolicy('b-rl', { match, keep: '1/s' })], {
      clock: () => now,
    });
    expect(evalLog(engine, { body })).toBe(EvalResult.KeptModified);
    expect(evalLog(engine, { body })).toBe(EvalResult.RateLimited);
    expect(stat(engine, 'b-rl')).toEqual({ hits: 2, misses: 0 });
    expect(stat(engine, 'a-all')).toEqual({ hits: 1, misses: 1 });
  });

  it('equally restrictive drops: the lowest ID gets the hit and the other a miss', () => {
    const engine = engineOf([logPolicy('b-none', { match, keep: 'none' }), logPolicy('a-zero', { match, keep: '0%' }), logPolicy('c-none', { match, keep: 'none' })]);
    expect(isKept(evalLog(engine, { body }))).toBe(false);
    expect(stat(engine, 'a-zero')).toEqual({ hits: 1, misses: 0 });
    expect(stat(engine, 'b-none')).toEqual({ hits: 0, misses: 1 });
    expect(stat(engine, 'c-none')).toEqual({ hits: 0, misses: 1 });
  });

  it('policies are ordered by byte-wise ID: "Z" < "a" and "p10" < "p9"', () => {
    const rnd = scripted([]);
    const now = BASE;
    // Both rate limits score 500; the byte-wise lowest ID decides.
    const engine = engineOf([logPolicy('p9', { match, keep: '5/s' }), logPolicy('p10', { match, keep: '1/s' }), logPolicy('a', { match, keep: '3/s' }), logPolicy('Z', { match, keep: '2/s' })], {
      clock: () => now,
      random: rnd.random,
    });
    const got = [0, 1, 2].map(() => evalLog(engine, { body }));
    // Z (2/s) decides.
    expect(got).toEqual([EvalResult.Kept, EvalResult.Kept, EvalResult.RateLimited]);
    expect(stat(engine, 'Z')).toEqual({ hits: 3, misses: 0 });
  });
});

describe('match stats', () => {
  it('kept: every matching policy gets a hit; non-matching policies get nothing', () => {
    const rnd = scripted([0.01]);
    const now = BASE;
    const engine = engineOf(
      [
        logPolicy('all', { match: [{ log_field: 'body', starts_with: 'x' }], keep: 'all', transform: { add: [{ log_attribute: 'a', value: '1' }] } }),
        logPolicy('pct', { match: [{ log_field: 'body', starts_with: 'x' }], keep: '40%' }),
        logPolicy('rl', { match: [{ log_field: 'body', starts_with: 'x' }], keep: '10/s' }),
        logPolicy('other', { match: [{ log_field: 'body', starts_with: 'y' }], keep: 'none' }),
      ],
      { clock: () => now, random: rnd.random },
    );
    expect(isKept(evalLog(engine, { body: 'x' }))).toBe(true);
    expect(stat(engine, 'all')).toEqual({ hits: 1, misses: 0 });
    expect(stat(engine, 'pct')).toEqual({ hits: 1, misses: 0 });
    expect(stat(engine, 'rl')).toEqual({ hits: 1, misses: 0 });
    expect(stat(engine, 'other')).toEqual({ hits: 0, misses: 0 });
  });

  it('dropped: the winner gets a hit, every other matching policy a miss', () => {
    const rnd = scripted([0.99]);
    const engine = engineOf(
      [
        logPolicy('all', { match: [{ log_field: 'body', starts_with: 'x' }], keep: 'all', transform: { add: [{ log_attribute: 'a', value: '1' }] } }),
        logPolicy('pct30', { match: [{ log_field: 'body', starts_with: 'x' }], keep: '30%' }),
        logPolicy('pct60', { match: [{ log_field: 'body', starts_with: 'x' }], keep: '60%' }),
        logPolicy('nomatch', { match: [{ log_field: 'body', starts_with: 'z' }], keep: '10%' }),
      ],
      { random: rnd.random },
    );
    expect(evalLog(engine, { body: 'x' })).toBe(EvalResult.SampledOut);
    expect(stat(engine, 'pct30')).toEqual({ hits: 1, misses: 0 });
    expect(stat(engine, 'pct60')).toEqual({ hits: 0, misses: 1 });
    expect(stat(engine, 'all')).toEqual({ hits: 0, misses: 1 });
    expect(stat(engine, 'nomatch')).toEqual({ hits: 0, misses: 0 });
  });

  it("reproduces spec.md's match-tracking example", () => {
    const engine = engineOf([
      logPolicy('keep-info', { match: [{ log_field: 'severity_text', exact: 'INFO' }], keep: 'all', transform: { add: [{ log_attribute: 'i', value: '1' }] } }),
      logPolicy('drop-health', { match: [{ log_field: 'body', contains: 'health' }], keep: 'none' }),
    ]);
    const data = logsOf([
      { body: 'health check ok', severity: 'INFO' },
      { body: 'user action logged', severity: 'INFO' },
      { body: 'database error', severity: 'ERROR' },
    ]);
    applyToLogs(engine, data);
    expect(keptBodies(data)).toEqual(['user action logged', 'database error']);
    expect(stat(engine, 'keep-info')).toEqual({ hits: 1, misses: 1 });
    expect(stat(engine, 'drop-health')).toEqual({ hits: 1, misses: 0 });
  });

  it('keyed sampling: kept counts hits for all, sampled out counts a miss for the others', () => {
    const engine = engineOf([
      logPolicy('a-all', { match: [{ log_field: 'body', exact: 'm' }], keep: 'all', transform: { add: [{ log_attribute: 'z', value: '1' }] } }),
      logPolicy('b-s', { match: [{ log_field: 'body', exact: 'm' }], keep: '50%', sample_key: { log_attribute: 'k' } }),
    ]);
    const keys = keySet(31, 200);
    let kept = 0;
    for (const v of keys) if (isKept(evalLog(engine, { body: 'm', attrs: [kv('k', v)] }))) kept++;
    expect(kept).toBe(keys.filter((v) => expectedKeyedKeep(50, keyRandomness(v))).length);
    expect(stat(engine, 'b-s')).toEqual({ hits: keys.length, misses: 0 });
    expect(stat(engine, 'a-all')).toEqual({ hits: kept, misses: keys.length - kept });
  });
});

// ---------------------------------------------------------------------------
// traces and metrics

interface SpanIn {
  traceId: string;
  name?: string;
  traceState?: string;
}

function tracesOf(spans: SpanIn[]): TracesData {
  return {
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', S('api'))] },
        scopeSpans: [
          {
            scope: { name: 's' },
            spans: spans.map((s, i) => ({
              traceId: s.traceId,
              spanId: (i + 1).toString(16).padStart(16, '0'),
              name: s.name ?? 'op',
              kind: 'SPAN_KIND_SERVER',
              ...(s.traceState !== undefined ? { traceState: s.traceState } : {}),
            })),
          },
        ],
      },
    ],
  } as unknown as TracesData;
}

function keptSpans(data: TracesData): { traceId: string; spanId: string; traceState?: string }[] {
  const out: { traceId: string; spanId: string; traceState?: string }[] = [];
  for (const rs of (data as unknown as { resourceSpans: Json[] }).resourceSpans) {
    for (const ss of (rs.scopeSpans as Json[]) ?? []) for (const sp of (ss.spans as Json[]) ?? []) out.push(sp as { traceId: string; spanId: string; traceState?: string });
  }
  return out;
}

function tracePolicy(id: string, keep: Json | undefined, match: Json[] = [{ trace_field: 'name', exact: 'op' }]): Json {
  return { id, name: id, trace: keep === undefined ? { match } : { match, keep } };
}

/** Trace threshold: the percentage is a float32 in the proto. */
const traceThreshold = (p: number): bigint => BigInt(Math.trunc((1 - Math.fround(p) / 100) * 2 ** 56));
const encodeTh = (t: bigint): string => t.toString(16).padStart(14, '0').slice(0, 4).replace(/0+$/, '') || '0';

describe('trace keep', () => {
  it('100% keeps every span and writes ot=th:0', () => {
    const engine = engineOf([tracePolicy('t100', { percentage: 100 })]);
    const rnd = prng(1);
    const data = tracesOf([{ traceId: randomHex(rnd, 16) }, { traceId: randomHex(rnd, 16), traceState: 'vendor=abc' }, { traceId: randomHex(rnd, 16), name: 'other' }]);
    applyToTraces(engine, data);
    const spans = keptSpans(data);
    expect(spans.length).toBe(3);
    expect(spans[0].traceState).toBe('ot=th:0');
    expect(spans[1].traceState).toBe('ot=th:0,vendor=abc');
    expect(spans[2].traceState ?? '').toBe(''); // not matched: untouched
    expect(stat(engine, 't100')).toEqual({ hits: 2, misses: 0 });
  });

  it('0% drops every matching span', () => {
    const engine = engineOf([tracePolicy('t0', { percentage: 0 })]);
    const rnd = prng(2);
    const data = tracesOf([...Array.from({ length: 50 }, () => ({ traceId: randomHex(rnd, 16) })), { traceId: randomHex(rnd, 16), name: 'other' }]);
    const out = applyToTraces(engine, data);
    expect(keptSpans(data).length).toBe(1);
    expect(out.removed).toBe(50);
    expect(stat(engine, 't0')).toEqual({ hits: 50, misses: 0 });
  });

  it.each([10, 12.5, 25, 33.3, 50, 75, 90])('%s%% keeps iff the last 7 bytes of the trace ID >= T, and writes th', (p) => {
    const engine = engineOf([tracePolicy('t', { percentage: p })]);
    const rnd = prng(1000 + p);
    const ids = Array.from({ length: 800 }, () => randomHex(rnd, 16));
    const data = tracesOf(ids.map((traceId) => ({ traceId })));
    applyToTraces(engine, data);
    const t = traceThreshold(p);
    const want = ids.filter((id) => BigInt(`0x${id.slice(-14)}`) >= t);
    const spans = keptSpans(data);
    expect(spans.map((s) => s.traceId)).toEqual(want);
    for (const s of spans) expect(s.traceState).toBe(`ot=th:${encodeTh(t)}`);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(ids.length);
  });

  it('is consistent per trace: every span of a trace gets the same decision', () => {
    const engine = engineOf([tracePolicy('t', { percentage: 30 })]);
    const rnd = prng(77);
    const traces = Array.from({ length: 200 }, () => randomHex(rnd, 16));
    const spans = traces.flatMap((id) => [{ traceId: id }, { traceId: id }, { traceId: id }]);
    const data = tracesOf(spans);
    applyToTraces(engine, data);
    const counts = new Map<string, number>();
    for (const s of keptSpans(data)) counts.set(s.traceId, (counts.get(s.traceId) ?? 0) + 1);
    for (const c of counts.values()) expect(c).toBe(3);
    expect(counts.size).toBeGreaterThan(0);
    expect(counts.size).toBeLessThan(traces.length);
  });

  it('R = T keeps and R = T - 1 drops', () => {
    const engine = engineOf([tracePolicy('t', { percentage: 50 })]);
    const t = traceThreshold(50);
    const hi = 'ab'.repeat(9);
    const data = tracesOf([{ traceId: hi + t.toString(16).padStart(14, '0') }, { traceId: hi + (t - 1n).toString(16).padStart(14, '0') }]);
    applyToTraces(engine, data);
    expect(keptSpans(data).map((s) => s.traceId)).toEqual([hi + t.toString(16).padStart(14, '0')]);
  });

  it('a lower trace percentage wins over a higher one', () => {
    const engine = engineOf([tracePolicy('a-90', { percentage: 90 }), tracePolicy('b-20', { percentage: 20 })]);
    const rnd = prng(3);
    const ids = Array.from({ length: 300 }, () => randomHex(rnd, 16));
    const data = tracesOf(ids.map((traceId) => ({ traceId })));
    applyToTraces(engine, data);
    const t = traceThreshold(20);
    expect(keptSpans(data).map((s) => s.traceId)).toEqual(ids.filter((id) => BigInt(`0x${id.slice(-14)}`) >= t));
    const kept = keptSpans(data).length;
    expect(stat(engine, 'b-20')).toEqual({ hits: ids.length, misses: 0 });
    expect(stat(engine, 'a-90')).toEqual({ hits: kept, misses: ids.length - kept });
  });
});

describe('metric keep', () => {
  function metricsOf(names: string[]): MetricsData {
    return {
      resourceMetrics: [
        {
          resource: { attributes: [] },
          scopeMetrics: [{ scope: { name: 's' }, metrics: names.map((name) => ({ name, gauge: { dataPoints: [{ asInt: '1', attributes: [] }] } })) }],
        },
      ],
    } as unknown as MetricsData;
  }
  const names = (d: MetricsData): string[] =>
    (d as unknown as { resourceMetrics: { scopeMetrics: { metrics: { name: string }[] }[] }[] }).resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.name)));

  it('keep: false drops the matching metrics; keep: true keeps them', () => {
    const engine = engineOf([
      { id: 'drop-debug', name: 'd', metric: { match: [{ metric_field: 'name', starts_with: 'debug.' }], keep: false } },
      { id: 'keep-http', name: 'k', metric: { match: [{ metric_field: 'name', starts_with: 'http.' }], keep: true } },
    ]);
    const data = metricsOf(['debug.a', 'http.requests', 'debug.b', 'cpu']);
    const out = applyToMetrics(engine, data);
    expect(names(data)).toEqual(['http.requests', 'cpu']);
    expect(out.dropped).toBe(2);
    expect(stat(engine, 'drop-debug')).toEqual({ hits: 2, misses: 0 });
    expect(stat(engine, 'keep-http')).toEqual({ hits: 1, misses: 0 });
  });

  it('keep: false beats keep: true; the keep: true policy gets a miss', () => {
    const engine = engineOf([
      { id: 'a-keep', name: 'k', metric: { match: [{ metric_field: 'name', exact: 'm' }], keep: true } },
      { id: 'b-drop', name: 'd', metric: { match: [{ metric_field: 'name', exact: 'm' }], keep: false } },
    ]);
    const data = metricsOf(['m', 'n']);
    applyToMetrics(engine, data);
    expect(names(data)).toEqual(['n']);
    expect(stat(engine, 'b-drop')).toEqual({ hits: 1, misses: 0 });
    expect(stat(engine, 'a-keep')).toEqual({ hits: 0, misses: 1 });
  });
});
