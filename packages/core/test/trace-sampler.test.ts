import { describe, expect, it } from 'vitest';
import {
  compileTraceSampler,
  encodeThreshold,
  fnv1a64,
  keepAllTracestate,
  randomnessFromTraceId,
  rejectionThreshold,
  sampleSpan,
  type SamplingMode,
  type TraceSamplingPlan,
} from '../src/actions/trace-sampler.js';

function plan(percentage: number, over: Partial<TraceSamplingPlan> = {}): TraceSamplingPlan {
  return { percentage: Math.fround(percentage), mode: 'hash_seed', precision: 4, hashSeed: 0, failClosed: true, ...over };
}

function decide(p: TraceSamplingPlan, traceId: string, tracestate = ''): boolean | string {
  return sampleSpan(compileTraceSampler(p), traceId, tracestate);
}

/** Straightforward BigInt FNV-1a 64, to cross-check the limb implementation. */
function fnvRef(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

describe('rejectionThreshold', () => {
  it('gives the exact thresholds for common percentages', () => {
    expect(rejectionThreshold(50)).toBe(0x80000000000000n);
    expect(rejectionThreshold(25)).toBe(0xc0000000000000n);
    expect(rejectionThreshold(75)).toBe(0x40000000000000n);
    // float64(0.9) * 2^56, not the exact 0.9 * 2^56 (…666666.6)
    expect(rejectionThreshold(10)).toBe(0xe6666666666668n);
  });

  it('rounds 1 - p/100 in float64 before scaling, as the reference does', () => {
    // exact: 0.1 * 2^56 = 0x19999999999999.99…; float64(1 - 0.9) is slightly below 0.1
    expect(rejectionThreshold(90)).toBe(0x19999999999998n);
  });

  it('handles the bounds', () => {
    expect(rejectionThreshold(100)).toBe(0n);
    expect(rejectionThreshold(150)).toBe(0n);
    expect(rejectionThreshold(0)).toBe(1n << 56n);
    expect(rejectionThreshold(-5)).toBe(1n << 56n);
    expect(rejectionThreshold(Number.NaN)).toBe(1n << 56n);
  });

  it('works on float32-rounded percentages', () => {
    const p = Math.fround(33.3);
    expect(p).not.toBe(33.3);
    expect(rejectionThreshold(p)).toBe(BigInt(Math.trunc((1 - p / 100) * 2 ** 56)));
    expect(rejectionThreshold(p)).not.toBe(rejectionThreshold(33.3));
  });
});

describe('encodeThreshold', () => {
  it('cuts to precision and strips trailing zeros', () => {
    expect(encodeThreshold(0x80000000000000n, 4)).toBe('8');
    expect(encodeThreshold(0xc0000000000000n, 4)).toBe('c');
    expect(encodeThreshold(0xe6666666666668n, 4)).toBe('e666');
    expect(encodeThreshold(0xe6666666666668n, 1)).toBe('e');
    expect(encodeThreshold(0xe6666666666668n, 6)).toBe('e66666');
    expect(encodeThreshold(0xe6666666666668n, 14)).toBe('e6666666666668');
    expect(encodeThreshold(0x12300000000000n, 14)).toBe('123');
    expect(encodeThreshold(0xa0b00000000000n, 2)).toBe('a');
  });

  it('zero-pads small thresholds to 14 digits before cutting', () => {
    expect(encodeThreshold(0x19999999999998n, 4)).toBe('1999');
    expect(encodeThreshold(0x00012300000000n, 6)).toBe('000123');
    // everything cut away is zero
    expect(encodeThreshold(0x00000012345678n, 4)).toBe('0');
  });

  it("returns '0' for threshold 0", () => {
    expect(encodeThreshold(0n, 4)).toBe('0');
    expect(encodeThreshold(0n, 14)).toBe('0');
  });

  it('clamps precision like the reference (<1 -> 4, >14 -> 14)', () => {
    expect(encodeThreshold(0xe6666666666668n, 0)).toBe('e666');
    expect(encodeThreshold(0xe6666666666668n, 20)).toBe('e6666666666668');
  });
});

describe('randomnessFromTraceId', () => {
  it('takes the last 7 bytes', () => {
    expect(randomnessFromTraceId('aabbccdd0000000001fd70a3d70a3d70')).toBe(0xfd70a3d70a3d70n);
    expect(randomnessFromTraceId('ffffffffffffffff0080000000000000')).toBe(0x80000000000000n);
    expect(randomnessFromTraceId('AABBCCDD0000000001FD70A3D70A3D70')).toBe(0xfd70a3d70a3d70n);
  });

  it('uses every byte of a short ID', () => {
    expect(randomnessFromTraceId('0102')).toBe(0x0102n);
    expect(randomnessFromTraceId('01020304050607')).toBe(0x01020304050607n);
  });

  it('yields nothing for empty or malformed IDs', () => {
    expect(randomnessFromTraceId('')).toBeUndefined();
    expect(randomnessFromTraceId('abc')).toBeUndefined();
    expect(randomnessFromTraceId('zz000000000000000000000000000000')).toBeUndefined();
    expect(randomnessFromTraceId('000000000000000000000000000000zz')).toBeUndefined();
  });
});

describe('fnv1a64', () => {
  it('matches the published test vectors', () => {
    expect(fnv1a64(new Uint8Array())).toBe(0xcbf29ce484222325n);
    expect(fnv1a64(new TextEncoder().encode('a'))).toBe(0xaf63dc4c8601ec8cn);
    expect(fnv1a64(new TextEncoder().encode('foobar'))).toBe(0x85944171f73967e8n);
  });

  it('agrees with a BigInt implementation on arbitrary bytes', () => {
    let x = 12345;
    for (let len = 0; len < 64; len++) {
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        b[i] = x >>> 24;
      }
      expect(fnv1a64(b)).toBe(fnvRef(b));
    }
    expect(fnv1a64(new Uint8Array(40).fill(0xff))).toBe(fnvRef(new Uint8Array(40).fill(0xff)));
  });
});

describe('sampleSpan: hash_seed mode', () => {
  const s50 = compileTraceSampler(plan(50));

  it('keeps iff R >= T, at the boundary too', () => {
    expect(sampleSpan(s50, 'aabbccdd000000000180000000000000', '')).toBe('ot=th:8');
    expect(sampleSpan(s50, 'aabbccdd00000000047fffffffffffff', '')).toBe(false);
    expect(sampleSpan(s50, 'aabbccdd000000000500000000000000', '')).toBe(false);
  });

  it('prefers a valid incoming rv over the trace ID', () => {
    expect(sampleSpan(s50, 'aabbccdd000000000110000000000000', 'ot=rv:ffffffffffffff')).toBe('ot=rv:ffffffffffffff;th:8');
    expect(sampleSpan(s50, 'aabbccdd0000000002f0000000000000', 'ot=rv:10000000000000')).toBe(false);
  });

  it('ignores an rv that is not exactly 14 hex digits (but keeps it in the output)', () => {
    const low = 'aabbccdd000000000110000000000000';
    expect(sampleSpan(s50, low, 'ot=rv:fffffffffffff')).toBe(false); // 13 digits
    expect(sampleSpan(s50, low, 'ot=rv:fffffffffffffff')).toBe(false); // 15 digits
    expect(sampleSpan(s50, low, 'ot=rv:fffffffffffffg')).toBe(false); // not hex
    const high = 'aabbccdd0000000001f0000000000000';
    expect(sampleSpan(s50, high, 'ot=rv:abc')).toBe('ot=rv:abc;th:8');
  });

  it('only reads rv from the ot entry', () => {
    const low = 'aabbccdd000000000110000000000000';
    expect(sampleSpan(s50, low, 'vendor=rv:ffffffffffffff')).toBe(false);
    expect(sampleSpan(s50, low, 'foot=rv:ffffffffffffff')).toBe(false);
    expect(sampleSpan(s50, low, 'x=1, ot=rv:ffffffffffffff')).toBe('ot=rv:ffffffffffffff;th:8,x=1');
  });

  it('keeps an inconsistent span (th > rv) untouched', () => {
    // rv 0x10… would be dropped at 50%, and the trace ID would be kept: neither matters
    expect(sampleSpan(s50, 'aabbccdd000000000110000000000000', 'ot=th:c;rv:10000000000000')).toBe(true);
    expect(sampleSpan(s50, '', 'ot=th:c;rv:10000000000000,v=1')).toBe(true);
    // equal is consistent
    expect(sampleSpan(s50, '', 'ot=th:8;rv:80000000000000')).toBe('ot=rv:80000000000000;th:8');
    // the check applies in every mode
    for (const mode of ['proportional', 'equalizing'] as SamplingMode[]) {
      expect(decide(plan(50, { mode }), '', 'ot=th:c;rv:10000000000000')).toBe(true);
    }
    expect(decide(plan(50, { hashSeed: 7 }), '', 'ot=th:c;rv:10000000000000')).toBe(true);
  });

  it('without randomness: drops when fail_closed, keeps untouched otherwise', () => {
    expect(decide(plan(50, { failClosed: true }), '', '')).toBe(false);
    expect(decide(plan(50, { failClosed: true }), '', 'vendor=keep-me')).toBe(false);
    expect(decide(plan(50, { failClosed: false }), '', '')).toBe(true);
    expect(decide(plan(50, { failClosed: false }), '', 'vendor=keep-me')).toBe(true);
    // a th alone is no randomness
    expect(decide(plan(50, { failClosed: false }), '', 'ot=th:4')).toBe(true);
    for (const mode of ['proportional', 'equalizing'] as SamplingMode[]) {
      expect(decide(plan(50, { mode, failClosed: true }), '', '')).toBe(false);
      expect(decide(plan(50, { mode, failClosed: false }), '', 'ot=th:4')).toBe(true);
    }
  });

  it('writes the threshold at the configured precision', () => {
    const id = 'aabbccdd0000000001ffffffffffffff';
    expect(decide(plan(10, { precision: 1 }), id)).toBe('ot=th:e');
    expect(decide(plan(10, { precision: 4 }), id)).toBe('ot=th:e666');
    expect(decide(plan(10, { precision: 14 }), id)).toBe('ot=th:e6666666666668');
  });

  it('treats >= 100 as keep-all and <= 0 as drop-all', () => {
    expect(decide(plan(100), '', 'v=1')).toBe('ot=th:0,v=1');
    expect(decide(plan(0), 'aabbccdd0000000001ffffffffffffff')).toBe(false);
  });
});

describe('sampleSpan: non-zero hash_seed', () => {
  const id = 'aabbccdd0000000001fd70a3d70a3d70';

  it('hashes raw trace ID bytes || seed (u32 LE) with FNV-1a, masked to 56 bits', () => {
    const seed = 0xdeadbeef;
    const r = fnvRef(Uint8Array.from([...hexBytes(id), 0xef, 0xbe, 0xad, 0xde])) & ((1n << 56n) - 1n);
    expect(r).toBe(0xad2bf5e97434c0n); // computed independently
    // R = 0xad… : kept at 50% (T = 0x80…), dropped at 25% (T = 0xc0…)
    expect(decide(plan(50, { hashSeed: seed }), id)).toBe('ot=th:8');
    expect(decide(plan(25, { hashSeed: seed }), id)).toBe(false);
  });

  it('is deterministic and differs by seed', () => {
    // seed 1 -> R = 0xefe58d8424852f, seed 42 -> R = 0xd50027091dd8d4; the raw ID gives 0xfd70…
    const s1 = compileTraceSampler(plan(10, { hashSeed: 1 }));
    const s42 = compileTraceSampler(plan(10, { hashSeed: 42 }));
    for (let i = 0; i < 3; i++) {
      expect(sampleSpan(s1, id, '')).toBe('ot=th:e666');
      expect(sampleSpan(s42, id, '')).toBe(false);
    }
    expect(decide(plan(10), id)).toBe('ot=th:e666');
  });

  it('matches a direct computation over many trace IDs', () => {
    const s = compileTraceSampler(plan(30, { hashSeed: 123456789 }));
    const T = rejectionThreshold(Math.fround(30));
    let kept = 0;
    for (let i = 0; i < 200; i++) {
      const id16 = (BigInt(i) * 0x9e3779b97f4a7c15n).toString(16).padStart(32, '0').slice(-32);
      const r = fnvRef(Uint8Array.from([...hexBytes(id16), 0x15, 0xcd, 0x5b, 0x07])) & ((1n << 56n) - 1n);
      const d = sampleSpan(s, id16, '');
      expect(d).toBe(r >= T ? 'ot=th:b333' : false);
      if (d !== false) kept++;
    }
    expect(kept).toBeGreaterThan(30);
    expect(kept).toBeLessThan(90);
  });

  it('ignores an incoming rv', () => {
    // rv would be kept at 10%; the seeded hash (seed 42) says drop
    expect(decide(plan(10, { hashSeed: 42 }), id, 'ot=rv:ffffffffffffff')).toBe(false);
    // and with rv but no trace ID there is no randomness
    expect(decide(plan(10, { hashSeed: 42, failClosed: false }), '', 'ot=rv:ffffffffffffff')).toBe(true);
    expect(decide(plan(10, { hashSeed: 42, failClosed: true }), '', 'ot=rv:ffffffffffffff')).toBe(false);
  });
});

describe('sampleSpan: proportional mode', () => {
  const s50 = compileTraceSampler(plan(50, { mode: 'proportional' }));

  it('multiplies the incoming probability by the target', () => {
    // incoming 50% (th:8) * 50% = 25% -> T = 0xc0…
    expect(sampleSpan(s50, 'aabbccdd0000000010c0000000000000', 'ot=th:8')).toBe('ot=th:c');
    expect(sampleSpan(s50, 'aabbccdd0000000011bfffffffffffff', 'ot=th:8')).toBe(false);
    // incoming 100% (th:0) * 50%
    expect(sampleSpan(s50, 'aabbccdd000000001380000000000000', 'ot=th:0')).toBe('ot=th:8');
    expect(sampleSpan(s50, 'aabbccdd00000000147fffffffffffff', 'ot=th:0')).toBe(false);
    // incoming 25% (th:c) * 50% = 12.5% -> T = 0xe0…
    expect(sampleSpan(s50, 'aabbccdd0000000001e0000000000000', 'ot=th:c,v=1')).toBe('ot=th:e,v=1');
    expect(sampleSpan(s50, 'aabbccdd0000000001dfffffffffffff', 'ot=th:c,v=1')).toBe(false);
  });

  it('treats a missing or invalid th as probability 1', () => {
    expect(sampleSpan(s50, 'aabbccdd000000000180000000000000', '')).toBe('ot=th:8');
    expect(sampleSpan(s50, 'aabbccdd000000000180000000000000', 'ot=th:xyz')).toBe('ot=th:8');
    expect(sampleSpan(s50, 'aabbccdd000000000180000000000000', 'ot=th:123456789012345')).toBe('ot=th:8');
  });

  it('uses rv when present', () => {
    expect(sampleSpan(s50, 'aabbccdd000000000100000000000000', 'ot=th:8;rv:c0000000000000')).toBe('ot=rv:c0000000000000;th:c');
  });

  it('derives T as 2^56 - trunc(p * 2^56), which can differ from rejectionThreshold', () => {
    // 10%: 2^56 - 0x1999999999999a = 0xe6666666666666, one below hash_seed's 0xe6666666666668
    const id = 'aabbccdd000000000fe6666666666667';
    expect(decide(plan(10, { mode: 'proportional', precision: 14 }), id)).toBe('ot=th:e6666666666666');
    expect(decide(plan(10, { mode: 'hash_seed', precision: 14 }), id)).toBe(false);
  });
});

describe('sampleSpan: equalizing mode', () => {
  const s50 = compileTraceSampler(plan(50, { mode: 'equalizing' }));

  it('passes through spans sampled more strictly upstream, keeping their threshold', () => {
    expect(sampleSpan(s50, 'aabbccdd000000002010000000000000', 'ot=th:c')).toBe('ot=th:c');
    // re-encoded at the configured precision
    expect(sampleSpan(s50, 'aabbccdd000000002010000000000000', 'ot=th:c1234,v=1')).toBe('ot=th:c123,v=1');
  });

  it('applies the target threshold to less strictly sampled spans', () => {
    expect(sampleSpan(s50, 'aabbccdd000000002180000000000000', 'ot=th:4')).toBe('ot=th:8');
    expect(sampleSpan(s50, 'aabbccdd00000000227fffffffffffff', 'ot=th:4')).toBe(false);
    // equal threshold is not "more strict": R decides
    expect(sampleSpan(s50, 'aabbccdd00000000227fffffffffffff', 'ot=th:8')).toBe(false);
    expect(sampleSpan(s50, 'aabbccdd000000002380000000000000', '')).toBe('ot=th:8');
    expect(sampleSpan(s50, 'aabbccdd00000000247fffffffffffff', '')).toBe(false);
  });
});

describe('tracestate rewriting', () => {
  const s50 = compileTraceSampler(plan(50));
  const keepId = 'aabbccdd0000000002ffffffffffffff';

  it('puts ot first, keeps other vendors in order, writes th last inside ot', () => {
    expect(sampleSpan(s50, keepId, 'ot=th:4;rv:abc123')).toBe('ot=rv:abc123;th:8');
    expect(sampleSpan(s50, keepId, 'vendor=existing')).toBe('ot=th:8,vendor=existing');
    expect(sampleSpan(s50, keepId, 'a=1,b=2,ot=th:c;p:1;rv:abc,c=3')).toBe('ot=p:1;rv:abc;th:8,a=1,b=2,c=3');
    expect(sampleSpan(s50, keepId, 'ot=th:0')).toBe('ot=th:8');
    expect(sampleSpan(s50, keepId, 'ot=th:c,vendor=xyz')).toBe('ot=th:8,vendor=xyz');
  });

  it('replaces every th and drops empty sub-keys', () => {
    expect(sampleSpan(s50, keepId, 'ot=th:4;;x:1;th:c')).toBe('ot=x:1;th:8');
    expect(sampleSpan(s50, keepId, 'ot=')).toBe('ot=th:8');
  });

  it('trims whitespace around members and drops empty members', () => {
    expect(sampleSpan(s50, keepId, ' a=1 ,\t ot=th:4 , ,b=2 ')).toBe('ot=th:8,a=1,b=2');
    expect(sampleSpan(s50, keepId, ' ot=rv:ffffffffffffff ')).toBe('ot=rv:ffffffffffffff;th:8');
  });

  it('keeps only the first ot member', () => {
    expect(sampleSpan(s50, keepId, 'ot=rv:abc,x=1,ot=th:4;y:2')).toBe('ot=rv:abc;th:8,x=1');
  });

  it('caps the list at 32 members by dropping from the right', () => {
    const vendors = Array.from({ length: 32 }, (_, i) => `v${i}=${i}`);
    const out = sampleSpan(s50, keepId, vendors.join(','));
    expect(out).toBe(['ot=th:8', ...vendors.slice(0, 31)].join(','));
  });

  it('does not touch other vendors whose values look like ot sub-keys', () => {
    expect(sampleSpan(s50, keepId, 'foot=th:4,x=ot=th:4')).toBe('ot=th:8,foot=th:4,x=ot=th:4');
  });
});

describe('keepAllTracestate', () => {
  it('writes th:0 with the same rewriting rules', () => {
    expect(keepAllTracestate('')).toBe('ot=th:0');
    expect(keepAllTracestate('vendor=x')).toBe('ot=th:0,vendor=x');
    expect(keepAllTracestate('ot=th:4;rv:abc123')).toBe('ot=rv:abc123;th:0');
    expect(keepAllTracestate('a=1, ot=th:c ,b=2')).toBe('ot=th:0,a=1,b=2');
  });
});

// Span decisions copied from test/conformance/cases (input traceId/traceState -> expected
// traceState, false = absent from expected output, true = kept with the tracestate unchanged).
type Row = [traceId: string, tracestate: string, expected: boolean | string];

describe('conformance cases', () => {
  const api: Row[] = [
    ['aabbccdd0000000001fd70a3d70a3d70', '', ''],
    ['aabbccdd0000000002c0000000000000', '', ''],
    ['aabbccdd000000000380000000000000', '', ''],
    ['aabbccdd000000000440000000000000', '', ''],
    ['aabbccdd00000000050ccccccccccccd', '', ''],
  ];
  const withOut = (outs: (string | false)[]): Row[] => api.map(([id, ts], i) => [id, ts, outs[i]]);

  const cases: [string, TraceSamplingPlan, Row[]][] = [
    ['traces_sampling_10pct', plan(10), withOut(['ot=th:e666', false, false, false, false])],
    ['traces_sampling_25pct', plan(25), withOut(['ot=th:c', 'ot=th:c', false, false, false])],
    ['traces_sampling_50pct', plan(50), withOut(['ot=th:8', 'ot=th:8', 'ot=th:8', false, false])],
    ['traces_sampling_75pct', plan(75), withOut(['ot=th:4', 'ot=th:4', 'ot=th:4', 'ot=th:4', false])],
    ['traces_sampling_proportional', plan(50, { mode: 'proportional' }), withOut(['ot=th:8', 'ot=th:8', 'ot=th:8', false, false])],
    ['traces_sampling_equalizing', plan(50, { mode: 'equalizing' }), withOut(['ot=th:8', 'ot=th:8', 'ot=th:8', false, false])],
    [
      'traces_sampling_fail_closed',
      plan(50, { failClosed: false }),
      [
        ['', '', true],
        ['aabbccdd0000000001fd70a3d70a3d70', '', 'ot=th:8'],
      ],
    ],
    [
      'traces_tracestate_fail_closed_true',
      plan(50, { failClosed: true }),
      [
        ['', '', false],
        ['aabbccdd000000000180000000000000', '', 'ot=th:8'],
        ['aabbccdd00000000047fffffffffffff', '', false],
      ],
    ],
    [
      'traces_tracestate_mixed',
      plan(50, { failClosed: false }),
      [
        ['', '', true],
        ['', 'vendor=keep-me', true],
        ['aabbccdd000000000180000000000000', '', 'ot=th:8'],
        ['aabbccdd0000000002ffffffffffffff', 'vendor=existing', 'ot=th:8,vendor=existing'],
        ['aabbccdd000000000380000000000001', 'ot=th:c,vendor=existing', 'ot=th:8,vendor=existing'],
        ['aabbccdd00000000047fffffffffffff', 'ot=th:c,vendor=will-be-gone', false],
      ],
    ],
    [
      'traces_tracestate_overwrite_ot',
      plan(50),
      [
        ['aabbccdd000000000180000000000000', 'ot=th:4;rv:abc123', 'ot=rv:abc123;th:8'],
        ['aabbccdd0000000002ffffffffffffff', 'ot=th:c,vendor=xyz', 'ot=th:8,vendor=xyz'],
        ['aabbccdd000000000380000000000001', 'ot=th:0', 'ot=th:8'],
      ],
    ],
    [
      'traces_tracestate_rv_randomness',
      plan(50),
      [
        ['aabbccdd000000000110000000000000', 'ot=rv:ffffffffffffff', 'ot=rv:ffffffffffffff;th:8'],
        ['aabbccdd0000000002f0000000000000', 'ot=rv:10000000000000', false],
        ['aabbccdd000000000310000000000000', '', false],
        ['aabbccdd0000000004f0000000000000', '', 'ot=th:8'],
        ['aabbccdd000000000180000000000000', 'ot=rv:ffffffffffffff,vendor=keep-me', 'ot=rv:ffffffffffffff;th:8,vendor=keep-me'],
      ],
    ],
    [
      'traces_tracestate_write_basic',
      plan(50),
      [
        ['aabbccdd000000000180000000000000', '', 'ot=th:8'],
        ['aabbccdd0000000002ffffffffffffff', '', 'ot=th:8'],
        ['aabbccdd000000000380000000000001', '', 'ot=th:8'],
        ['aabbccdd00000000047fffffffffffff', '', false],
        ['aabbccdd000000000500000000000000', '', false],
      ],
    ],
    [
      'traces_tracestate_proportional_incoming_th',
      plan(50, { mode: 'proportional' }),
      [
        ['aabbccdd0000000010c0000000000000', 'ot=th:8', 'ot=th:c'],
        ['aabbccdd0000000011bfffffffffffff', 'ot=th:8', false],
        ['aabbccdd0000000012ffffffffffffff', 'ot=th:8', 'ot=th:c'],
        ['aabbccdd000000001380000000000000', 'ot=th:0', 'ot=th:8'],
        ['aabbccdd00000000147fffffffffffff', 'ot=th:0', false],
        ['aabbccdd000000000180000000000000', '', 'ot=th:8'],
      ],
    ],
    [
      'traces_tracestate_equalizing_incoming_th',
      plan(50, { mode: 'equalizing' }),
      [
        ['aabbccdd000000002010000000000000', 'ot=th:c', 'ot=th:c'],
        ['aabbccdd000000002180000000000000', 'ot=th:4', 'ot=th:8'],
        ['aabbccdd00000000227fffffffffffff', 'ot=th:4', false],
        ['aabbccdd000000002380000000000000', '', 'ot=th:8'],
        ['aabbccdd00000000247fffffffffffff', '', false],
      ],
    ],
  ];

  for (const [name, p, rows] of cases) {
    it(name, () => {
      const s = compileTraceSampler(p);
      for (const [id, ts, expected] of rows) {
        expect({ id, ts, got: sampleSpan(s, id, ts) }).toEqual({ id, ts, got: expected });
      }
    });
  }

  it('traces_keep_100pct', () => {
    expect(keepAllTracestate('')).toBe('ot=th:0');
  });
});
