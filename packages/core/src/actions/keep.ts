/**
 * Keep actions as compiled from a policy's `keep`, with the restrictiveness
 * score that decides which matching policy wins (policy-go's scores).
 */

/** Kinds of keep action. */
export const KeepKind = {
  All: 0,
  None: 1,
  /** Log percentage sampling (random, or keyed by sample_key). */
  Percent: 2,
  /** Tumbling-window rate limit. */
  RateLimit: 3,
  /** Trace consistent probability sampling. */
  TraceSample: 4,
} as const;
export type KeepKind = (typeof KeepKind)[keyof typeof KeepKind];

export type LogKeep =
  | { readonly kind: typeof KeepKind.All }
  | { readonly kind: typeof KeepKind.None }
  | { readonly kind: typeof KeepKind.Percent; readonly percent: number }
  | { readonly kind: typeof KeepKind.RateLimit; readonly limit: number; readonly windowMs: number };

const RATE = /^(\d+)\/(\d*)([sm])$/;
const PERCENT = /^(\d+(?:\.\d*)?|\.\d+)%$/;

/** Parse a log `keep` string; returns an error message for malformed values. */
export function parseLogKeep(raw: string): LogKeep | string {
  const s = raw.trim();
  if (s === '' || s === 'all') return { kind: KeepKind.All };
  if (s === 'none') return { kind: KeepKind.None };
  const invalid = `invalid value ${JSON.stringify(raw)}`;
  const pct = PERCENT.exec(s);
  if (pct) {
    const percent = Number(pct[1]);
    if (!(percent >= 0 && percent <= 100)) return invalid;
    return { kind: KeepKind.Percent, percent };
  }
  const rate = RATE.exec(s);
  if (rate) {
    const limit = Number(rate[1]);
    const mult = rate[2] === '' ? 1 : Number(rate[2]);
    if (!Number.isSafeInteger(limit) || limit <= 0 || !Number.isSafeInteger(mult) || mult <= 0) return invalid;
    return { kind: KeepKind.RateLimit, limit, windowMs: mult * (rate[3] === 's' ? 1000 : 60_000) };
  }
  return invalid;
}

/**
 * Restrictiveness scores (policy-go's): the most restrictive matching policy
 * wins; ties go to the lowest policy ID.
 */
export const KeepScore = { All: 0, RateLimit: 500, None: 1000 } as const;

/**
 * Restrictiveness: `none` 1000; a percentage N scores trunc(1000 - 10N); any
 * rate limit 500; `all` 0. Higher wins; ties go to the lowest policy ID.
 */
export function percentScore(percent: number): number {
  if (percent >= 100) return KeepScore.All;
  if (percent <= 0) return KeepScore.None;
  return Math.trunc(KeepScore.None - percent * (KeepScore.None / 100));
}

export function logKeepScore(keep: LogKeep): number {
  switch (keep.kind) {
    case KeepKind.None:
      return KeepScore.None;
    case KeepKind.Percent:
      return percentScore(keep.percent);
    case KeepKind.RateLimit:
      return KeepScore.RateLimit;
    default:
      return KeepScore.All;
  }
}
