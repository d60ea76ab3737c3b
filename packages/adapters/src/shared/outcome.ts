import { EvalResult } from '@otel-policy/core';

/** Counts of what happened to the records of one payload. */
export class BatchOutcome {
  /** Records evaluated. */
  total = 0;
  /** Records no policy matched. */
  noMatch = 0;
  /** Records kept unmodified by a matching policy. */
  kept = 0;
  /** Records kept and modified (transformed, or sampling threshold written). */
  modified = 0;
  /** Records dropped by keep: none. */
  dropped = 0;
  /** Records dropped by percentage sampling. */
  sampledOut = 0;
  /** Records dropped by a rate limit. */
  rateLimited = 0;

  /** All records removed from the payload. */
  get removed(): number {
    return this.dropped + this.sampledOut + this.rateLimited;
  }
}

export function countResult(o: BatchOutcome, r: EvalResult): void {
  o.total++;
  switch (r) {
    case EvalResult.Failed: // failed open: the record passed as if no policy matched
    case EvalResult.NoMatch:
      o.noMatch++;
      break;
    case EvalResult.Kept:
      o.kept++;
      break;
    case EvalResult.KeptModified:
      o.modified++;
      break;
    case EvalResult.Dropped:
      o.dropped++;
      break;
    case EvalResult.SampledOut:
      o.sampledOut++;
      break;
    case EvalResult.RateLimited:
      o.rateLimited++;
      break;
  }
}
