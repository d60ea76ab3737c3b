import type { CompiledPolicy, CompiledSignal, TransformOp } from '../compile/compile.js';
import { TransformKind } from '../compile/compile.js';
import { KeepKind } from '../actions/keep.js';
import { LogField, RefKind, TRACE_ID_REF, TRACE_STATE_REF, type FieldRef } from '../match/field-ref.js';
import { TypedValue, ValueKind, type Matchable, type Transformable } from '../match/accessor.js';
import { fnv1a64, keepAllTracestate, randomnessFromTraceId, sampleSpan } from '../actions/trace-sampler.js';
import { redactAll } from '../actions/redact.js';
import type { PolicyStats, TransformStageStats } from '../actions/stats.js';

/**
 * The outcome of evaluating one record. Values at or above
 * `EvalResult.Dropped` mean the record must not be exported.
 */
export const EvalResult = {
  /**
   * Evaluation failed internally: the record passes (fail open) and any change
   * made to it so far should be undone. Counted by the engine and reported once.
   */
  Failed: -1,
  /** No policy matched: the record passes untouched. */
  NoMatch: 0,
  /** Kept, unmodified. */
  Kept: 1,
  /** Kept and modified (transforms applied, or a sampling threshold written). */
  KeptModified: 2,
  /** Dropped by `keep: none` (or metric `keep: false`, trace 0%). */
  Dropped: 3,
  /** Dropped by percentage sampling. */
  SampledOut: 4,
  /** Dropped by a rate limit. */
  RateLimited: 5,
} as const;
export type EvalResult = (typeof EvalResult)[keyof typeof EvalResult];

/** True when the result means the record is dropped. */
export const isDropped = (r: EvalResult): boolean => r >= EvalResult.Dropped;

const MASK56 = (1n << 56n) - 1n;
const utf8 = new TextEncoder();

/** Options for a {@link SignalEvaluator}. */
export interface EvaluatorOptions {
  /** Uniform random in [0, 1) for unkeyed log sampling; Math.random by default. */
  random?: () => number;
}

/**
 * Evaluates records of one signal against one compiled policy set: one read
 * and one scan per match key, per-policy counters in typed arrays reset by
 * generation stamps, then the winner's keep action and the transforms.
 *
 * Not re-entrant: an evaluator's scratch space serves one record at a time,
 * which JavaScript's single thread guarantees as long as accessors do not call
 * back into the engine.
 */
export class SignalEvaluator {
  private readonly count: Int32Array;
  private readonly stamp: Uint32Array;
  private readonly disq: Uint32Array;
  private readonly matched: Int32Array;
  private readonly hits: Int32Array;
  private readonly slot = new TypedValue();
  private gen = 0;
  private readonly random: () => number;
  private readonly required: Int32Array;

  constructor(
    readonly compiled: CompiledSignal,
    options: EvaluatorOptions = {},
  ) {
    const n = Math.max(1, compiled.policies.length);
    this.count = new Int32Array(n);
    this.stamp = new Uint32Array(n);
    this.disq = new Uint32Array(n);
    this.matched = new Int32Array(n);
    this.hits = new Int32Array(compiled.maxPatterns);
    this.required = Int32Array.from(compiled.policies, (p) => p.required);
    this.random = options.random ?? Math.random;
  }

  private nextGen(): number {
    if (this.gen === 0xffffffff) {
      this.stamp.fill(0);
      this.disq.fill(0);
      this.gen = 0;
    }
    return ++this.gen;
  }

  /**
   * Evaluate one record: match, decide, apply the winner's keep action, and,
   * when kept, every matching policy's transforms (logs) or the sampling
   * threshold (traces). Updates per-policy stats.
   */
  evaluate<R>(record: R, acc: Matchable<R> | Transformable<R>): EvalResult {
    const c = this.compiled;
    if (c.policies.length === 0) return EvalResult.NoMatch;
    const gen = this.nextGen();
    const { count, stamp, disq, hits } = this;
    let touched = 0;
    const matched = this.matched;

    const groups = c.stringGroups;
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g];
      const value = acc.getString(record, group.ref, 0);
      if (value === undefined) continue;
      const n = group.patterns.scan(value, hits, 0);
      for (let h = 0; h < n; h++) {
        const pid = hits[h];
        for (let k = group.entryStart[pid], end = group.entryStart[pid + 1]; k < end; k++) {
          const pi = group.entryPolicy[k];
          if (group.entryNegated[k] === 1) disq[pi] = gen;
          else if (stamp[pi] !== gen) {
            stamp[pi] = gen;
            count[pi] = 1;
            matched[touched++] = pi;
          } else count[pi]++;
        }
      }
    }

    const existsGroups = c.existsGroups;
    for (let g = 0; g < existsGroups.length; g++) {
      const group = existsGroups[g];
      const exists = acc.exists(record, group.ref, 0) ? 1 : 0;
      for (let k = 0; k < group.policy.length; k++) {
        const pi = group.policy[k];
        if (group.mustExist[k] !== exists) disq[pi] = gen;
        else if (stamp[pi] !== gen) {
          stamp[pi] = gen;
          count[pi] = 1;
          matched[touched++] = pi;
        } else count[pi]++;
      }
    }

    const typedGroups = c.typedGroups;
    if (typedGroups.length !== 0) {
      const slot = this.slot;
      for (let g = 0; g < typedGroups.length; g++) {
        const group = typedGroups[g];
        slot.clear();
        acc.getTyped(record, group.ref, slot, 0);
        for (let k = 0; k < group.policy.length; k++) {
          const pi = group.policy[k];
          if (disq[pi] === gen) continue;
          if (group.tests[k](slot) === (group.negate[k] === 1)) disq[pi] = gen;
          else if (stamp[pi] !== gen) {
            stamp[pi] = gen;
            count[pi] = 1;
            matched[touched++] = pi;
          } else count[pi]++;
        }
      }
    }

    const multi = c.multiChecks;
    for (let m = 0; m < multi.length; m++) {
      const check = multi[m];
      const pi = check.policy;
      if (disq[pi] === gen) continue;
      let ok = this.anyElement(record, acc, check);
      if (check.condition.kind === 'exists' && !check.condition.want) ok = !ok;
      if (ok === check.negate) disq[pi] = gen;
      else if (stamp[pi] !== gen) {
        stamp[pi] = gen;
        count[pi] = 1;
        matched[touched++] = pi;
      } else count[pi]++;
    }

    // Keep the policies whose every matcher succeeded, in ID (index) order.
    const required = this.required;
    let nMatched = 0;
    for (let t = 0; t < touched; t++) {
      const pi = matched[t];
      if (disq[pi] !== gen && count[pi] === required[pi]) matched[nMatched++] = pi;
    }
    const always = c.alwaysCandidates;
    for (let a = 0; a < always.length; a++) {
      const pi = always[a];
      if (disq[pi] !== gen) matched[nMatched++] = pi;
    }
    if (nMatched === 0) return EvalResult.NoMatch;
    for (let i = 1; i < nMatched; i++) {
      const v = matched[i];
      let j = i - 1;
      while (j >= 0 && matched[j] > v) {
        matched[j + 1] = matched[j];
        j--;
      }
      matched[j + 1] = v;
    }

    const policies = c.policies;
    let winner = policies[matched[0]];
    for (let i = 1; i < nMatched; i++) {
      const p = policies[matched[i]];
      if (p.score > winner.score) winner = p;
    }

    let result: EvalResult = EvalResult.Kept;
    let newTracestate: string | undefined;
    switch (winner.keep) {
      case KeepKind.None:
        result = EvalResult.Dropped;
        break;
      case KeepKind.Percent:
        if (!this.sampleLog(record, acc, winner)) result = EvalResult.SampledOut;
        break;
      case KeepKind.RateLimit:
        if (!winner.rateLimiter!.tryAcquire()) result = EvalResult.RateLimited;
        break;
      case KeepKind.TraceSample: {
        const traceId = acc.getString(record, TRACE_ID_REF, 0) ?? '';
        const ts = acc.getString(record, TRACE_STATE_REF, 0) ?? '';
        const outcome = sampleSpan(winner.traceSampler!, traceId, ts);
        if (outcome === false) result = EvalResult.SampledOut;
        else if (typeof outcome === 'string') newTracestate = outcome;
        break;
      }
      case KeepKind.All:
        if (c.signal === 'trace') newTracestate = keepAllTracestate(acc.getString(record, TRACE_STATE_REF, 0) ?? '');
        break;
    }

    const dropped = result !== EvalResult.Kept;
    for (let i = 0; i < nMatched; i++) {
      const p = policies[matched[i]];
      if (dropped && p !== winner) p.stats.misses++;
      else p.stats.hits++;
    }
    if (dropped) return result;

    if (newTracestate !== undefined) {
      (acc as Transformable<R>).set(record, TRACE_STATE_REF, newTracestate);
      result = EvalResult.KeptModified;
    }
    if (c.signal === 'log') {
      for (let i = 0; i < nMatched; i++) {
        const p = policies[matched[i]];
        if (p.transforms.length === 0) continue;
        result = EvalResult.KeptModified;
        for (let t = 0; t < p.transforms.length; t++) {
          const op = p.transforms[t];
          const hit = applyTransform(record, acc as Transformable<R>, op);
          const stage = stageStats(p.stats, op.kind);
          if (hit) stage.hits++;
          else stage.misses++;
        }
      }
    }
    return result;
  }

  private anyElement<R>(record: R, acc: Matchable<R>, check: CompiledSignal['multiChecks'][number]): boolean {
    const n = acc.elementCount(record, check.ref);
    const cond = check.condition;
    for (let e = 0; e < n; e++) {
      switch (cond.kind) {
        case 'exists':
          if (acc.exists(record, check.ref, e)) return true;
          break;
        case 'string': {
          const v = acc.getString(record, check.ref, e);
          if (v !== undefined && cond.patterns.scan(v, this.hits, 0) > 0) return true;
          break;
        }
        case 'typed':
          this.slot.clear();
          acc.getTyped(record, check.ref, this.slot, e);
          if (cond.test(this.slot)) return true;
          break;
      }
    }
    return false;
  }

  /** Percentage sampling of a log record: keyed (consistent) or independent random. */
  private sampleLog<R>(record: R, acc: Matchable<R>, p: CompiledPolicy): boolean {
    if (p.percent >= 100) return true;
    if (p.percent <= 0) return false;
    const key = p.sampleKey;
    if (key === undefined) return this.random() * 100 < p.percent;
    const r = sampleKeyRandomness(record, acc, key, this.slot);
    // A record without the key cannot be sampled consistently: keep it.
    if (r === undefined) return true;
    return r >= p.threshold;
  }
}

/**
 * The 56-bit randomness of a sample key's value: the trace ID's last 7 bytes,
 * or FNV-1a 64 over the value's bytes (strings UTF-8; ints and doubles 8 bytes
 * big-endian; bools one byte) masked to 56 bits. Undefined when absent.
 */
export function sampleKeyRandomness<R>(record: R, acc: Matchable<R>, key: FieldRef, slot: TypedValue): bigint | undefined {
  if (key.kind === RefKind.Field && key.code === LogField.TraceId) {
    const hex = acc.getString(record, key, 0);
    return hex ? randomnessFromTraceId(hex) : undefined;
  }
  slot.clear();
  acc.getTyped(record, key, slot, 0);
  let bytes: Uint8Array;
  switch (slot.kind) {
    case ValueKind.String:
      if (slot.str === '') return undefined;
      bytes = utf8.encode(slot.str);
      break;
    case ValueKind.Bytes:
      if (slot.str === '') return undefined;
      bytes = hexToBytes(slot.str);
      break;
    case ValueKind.Int: {
      bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, slot.big ?? BigInt(slot.num)));
      break;
    }
    case ValueKind.Double:
      bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setFloat64(0, slot.num);
      break;
    case ValueKind.Bool:
      bytes = Uint8Array.of(slot.bool ? 1 : 0);
      break;
    default:
      return undefined;
  }
  return fnv1a64(bytes) & MASK56;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

function stageStats(s: PolicyStats, kind: TransformKind): TransformStageStats {
  switch (kind) {
    case TransformKind.Remove:
      return s.remove;
    case TransformKind.Redact:
      return s.redact;
    case TransformKind.Rename:
      return s.rename;
    default:
      return s.add;
  }
}

/** Apply one transform; returns whether it was a hit (policy-go's counting). */
export function applyTransform<R>(record: R, acc: Transformable<R>, op: TransformOp): boolean {
  switch (op.kind) {
    case TransformKind.Remove:
      return acc.remove(record, op.ref);
    case TransformKind.Redact: {
      if (op.regex !== undefined) {
        const cur = acc.getString(record, op.ref, 0);
        if (cur === undefined) return false;
        const next = redactAll(op.regex, op.template!, cur);
        if (next === undefined) return false;
        acc.set(record, op.ref, next);
        return true;
      }
      if (!acc.exists(record, op.ref, 0)) return false;
      acc.set(record, op.ref, op.value);
      return true;
    }
    case TransformKind.Rename: {
      // Well-known fields have no key to rename.
      if (op.to === undefined) return false;
      if (!acc.exists(record, op.ref, 0)) return false;
      if (op.to.key === op.ref.key) return true;
      if (!op.upsert && acc.exists(record, op.to, 0)) return true;
      acc.rename(record, op.ref, op.to.path[0]);
      return true;
    }
    case TransformKind.Add:
      if (!op.upsert && acc.exists(record, op.ref, 0)) return true;
      acc.set(record, op.ref, op.value);
      return true;
  }
}
