/** Hits and misses of one transform stage of one policy. */
export interface TransformStageStats {
  hits: number;
  misses: number;
}

/**
 * Counters of one policy. A match hit is counted when the policy matched and
 * the record's fate agreed with its keep; a miss when a more restrictive
 * policy dropped the record against its intent.
 */
let nextEpoch = 1;

export class PolicyStats {
  /**
   * Identifies this set of counters: a policy whose definition changes gets
   * new counters (a new epoch), so delta reporting knows to restart from zero.
   */
  readonly epoch = nextEpoch++;
  hits = 0;
  misses = 0;
  readonly remove: TransformStageStats = { hits: 0, misses: 0 };
  readonly redact: TransformStageStats = { hits: 0, misses: 0 };
  readonly rename: TransformStageStats = { hits: 0, misses: 0 };
  readonly add: TransformStageStats = { hits: 0, misses: 0 };

  /** Copy the counters. */
  snapshot(): PolicyStatsSnapshot {
    return {
      hits: this.hits,
      misses: this.misses,
      remove: { ...this.remove },
      redact: { ...this.redact },
      rename: { ...this.rename },
      add: { ...this.add },
    };
  }

  /** Subtract a snapshot taken earlier (after it was reported), keeping what came since. */
  subtract(s: PolicyStatsSnapshot): void {
    this.hits -= s.hits;
    this.misses -= s.misses;
    for (const k of ['remove', 'redact', 'rename', 'add'] as const) {
      this[k].hits -= s[k].hits;
      this[k].misses -= s[k].misses;
    }
  }
}

/** A copy of a policy's counters. */
export interface PolicyStatsSnapshot {
  hits: number;
  misses: number;
  remove: TransformStageStats;
  redact: TransformStageStats;
  rename: TransformStageStats;
  add: TransformStageStats;
}
