import type { PolicySet } from '../policy/types.js';

/** What a provider reports to whoever consumes its policy sets. */
export interface PolicyProviderListener {
  /** A complete new policy set from this provider (replaces its previous one). */
  onPolicies(set: PolicySet): void;
  /** The provider could not fetch or parse; its last good set stays in force. */
  onError?(error: Error): void;
}

/** Cumulative per-policy counters and errors a provider may report upstream (sync providers compute deltas). */
export interface PolicyStatusReport {
  policyId: string;
  /** Changes when the policy's counters restart (its definition changed): deltas restart from zero. */
  statsEpoch: number;
  hits: number;
  misses: number;
  errors: readonly string[];
  remove: { hits: number; misses: number };
  redact: { hits: number; misses: number };
  rename: { hits: number; misses: number };
  add: { hits: number; misses: number };
}

/**
 * A source of policies (a file, an HTTP or gRPC sync server). It hands
 * parsed policy sets to its listener, and nothing more: compiling and
 * swapping is the registry's job.
 */
export interface PolicyProvider {
  /** A name for diagnostics (the provider's `id`). */
  readonly id: string;
  /** Begin delivering policy sets; resolves once the first attempt is done (success or not). */
  start(listener: PolicyProviderListener): Promise<void>;
  /** Stop; sync providers send a final report first. */
  shutdown(): Promise<void>;
  /** Sync providers: where the registry's stats for this provider's policies come from when reporting. */
  setStatsSource?(source: () => PolicyStatusReport[]): void;
  /**
   * Local sources (a file, a directory, a last-known-good cache): read the
   * current set synchronously, so that policies apply from the very first
   * record instead of after an asynchronous load. Throws when the source is
   * missing or unreadable; the caller reports that once and starts without
   * this provider's set (fail-open) until `start` delivers one. A set
   * returned here is not delivered again by `start` unless it changed.
   * Returns undefined when there is nothing local yet (e.g. a remote
   * provider's last-known-good cache was never written): the caller then
   * waits for `start` to deliver the first set, as for a provider without
   * `loadSync`.
   */
  loadSync?(): PolicySet | undefined;
}
