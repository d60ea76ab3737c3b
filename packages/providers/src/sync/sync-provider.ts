/**
 * What the HTTP and gRPC sync providers share: the sync loop (poll at the
 * server's recommended interval, back off with jitter on failure), change
 * detection by hash, delta reporting of the registry's counters, and the
 * format of the last-known-good cache.
 *
 * Platform-neutral (no `node:` module, no Buffer, no protobufjs): the browser
 * entry uses this class as it is. Where the cache is kept is a
 * {@link SyncCacheStore} given by the subclass: on Node a file
 * (file-cache.ts, wired by sync-provider-node.ts from `cachePath`); in a
 * browser `localStorage` (web-storage-cache.ts, from `cacheKey`).
 */
import type { PolicyProvider, PolicyProviderListener, PolicySet, PolicyStatusReport } from '@otel-policy/core';
import { int64ToNumber, nowUnixNano } from './int64.js';
import { policySetFromSyncResponse } from './policy-from-wire.js';
import { SyncError } from './sync-error.js';
import { clientMetadataOf } from './client-metadata.js';
import { defaultTimers, timerDelay, type SyncProviderOptions, type SyncTimers } from './sync-options.js';
import { type PolicyObject, type PolicySyncStatusObject, type SyncRequestObject, type SyncResponseObject } from './messages.js';

type Counters = Omit<PolicyStatusReport, 'policyId' | 'errors'>;
const STAGES = ['remove', 'redact', 'rename', 'add'] as const;

export { SyncError } from './sync-error.js';
export { clientMetadataOf, type ClientMetadataOptions } from './client-metadata.js';
export type { SyncProviderOptions, SyncTimers } from './sync-options.js';

/** What one sync attempt did. */
export interface SyncResult {
  ok: boolean;
  /** A new policy set was delivered to the listener. */
  delivered: boolean;
  error?: Error;
}

/**
 * Where a sync provider keeps its last-known-good policies between runs (on
 * Node, a file: `FileSyncCache`). The provider owns what is kept (the
 * policies as received and what identifies them, as JSON text); the store
 * only reads and replaces that text.
 */
export interface SyncCacheStore {
  /** Names the store in messages (a file path). */
  readonly location: string;
  /**
   * The text kept, or undefined when nothing is kept yet. Synchronous: it
   * serves `loadSync()`, before the first sync.
   * @throws Error when the store exists but cannot be read.
   */
  read(): string | undefined;
  /** Replace the text kept, atomically (a later read sees the old text or the new, never a mix). */
  write(text: string): Promise<void>;
}

/**
 * Base of the sync providers. Subclasses implement {@link send} (one
 * request/response exchange over their transport).
 */
export abstract class SyncPolicyProvider implements PolicyProvider {
  readonly id: string;
  protected readonly syncOptions: SyncProviderOptions;
  private readonly timers: SyncTimers;
  /** Where the last-known-good set is kept, if anywhere. */
  private readonly cache: SyncCacheStore | undefined;
  private listener: PolicyProviderListener | undefined;
  private statsSource: (() => PolicyStatusReport[]) | undefined;
  /** Counters as last reported successfully, per policy (with their epoch). */
  private baselines = new Map<string, Counters>();
  /** Identifies the policy set last delivered (server hash, else a local digest). */
  private deliveredKey: string | undefined;
  private lastHash = '';
  private lastSyncTimestamp: string | undefined;
  private intervalMs: number;
  private timer: unknown;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly inFlight = new Set<AbortController>();
  private started = false;
  /** Set when shutdown gives up waiting: every exchange, running or to come, is abandoned. */
  private abandoned: Error | undefined;
  private stopping: Promise<void> | undefined;
  /** Consecutive failed syncs (drives the backoff). */
  failures = 0;
  /** Successful syncs so far. */
  syncs = 0;
  /** The last failure, if any. */
  lastError: Error | undefined;
  /** The delay the next sync was scheduled with (ms); undefined when none is scheduled. */
  nextDelayMs: number | undefined;
  /** A problem reading the cache in loadSync(), reported to the listener at start. */
  private cacheProblem: Error | undefined;
  /** Cache writes that failed (the first one is reported). */
  cacheWriteFailures = 0;

  /**
   * @param id The provider id unless `options.id` is given.
   * @param cache Where to keep the last-known-good set (none by default).
   * This class does not read `options.cachePath`: the Node entry's
   * `SyncPolicyProvider` turns it into a file store.
   */
  constructor(id: string, options: SyncProviderOptions, cache?: SyncCacheStore) {
    this.id = options.id ?? id;
    this.syncOptions = options;
    this.cache = cache;
    this.timers = options.timers ?? defaultTimers;
    this.intervalMs = (options.pollIntervalSecs ?? 60) * 1000;
  }

  /** One exchange with the server; rejects (preferably with a {@link SyncError}) on any failure. */
  protected abstract send(request: SyncRequestObject, signal: AbortSignal): Promise<SyncResponseObject>;

  /** Prepare the transport (called once by start()). */
  protected async open(): Promise<void> {}

  /** Release the transport (called once at the end of shutdown()). */
  protected async close(): Promise<void> {}

  /** Where the counters and errors to report come from (the registry's `statusReports`). */
  setStatsSource(source: () => PolicyStatusReport[]): void {
    this.statsSource = source;
  }

  /**
   * The last-known-good set from {@link SyncProviderOptions.cachePath}, or
   * undefined (no cache configured, none written yet, or unusable: then the
   * problem is reported at start). A set read here is not delivered again by
   * `start` while the server sends the same policies.
   */
  loadSync(): PolicySet | undefined {
    const store = this.cache;
    if (store === undefined || this.started) return undefined;
    const file = store.location;
    let text: string | undefined;
    try {
      text = store.read();
    } catch (err) {
      this.cacheProblem = new SyncError(`cannot read the policy cache ${file}: ${asError(err).message}`);
      return undefined;
    }
    if (text === undefined) return undefined;
    try {
      const cache = JSON.parse(text) as Partial<PolicyCache> | null;
      if (cache === null || typeof cache !== 'object' || cache.format !== CACHE_FORMAT || typeof cache.key !== 'string' || !Array.isArray(cache.policies)) {
        throw new Error(`not a ${CACHE_FORMAT} file`);
      }
      const set = policySetFromSyncResponse({ policies: cache.policies as PolicyObject[] }, `${file} (cache of ${this.id})`);
      this.deliveredKey = cache.key;
      return set;
    } catch (err) {
      this.cacheProblem = new SyncError(`ignoring the corrupt policy cache ${file}: ${asError(err).message}`);
      return undefined;
    }
  }

  async start(listener: PolicyProviderListener): Promise<void> {
    if (this.started) throw new Error(`provider ${this.id} already started`);
    this.started = true;
    this.listener = listener;
    if (this.cacheProblem) listener.onError?.(this.cacheProblem);
    try {
      await this.open();
    } catch (err) {
      // Nothing to sync with (e.g. a malformed target): report it, deliver nothing.
      this.abandoned = new SyncError(`cannot open ${this.id}: ${asError(err).message}`, false, { cause: err });
      this.failed(this.abandoned);
      return;
    }
    await this.syncNow();
  }

  /** Sync now (serialised with the periodic syncs); the next periodic sync is rescheduled from here. */
  syncNow(): Promise<SyncResult> {
    const run = this.chain.then(async () => {
      if (this.stopping) return { ok: false, delivered: false, error: new SyncError('provider is shut down') };
      this.cancelTimer();
      const result = await this.attempt(false);
      this.schedule(result.ok);
      return result;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Send a final report, then stop syncing and close the transport. */
  shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    this.cancelTimer();
    if (this.started && this.syncOptions.finalReport !== false) {
      const bound = this.syncOptions.shutdownTimeoutMs ?? 5000;
      let boundTimer: unknown;
      const final = this.chain.then(() => this.attempt(true));
      const timedOut = new Promise<'timeout'>((resolve) => {
        boundTimer = this.timers.setTimeout(() => resolve('timeout'), bound);
      });
      const r = await Promise.race([final, timedOut]);
      this.timers.clearTimeout(boundTimer);
      if (r === 'timeout') {
        this.abandon(new SyncError(`final report to ${this.id} timed out after ${bound} ms`));
        await final;
      }
    } else {
      this.abandon(new SyncError('provider is shut down'));
      await this.chain;
    }
    await this.close();
  }

  private abandon(reason: SyncError): void {
    this.abandoned = reason;
    for (const c of this.inFlight) c.abort(reason);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.nextDelayMs = undefined;
  }

  private schedule(ok: boolean): void {
    if (this.stopping) return;
    let delay: number;
    if (ok) {
      if (this.intervalMs <= 0) return;
      delay = this.intervalMs;
    } else {
      delay = this.backoffDelay(this.failures);
    }
    delay = timerDelay(delay);
    this.nextDelayMs = delay;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.syncNow();
    }, delay);
  }

  /** Exponential backoff with "equal jitter": a delay in [d/2, d], d = base * 2^(n-1) capped at the maximum. */
  backoffDelay(failures: number): number {
    const base = this.syncOptions.backoffBaseMs ?? 1000;
    const max = this.syncOptions.backoffMaxMs ?? 60_000;
    const d = Math.min(max, base * 2 ** Math.min(Math.max(failures - 1, 0), 30));
    const r = Math.min(Math.max((this.syncOptions.random ?? Math.random)(), 0), 1);
    return Math.round(d / 2 + (d / 2) * r);
  }

  /** The request to send now, and the counters it reports (to commit once it is delivered). */
  private buildRequest(): { request: SyncRequestObject; snapshot: Map<string, Counters> } {
    const snapshot = new Map<string, Counters>();
    const statuses: PolicySyncStatusObject[] = [];
    let reports: PolicyStatusReport[];
    try {
      reports = this.statsSource?.() ?? [];
    } catch {
      reports = [];
    }
    for (const r of reports) {
      const cur: Counters = {
        statsEpoch: r.statsEpoch,
        hits: r.hits,
        misses: r.misses,
        remove: { ...r.remove },
        redact: { ...r.redact },
        rename: { ...r.rename },
        add: { ...r.add },
      };
      snapshot.set(r.policyId, cur);
      const prev = this.baselines.get(r.policyId);
      // A new epoch means the counters restarted: report them from zero.
      const base = prev && prev.statsEpoch === r.statsEpoch ? prev : undefined;
      const d = (now: number, then: number | undefined) => Math.max(0, now - (then ?? 0));
      const status: PolicySyncStatusObject = { id: r.policyId };
      let any = r.errors.length > 0;
      const hits = d(cur.hits, base?.hits);
      const misses = d(cur.misses, base?.misses);
      if (hits) status.matchHits = hits;
      if (misses) status.matchMisses = misses;
      any ||= hits > 0 || misses > 0;
      for (const stage of STAGES) {
        const h = d(cur[stage].hits, base?.[stage].hits);
        const m = d(cur[stage].misses, base?.[stage].misses);
        if (h || m) {
          status[stage] = { hits: h, misses: m };
          any = true;
        }
      }
      if (r.errors.length) status.errors = [...r.errors];
      if (any) statuses.push(status);
    }
    const request: SyncRequestObject = {
      clientMetadata: clientMetadataOf(this.syncOptions.clientMetadata),
      // A set read from the cache was not received in this process: ask for everything.
      fullSync: this.deliveredKey === undefined || this.syncs === 0,
      lastSuccessfulHash: this.lastHash,
      policyStatuses: statuses,
    };
    if (this.lastSyncTimestamp !== undefined) request.lastSyncTimestampUnixNano = this.lastSyncTimestamp;
    return { request, snapshot };
  }

  /** One sync; `final` only reports (the answer's policies are not applied). Never rejects. */
  private async attempt(final: boolean): Promise<SyncResult> {
    if (this.abandoned) return this.failed(this.abandoned);
    const { request, snapshot } = this.buildRequest();
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timeoutMs = this.syncOptions.timeoutMs ?? 10_000;
    const timer = this.timers.setTimeout(() => controller.abort(new SyncError(`sync timed out after ${timeoutMs} ms`)), timeoutMs);
    try {
      let response: SyncResponseObject;
      try {
        response = await this.send(request, controller.signal);
      } catch (err) {
        if (err instanceof SyncError && err.reportDelivered) this.baselines = snapshot;
        throw err;
      }
      // The server has the report: the next one starts from these counters.
      this.baselines = snapshot;
      if (response.errorMessage) throw new SyncError(`sync server reported an error: ${response.errorMessage}`);
      let delivered = false;
      if (!final) {
        const key = response.hash ? `hash:${response.hash}` : `digest:${digestPolicies(response)}`;
        if (key !== this.deliveredKey) {
          let set: PolicySet;
          try {
            set = policySetFromSyncResponse(response, this.id);
          } catch (err) {
            throw new SyncError(`unusable policies from ${this.id}: ${(err as Error).message}`, true, { cause: err });
          }
          this.deliveredKey = key;
          this.listener?.onPolicies(set);
          delivered = true;
          await this.writeCache(key, response);
        }
        const secs = response.recommendedSyncIntervalSeconds ?? 0;
        if (secs > 0 && (this.syncOptions.pollIntervalSecs ?? 60) !== 0) this.intervalMs = secs * 1000;
      }
      if (response.hash) this.lastHash = response.hash;
      if (response.syncTimestampUnixNano !== undefined && int64ToNumber(response.syncTimestampUnixNano) > 0) {
        this.lastSyncTimestamp = String(response.syncTimestampUnixNano);
      } else {
        this.lastSyncTimestamp = nowUnixNano();
      }
      this.failures = 0;
      this.syncs++;
      return { ok: true, delivered };
    } catch (e) {
      return this.failed(controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason : asError(e));
    } finally {
      this.timers.clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  /** Keep `response`'s policies as the last known good set (the store replaces it atomically). */
  private async writeCache(key: string, response: SyncResponseObject): Promise<void> {
    const store = this.cache;
    if (store === undefined) return;
    const cache: PolicyCache = { format: CACHE_FORMAT, provider: this.id, key, savedAt: new Date().toISOString(), policies: response.policies ?? [] };
    try {
      await store.write(JSON.stringify(cache));
    } catch (err) {
      // Reported once: the policies themselves are fine and in force.
      if (++this.cacheWriteFailures === 1) this.listener?.onError?.(new SyncError(`cannot write the policy cache ${store.location}: ${asError(err).message}`));
    }
  }

  private failed(err: Error): SyncResult {
    this.failures++;
    this.lastError = err;
    this.listener?.onError?.(err);
    return { ok: false, delivered: false, error: err };
  }
}

const CACHE_FORMAT = 'otel-policy-sync-cache/v1';

/** What {@link SyncProviderOptions.cachePath} holds: the policies as received, and what identifies them. */
interface PolicyCache {
  format: typeof CACHE_FORMAT;
  provider: string;
  /** The server's hash (else a digest) of these policies: the same policies from the server are not delivered again. */
  key: string;
  savedAt: string;
  policies: unknown[];
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new SyncError(String(e));
}

/**
 * A digest of a response's policies, for servers that send no hash: only a
 * change key (is this the set delivered last?), so a 64-bit hash of the JSON
 * text is enough, and pure JavaScript runs anywhere (no node:crypto; Web
 * Crypto is asynchronous).
 */
function digestPolicies(res: SyncResponseObject): string {
  return hash64(JSON.stringify(res.policies ?? []));
}

/**
 * A 64-bit non-cryptographic hash of a string's UTF-16 code units, as 16 hex
 * digits: two 32-bit multiply-xorshift lanes seeded differently, each mixed
 * into the other at the end (the cyrb53 construction, both lanes kept).
 */
function hash64(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x9e3779b1);
    h2 = Math.imul(h2 ^ c, 0x5f356495);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}
