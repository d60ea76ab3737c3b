/**
 * What the primary and its workers say to each other over the cluster's IPC
 * channel (structured-cloned plain objects).
 */
import type { PolicySet, PolicyStatusReport } from '@otel-policy/core';

/** Primary → worker. */
export type ToWorker =
  /** The configuration the primary started with (text and the directory its paths resolve against): every worker, replacements too, runs the same. */
  | { type: 'config'; text: string; dir: string }
  /** A provider's new set (or its first attempt failed: `error`). */
  | { type: 'policies'; processor: string; provider: string; set?: PolicySet; error?: string }
  /** Render your self-metrics (Prometheus text) and answer with `metrics`. */
  | { type: 'collect'; id: number }
  /** Stop accepting, drain and exit. */
  | { type: 'shutdown' }
  /** Exit now, reporting what is dropped. */
  | { type: 'abandon' };

/** Worker → primary. */
export type FromWorker =
  /** Listening for messages: the primary sends the current policies. */
  | { type: 'hello' }
  /** Started: receivers are listening. */
  | { type: 'ready' }
  /** Could not start (the reason); the primary stops. */
  | { type: 'failed'; message: string }
  | { type: 'metrics'; id: number; text: string }
  /** Cumulative per-policy stats of one policy processor (sent every second and at shutdown). */
  | { type: 'stats'; processor: string; reports: PolicyStatusReport[] };

export const WORKER_INDEX_ENV = 'OTEL_POLICY_WORKER_INDEX';
export const WORKER_COUNT_ENV = 'OTEL_POLICY_WORKERS';
