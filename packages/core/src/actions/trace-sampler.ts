/**
 * OpenTelemetry consistent probability sampling for spans (policy `keep` on
 * traces), with the W3C tracestate `ot` entry carrying `th` (rejection
 * threshold) and `rv` (explicit randomness).
 *
 * A span is kept iff its 56-bit randomness R is >= the rejection threshold T.
 * Decisions and written thresholds follow the reference (Go) engine bit for
 * bit, including its float64 rounding, so that every SDK makes the same call
 * for the same trace.
 *
 * @see https://opentelemetry.io/docs/specs/otel/trace/tracestate-probability-sampling/
 * @see https://opentelemetry.io/docs/specs/otel/trace/tracestate-handling/
 */

/** How the sampler derives randomness and combines with upstream thresholds. */
export type SamplingMode = 'hash_seed' | 'proportional' | 'equalizing';

/** A policy's trace `keep` configuration, as the compiler hands it over. */
export interface TraceSamplingPlan {
  /** already rounded through Math.fround (proto float32); caller guarantees 0 < percentage < 100 for sample(); */
  percentage: number;
  mode: SamplingMode;
  /** 1..14, default 4 */
  precision: number;
  /** uint32, 0 = not set */
  hashSeed: number;
  failClosed: boolean;
}

/**
 * Precompute (at policy compile time) everything that does not depend on the span, e.g. the rejection threshold T as bigint.
 * Build it with {@link compileTraceSampler}; treat it as opaque apart from `plan`.
 */
export interface CompiledTraceSampler {
  readonly plan: TraceSamplingPlan;
  /** The rejection threshold T for the configured percentage. */
  readonly threshold: bigint;
  /** Effective encoding precision (clamped like the reference: <1 -> 4, >14 -> 14). */
  readonly precision: number;
  /** `encodeThreshold(threshold, precision)`. */
  readonly encodedThreshold: string;
  /** The tracestate written for a span that had none: `ot=th:<encodedThreshold>`. */
  readonly bareTracestate: string;
  /** percentage / 100, the factor proportional mode applies to the incoming probability. */
  readonly probability: number;
  /** Proportional mode's T_o when no `th` comes in (incoming probability 1). */
  readonly proportionalThreshold: bigint;
  /** The seed as 4 little-endian bytes, appended to the trace ID before hashing. */
  readonly seedBytes: Uint8Array;
}

/** 2^56: size of the randomness / threshold space. */
const MAX_THRESHOLD = 1n << 56n;
/** 2^56 as a float64, exact. */
const MAX_THRESHOLD_F = 2 ** 56;
/** Per W3C trace context a tracestate holds at most 32 list members. */
const MAX_TRACESTATE_MEMBERS = 32;

/**
 * Rejection threshold for a percentage: trunc((1 - p/100) * 2^56).
 *
 * Computed in float64 exactly as the reference does (the subtraction is
 * rounded before scaling), so e.g. 90% yields 0x19999999999998, not the
 * mathematically exact 0x19999999999999; every SDK must agree on this.
 * p >= 100 gives 0n (keep all); p <= 0 or NaN gives 2^56 (keep nothing).
 */
export function rejectionThreshold(percentage: number): bigint {
  if (percentage >= 100) return 0n;
  // NaN falls through to "reject everything": a broken config must not let data through.
  if (!(percentage > 0)) return MAX_THRESHOLD;
  return BigInt(Math.trunc((1 - percentage / 100) * MAX_THRESHOLD_F));
}

/**
 * Encode a threshold for the `th` sub-key: 14 zero-padded lowercase hex
 * digits, cut to `precision` (clamped to 1..14, values below 1 meaning the
 * default 4), trailing zeros stripped; `'0'` when nothing is left.
 *
 * Cutting (rather than rounding) lowers the threshold slightly, which only
 * ever raises the advertised probability; this matches the reference output.
 */
export function encodeThreshold(t: bigint, precision: number): string {
  const prec = clampPrecision(precision);
  const hex = t.toString(16).padStart(14, '0');
  let end = prec < hex.length ? prec : hex.length;
  while (end > 0 && hex.charCodeAt(end - 1) === 0x30 /* '0' */) end--;
  return end === 0 ? '0' : hex.slice(0, end);
}

/**
 * Randomness implied by a trace ID given as hex: the last 7 bytes (all bytes
 * when shorter) as a 56-bit integer. `undefined` for an empty or malformed ID
 * (odd length or a non-hex digit), i.e. when no randomness can be derived.
 */
export function randomnessFromTraceId(traceIdHex: string): bigint | undefined {
  const n = traceIdHex.length;
  if (n === 0 || (n & 1) !== 0) return undefined;
  const start = n > 14 ? n - 14 : 0;
  // The leading part is not used, but a malformed ID must not yield randomness.
  for (let i = 0; i < start; i++) if (hexNibble(traceIdHex.charCodeAt(i)) < 0) return undefined;
  return parseHex56(traceIdHex, start, n - start, false);
}

/** FNV-1a 64-bit hash of `bytes`. */
export function fnv1a64(bytes: Uint8Array): bigint {
  const h = newFnv();
  for (let i = 0; i < bytes.length; i++) fnvByte(h, bytes[i]);
  return (BigInt(h[3] * 0x10000 + h[2]) << 32n) | BigInt(h[1] * 0x10000 + h[0]);
}

/** Build the per-policy sampler; everything span-independent is computed here once. */
export function compileTraceSampler(plan: TraceSamplingPlan): CompiledTraceSampler {
  const precision = clampPrecision(plan.precision);
  const threshold = rejectionThreshold(plan.percentage);
  const encodedThreshold = encodeThreshold(threshold, precision);
  const probability = plan.percentage / 100;
  const seed = plan.hashSeed >>> 0;
  const seedBytes = new Uint8Array([seed & 0xff, (seed >>> 8) & 0xff, (seed >>> 16) & 0xff, seed >>> 24]);
  return {
    plan,
    threshold,
    precision,
    encodedThreshold,
    bareTracestate: `ot=th:${encodedThreshold}`,
    probability,
    // The reference derives this as 2^56 - trunc(p * 2^56), which can differ
    // in the last bit from rejectionThreshold(); keep its arithmetic.
    proportionalThreshold: probabilityToThreshold(probability),
    seedBytes,
  };
}

/**
 * Decide one span. traceIdHex: the span's trace ID as lowercase hex ('' when absent/all-zero). tracestate: the W3C tracestate string ('' when none).
 * Returns false when the span is dropped; true when kept with its tracestate unchanged; or a string: kept, and this is the new tracestate to write.
 *
 * A string is returned whenever the reference engine writes a threshold,
 * even if the result happens to equal the input (e.g. `ot=th:8` at 50%).
 * `true` means the sampling probability is unknown (no randomness with
 * fail-open) or the incoming tracestate is inconsistent (`th` > `rv`); the
 * tracestate is then left exactly as it came.
 */
export function sampleSpan(s: CompiledTraceSampler, traceIdHex: string, tracestate: string): boolean | string {
  const plan = s.plan;
  // Defensive: the caller routes 100% and 0% elsewhere, but stay correct if it doesn't.
  if (plan.percentage >= 100) return keepAllTracestate(tracestate);
  if (!(plan.percentage > 0)) return false;

  let rv: bigint | undefined;
  let th: bigint | undefined;
  if (tracestate !== '') {
    const ot = findOtValue(tracestate);
    if (ot !== undefined) {
      rv = otRandomness(ot);
      th = otThreshold(ot);
      // Per OTel, a stage erases an apparently inconsistent threshold; the
      // reference engine keeps such spans and leaves the tracestate untouched.
      if (rv !== undefined && th !== undefined && rv < th) return true;
    }
  }

  switch (plan.mode) {
    case 'proportional': {
      const r = rv ?? randomnessFromTraceId(traceIdHex);
      if (r === undefined) return !plan.failClosed;
      let t = s.proportionalThreshold;
      if (th !== undefined) {
        const product = s.probability * thresholdToProbability(th);
        if (product <= 0) return false;
        t = probabilityToThreshold(product);
      }
      if (t >= MAX_THRESHOLD) return false;
      return r >= t ? rewriteTracestate(tracestate, encodeThreshold(t, s.precision)) : false;
    }
    case 'equalizing': {
      const r = rv ?? randomnessFromTraceId(traceIdHex);
      if (r === undefined) return !plan.failClosed;
      // Thresholds may only go up: a span already sampled more strictly
      // upstream passes through, re-encoded at our precision as the reference does.
      if (th !== undefined && th > s.threshold) return rewriteTracestate(tracestate, encodeThreshold(th, s.precision));
      return r >= s.threshold ? withThreshold(s, tracestate) : false;
    }
    default: {
      // With a seed the reference hashes the trace ID only and ignores any rv,
      // so that differently seeded tiers stay independent of each other.
      const r = plan.hashSeed !== 0 ? seededRandomness(traceIdHex, s.seedBytes) : (rv ?? randomnessFromTraceId(traceIdHex));
      if (r === undefined) return !plan.failClosed;
      return r >= s.threshold ? withThreshold(s, tracestate) : false;
    }
  }
}

/** The tracestate written when a span is kept by a policy whose percentage is >= 100: the ot entry gets th:0 (same rewriting rules). */
export function keepAllTracestate(tracestate: string): string {
  return tracestate === '' ? 'ot=th:0' : rewriteTracestate(tracestate, '0');
}

// ---------------------------------------------------------------------------
// internals

function clampPrecision(precision: number): number {
  // Mirrors the reference: an unset (0) precision means the default 4.
  if (!(precision >= 1)) return 4;
  if (precision > 14) return 14;
  return Math.trunc(precision);
}

function withThreshold(s: CompiledTraceSampler, tracestate: string): string {
  return tracestate === '' ? s.bareTracestate : rewriteTracestate(tracestate, s.encodedThreshold);
}

/** OTel ThresholdToProbability: (2^56 - T) / 2^56 in float64. */
function thresholdToProbability(t: bigint): number {
  if (t >= MAX_THRESHOLD) return 0;
  // Number(bigint) rounds to nearest-even like Go's uint64 -> float64 conversion.
  return Number(MAX_THRESHOLD - t) / MAX_THRESHOLD_F;
}

/** OTel ProbabilityToThreshold: 2^56 - trunc(p * 2^56). */
function probabilityToThreshold(p: number): bigint {
  if (p >= 1) return 0n;
  if (p <= 0) return MAX_THRESHOLD;
  return MAX_THRESHOLD - BigInt(Math.trunc(p * MAX_THRESHOLD_F));
}

/** FNV-1a 64 over (raw trace ID bytes || seed LE), masked to 56 bits; undefined without a usable ID. */
function seededRandomness(traceIdHex: string, seedBytes: Uint8Array): bigint | undefined {
  const n = traceIdHex.length;
  if (n === 0 || (n & 1) !== 0) return undefined;
  const h = newFnv();
  // Hash straight from the hex so the hot path allocates no byte buffer.
  for (let i = 0; i < n; i += 2) {
    const hi = hexNibble(traceIdHex.charCodeAt(i));
    const lo = hexNibble(traceIdHex.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return undefined;
    fnvByte(h, (hi << 4) | lo);
  }
  for (let i = 0; i < 4; i++) fnvByte(h, seedBytes[i]);
  return (BigInt((h[3] & 0xff) * 0x10000 + h[2]) << 32n) | BigInt(h[1] * 0x10000 + h[0]);
}

/**
 * FNV state as four 16-bit limbs (least significant first). 64-bit products
 * overflow float64 and per-byte BigInt arithmetic is slow; 16-bit limbs keep
 * every partial product well inside 2^32.
 */
type FnvState = [number, number, number, number];

function newFnv(): FnvState {
  // offset basis 0xcbf29ce484222325
  return [0x2325, 0x8422, 0x9ce4, 0xcbf2];
}

function fnvByte(h: FnvState, byte: number): void {
  const h0 = h[0] ^ byte;
  const h1 = h[1];
  const h2 = h[2];
  const h3 = h[3];
  // prime 0x100000001b3 = 2^40 + 0x1b3: limb 0 is 0x1b3, limb 2 is 0x100.
  const r0 = h0 * 0x1b3;
  const r1 = h1 * 0x1b3 + (r0 >>> 16);
  const r2 = h2 * 0x1b3 + h0 * 0x100 + (r1 >>> 16);
  const r3 = h3 * 0x1b3 + h1 * 0x100 + (r2 >>> 16);
  h[0] = r0 & 0xffff;
  h[1] = r1 & 0xffff;
  h[2] = r2 & 0xffff;
  h[3] = r3 & 0xffff;
}

function hexNibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30; // 0-9
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10; // a-f
  // Upper case is not canonical, but the reference accepts it; rejecting it would split decisions.
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10; // A-F
  return -1;
}

/**
 * Parse `len` (<= 14) hex digits of `s` at `start` into a 56-bit value.
 * `leftAligned` pads missing digits on the right (th encoding); otherwise the
 * digits are the low-order end (a short trace ID). Undefined on a non-hex digit.
 */
function parseHex56(s: string, start: number, len: number, leftAligned: boolean): bigint | undefined {
  // Two 28-bit halves stay exact in float64; only the final combine needs BigInt.
  let hi = 0;
  let lo = 0;
  const pad = 14 - len;
  for (let i = 0; i < 14; i++) {
    let d = 0;
    const j = leftAligned ? i : i - pad;
    if (j >= 0 && j < len) {
      d = hexNibble(s.charCodeAt(start + j));
      if (d < 0) return undefined;
    }
    if (i < 7) hi = hi * 16 + d;
    else lo = lo * 16 + d;
  }
  return (BigInt(hi) << 28n) | BigInt(lo);
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isOws(s.charCodeAt(a))) a++;
  while (b > a && isOws(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** The value of the first `ot` list member, scanning without splitting the whole header. */
function findOtValue(ts: string): string | undefined {
  const n = ts.length;
  let i = 0;
  while (i <= n) {
    let end = ts.indexOf(',', i);
    if (end < 0) end = n;
    let a = i;
    let b = end;
    while (a < b && isOws(ts.charCodeAt(a))) a++;
    while (b > a && isOws(ts.charCodeAt(b - 1))) b--;
    // Match the key exactly: a substring search (as the reference does) would
    // also hit keys like `foot=` or a value containing `ot=`.
    if (b - a >= 3 && ts.charCodeAt(a) === 0x6f && ts.charCodeAt(a + 1) === 0x74 && ts.charCodeAt(a + 2) === 0x3d) {
      return ts.slice(a + 3, b);
    }
    i = end + 1;
  }
  return undefined;
}

/** [start, end) of the first `<k0><k1>:` sub-key's value in an `ot` value. Sub-keys are ';'-separated. */
function findSubValue(ot: string, k0: number, k1: number): [number, number] | undefined {
  const n = ot.length;
  let i = 0;
  while (i < n) {
    let end = ot.indexOf(';', i);
    if (end < 0) end = n;
    if (end - i >= 3 && ot.charCodeAt(i) === k0 && ot.charCodeAt(i + 1) === k1 && ot.charCodeAt(i + 2) === 0x3a) {
      return [i + 3, end];
    }
    i = end + 1;
  }
  return undefined;
}

/** A valid `rv`: exactly 14 hex digits. Only the first `rv` sub-key counts. */
function otRandomness(ot: string): bigint | undefined {
  const v = findSubValue(ot, 0x72 /* r */, 0x76 /* v */);
  if (v === undefined || v[1] - v[0] !== 14) return undefined;
  return parseHex56(ot, v[0], 14, false);
}

/** A valid `th`: 1..14 hex digits, left-aligned in 56 bits. Only the first `th` sub-key counts. */
function otThreshold(ot: string): bigint | undefined {
  const v = findSubValue(ot, 0x74 /* t */, 0x68 /* h */);
  if (v === undefined) return undefined;
  const len = v[1] - v[0];
  if (len < 1 || len > 14) return undefined;
  return parseHex56(ot, v[0], len, true);
}

/**
 * Write `th:<encoded>` into the tracestate: the `ot` member moves to the
 * front (W3C: an updated member goes leftmost), its other sub-keys keep their
 * order and `th` goes last; other members keep their order. Whitespace around
 * members and empty members are dropped, later duplicate `ot` members too
 * (keys must be unique, and only the first was read), and the list is capped
 * at 32 members by dropping from the right as W3C prescribes.
 */
function rewriteTracestate(tracestate: string, encoded: string): string {
  const th = `th:${encoded}`;
  if (tracestate === '') return `ot=${th}`;
  let ot: string | undefined;
  const others: string[] = [];
  for (const raw of tracestate.split(',')) {
    const m = trimOws(raw);
    if (m === '') continue;
    if (m.charCodeAt(0) === 0x6f && m.charCodeAt(1) === 0x74 && m.charCodeAt(2) === 0x3d) {
      if (ot === undefined) ot = m.slice(3);
      continue;
    }
    others.push(m);
  }
  let otValue = th;
  if (ot !== undefined && ot !== '') {
    const subs: string[] = [];
    for (const sub of ot.split(';')) {
      // Every th is replaced (not only the first): two thresholds would be ambiguous downstream.
      if (sub === '' || (sub.charCodeAt(0) === 0x74 && sub.charCodeAt(1) === 0x68 && sub.charCodeAt(2) === 0x3a)) continue;
      subs.push(sub);
    }
    if (subs.length > 0) otValue = `${subs.join(';')};${th}`;
  }
  if (others.length === 0) return `ot=${otValue}`;
  if (others.length > MAX_TRACESTATE_MEMBERS - 1) others.length = MAX_TRACESTATE_MEMBERS - 1;
  return `ot=${otValue},${others.join(',')}`;
}
