/**
 * One policy compiled on its own (matchers lowered, keep action resolved,
 * transforms built) before the match index of its signal is built from all
 * drafts of that signal.
 */
import type { Policy, Signal, TraceSamplingConfig } from '../policy/types.js';
import { SAMPLING_MODES, resolveEnum } from '../policy/enums.js';
import type { FieldRef, FieldRefTable } from '../match/field-ref.js';
import type { RegexBackend } from '../match/regex-backend.js';
import { KeepKind, KeepScore, logKeepScore, parseLogKeep, percentScore } from '../actions/keep.js';
import { compileTraceSampler, type CompiledTraceSampler, type SamplingMode } from '../actions/trace-sampler.js';
import type { CompiledPolicy, TransformOp } from './types.js';
import { lowerMatcher, type Lowered } from './lower.js';
import { compileTransforms } from './transforms.js';

export const signalOf = (p: Policy): Signal | undefined => (p.log ? 'log' : p.metric ? 'metric' : p.trace ? 'trace' : undefined);

export const fingerprintOf = (p: Policy): string => JSON.stringify({ log: p.log, metric: p.metric, trace: p.trace }, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

export interface PolicyDraft {
  policy: Policy;
  fingerprint: string;
  signal: Signal;
  matchers: Lowered[];
  keep: KeepKind;
  score: number;
  percent: number;
  sampleKey: FieldRef | undefined;
  rate: { limit: number; windowMs: number } | undefined;
  trace: CompiledTraceSampler | undefined;
  transforms: TransformOp[];
  /** The previous compile's policy of the same definition, whose rate limiter carries over. */
  reuse: CompiledPolicy | undefined;
}

export function compileDraft(policy: Policy, signal: Signal, refs: FieldRefTable, backend: RegexBackend, errs: string[]): PolicyDraft {
  const target = (policy.log ?? policy.metric ?? policy.trace)!;
  const matchers: Lowered[] = [];
  target.match.forEach((m, i) => {
    const lowered = lowerMatcher(m, signal, refs, backend);
    if (typeof lowered === 'string') errs.push(`${signal}: match[${i}]: ${lowered}`);
    else matchers.push(lowered);
  });
  const draft: PolicyDraft = {
    policy,
    fingerprint: fingerprintOf(policy),
    signal,
    matchers,
    keep: KeepKind.All,
    score: KeepScore.All,
    percent: 100,
    sampleKey: undefined,
    rate: undefined,
    trace: undefined,
    transforms: [],
    reuse: undefined,
  };
  if (policy.log) {
    const keep = parseLogKeep(policy.log.keep);
    if (typeof keep === 'string') errs.push(`log: keep: ${keep}`);
    else {
      draft.keep = keep.kind;
      draft.score = logKeepScore(keep);
      if (keep.kind === KeepKind.Percent) draft.percent = keep.percent;
      if (keep.kind === KeepKind.RateLimit) draft.rate = { limit: keep.limit, windowMs: keep.windowMs };
    }
    if (policy.log.transform) draft.transforms = compileTransforms(policy.log.transform, refs, errs);
    if (policy.log.sampleKey) {
      const ref = refs.resolve('log', policy.log.sampleKey);
      if (typeof ref === 'string') errs.push(`log: sample_key: ${ref}`);
      else draft.sampleKey = ref;
    }
  } else if (policy.metric) {
    draft.keep = policy.metric.keep ? KeepKind.All : KeepKind.None;
    draft.score = policy.metric.keep ? KeepScore.All : KeepScore.None;
  } else if (policy.trace) {
    compileTraceKeep(policy.trace.keep, draft, errs);
  }
  return draft;
}

function compileTraceKeep(cfg: TraceSamplingConfig | undefined, draft: PolicyDraft, errs: string[]): void {
  if (cfg === undefined) {
    draft.keep = KeepKind.All;
    draft.score = KeepScore.All;
    return;
  }
  // The proto field is a float32: round as the wire would.
  const percentage = Math.fround(cfg.percentage);
  const bad = (msg: string) => errs.push(`trace: keep: ${msg}`);
  if (!Number.isFinite(percentage) || percentage < 0 || percentage > 100) bad(`percentage must be between 0 and 100, got ${cfg.percentage}`);
  let mode: SamplingMode = 'hash_seed';
  if (cfg.mode !== undefined) {
    const m = resolveEnum(SAMPLING_MODES, cfg.mode);
    if (m === undefined) bad(`unknown mode ${JSON.stringify(cfg.mode)}`);
    else if (m !== 'unspecified') mode = m as SamplingMode;
  }
  let precision = 4;
  if (cfg.samplingPrecision !== undefined) {
    const p = cfg.samplingPrecision;
    if (!Number.isInteger(p) || p < 0) bad(`sampling_precision must be an integer between 1 and 14, got ${p}`);
    // As the reference engines: 0 (unset on the wire) means the default, above 14 is capped.
    else precision = p === 0 ? 4 : Math.min(p, 14);
  }
  let hashSeed = 0;
  if (cfg.hashSeed !== undefined) {
    const s = cfg.hashSeed;
    if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) bad(`hash_seed must be an unsigned 32-bit integer, got ${s}`);
    else hashSeed = s;
  }
  const failClosed = cfg.failClosed ?? true;
  if (percentage >= 100) {
    draft.keep = KeepKind.All;
    draft.score = KeepScore.All;
  } else if (percentage <= 0) {
    draft.keep = KeepKind.None;
    draft.score = KeepScore.None;
  } else if (Number.isFinite(percentage)) {
    draft.keep = KeepKind.TraceSample;
    draft.score = percentScore(percentage);
    draft.percent = percentage;
    draft.trace = compileTraceSampler({ percentage, mode, precision, hashSeed, failClosed });
  }
}
