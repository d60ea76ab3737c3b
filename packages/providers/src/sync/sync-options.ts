/** Options of the HTTP and gRPC sync providers. */
import type { ClientMetadataOptions } from './client-metadata.js';

/** A timer as the sync loop uses it (injectable for tests). */
export interface SyncTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options shared by the HTTP and gRPC sync providers. */
export interface SyncProviderOptions {
  /** Provider id (diagnostics, merging in a registry). */
  id?: string;
  /**
   * Seconds between syncs when the server recommends none (default 60). The
   * server's `recommended_sync_interval_seconds`, when above 0, takes over.
   * 0 disables periodic syncing: one sync at start, a final report at shutdown.
   */
  pollIntervalSecs?: number;
  /** Per-request timeout in ms (default 10000). */
  timeoutMs?: number;
  /** Client metadata sent with every request. */
  clientMetadata?: ClientMetadataOptions;
  /** First retry delay after a failure, in ms (default 1000); doubles per failure. */
  backoffBaseMs?: number;
  /** Upper bound of the retry delay, in ms (default 60000). */
  backoffMaxMs?: number;
  /** How long shutdown() may spend on the final report, in ms (default 5000). */
  shutdownTimeoutMs?: number;
  /** Send a final report on shutdown (default true). */
  finalReport?: boolean;
  /** Uniform random in [0, 1) for backoff jitter (default Math.random). */
  random?: () => number;
  /** Timer functions (default: the global ones, unref'd). */
  timers?: SyncTimers;
  /**
   * A file keeping the last policy set received (the server's policies as
   * received, JSON), rewritten atomically (temporary file, then rename) on
   * each change. When given, `loadSync()` reads it, so that a process that
   * restarts while the server is down starts with these policies rather
   * than none. Off by default. A corrupt cache is reported once (through
   * the listener's `onError`, at start) and ignored. Node only: the providers
   * of the browser entry have no file system and ignore it.
   */
  cachePath?: string;
}

/**
 * The longest delay a timer can wait (about 24.8 days). Node and browsers
 * fire a timer with a longer delay at once (Node with a
 * TimeoutOverflowWarning), so a server recommending a sync interval of
 * weeks would otherwise be polled in a tight loop.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` bounded to what a timer can wait (see {@link MAX_TIMER_MS}). */
export const timerDelay = (ms: number): number => Math.min(ms, MAX_TIMER_MS);

/**
 * The global timers. On Node a timer is unref'd, so that a pending sync never
 * keeps the process alive; in a browser `setTimeout` returns a number, which
 * has nothing to unref.
 */
export const defaultTimers: SyncTimers = {
  setTimeout(fn, ms) {
    const t: unknown = setTimeout(fn, timerDelay(ms));
    (t as { unref?: () => unknown }).unref?.();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as Parameters<typeof clearTimeout>[0]);
  },
};
