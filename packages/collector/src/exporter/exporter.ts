/**
 * What every exporter offers the pipelines, and the Collector's
 * exporterhelper behaviour for network exporters: per-attempt timeout,
 * `retry_on_failure` (exponential backoff with jitter, honouring the
 * server's throttling hints, bounded by `max_elapsed_time`) and the optional
 * `sending_queue`. Shutdown drains the queue with the same policy; at the
 * service's shutdown deadline {@link NetworkExporter.abort} cancels the
 * attempts and retry waits in progress and drops what is still queued,
 * counting it per signal so the service can say what was lost.
 */
import type { QueueConfig, RetryConfig } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { SignalType } from '@otel-policy/proto';
import type { MetricsRegistry } from '../telemetry/metrics.js';
import { ExportError, ExportFailure, RECORD_NAME, type ExportItem } from './item.js';
import { SendingQueue } from './queue.js';
import type { QueueStorage } from './queue-storage.js';

export interface Exporter {
  readonly id: string;
  /** Whether `copies` requests of `records` records each can be accepted now (queue room): an exporter in several pipelines of a signal gets one copy from each. */
  hasRoom(records: number, copies?: number): boolean;
  /**
   * Take a request: with a queue, enqueue it and resolve at once (a blocking
   * queue may wait for room); without, export it (with retries) and resolve
   * once done, rejecting with an {@link ExportFailure}.
   */
  consume(item: ExportItem, admitted?: boolean): Promise<void>;
  start(): Promise<void>;
  /** Stop intake, export what is queued, release connections. */
  shutdown(): Promise<void>;
}

export interface ExporterContext {
  logger: Logger;
  metrics: MetricsRegistry;
  /** Clock and sleep, for tests. */
  now?: () => number;
  /** Sleep `ms`; resolve early (or reject) when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Where the sending queue persists its requests (`sending_queue.storage`). */
  storage?: QueueStorage;
}

type Counters = Record<SignalType, { add(n: number): void }>;

/** Records per signal. */
export type SignalCounts = Record<SignalType, number>;
const zeroCounts = (): SignalCounts => ({ logs: 0, traces: 0, metrics: 0 });

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** Why an export was abandoned at the shutdown deadline. */
const ABANDONED = 'the service is shutting down (shutdown_timeout reached)';

export abstract class NetworkExporter implements Exporter {
  protected readonly log: Logger;
  private readonly queue: SendingQueue | undefined;
  private readonly sent: Counters;
  private readonly failed: Counters;
  private readonly enqueueFailed: Counters;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  /** Requests exported without a queue, in progress. */
  private direct = 0;
  /** Aborted at the shutdown deadline. */
  private readonly halt = new AbortController();
  /** Records accepted (queued or being exported) and not yet sent or given up, per signal. */
  private readonly outstanding = zeroCounts();
  /** Records given up on because of {@link abort}, per signal. */
  readonly droppedAtShutdown = zeroCounts();
  /** Records still in the persistent queue at {@link abort}: sent after the next start, not lost. */
  readonly keptInStorage = zeroCounts();
  private readonly storage: QueueStorage | undefined;

  constructor(
    readonly id: string,
    protected readonly settings: { queue: QueueConfig; retry: RetryConfig; timeoutMs: number },
    ctx: ExporterContext,
  ) {
    this.log = ctx.logger.with({ kind: 'exporter', name: id });
    this.now = ctx.now ?? Date.now;
    this.sleep = ctx.sleep ?? defaultSleep;
    this.random = ctx.random ?? Math.random;
    this.storage = settings.queue.enabled ? ctx.storage : undefined;
    const counters = (what: string, help: string): Counters => {
      const out = {} as Counters;
      for (const s of ['logs', 'traces', 'metrics'] as const) {
        out[s] = ctx.metrics.counter(`otelcol_exporter_${what}_${RECORD_NAME[s]}_total`, help.replace('%', RECORD_NAME[s].replace('_', ' '))).bind({ exporter: id });
      }
      return out;
    };
    this.sent = counters('sent', 'Number of % successfully sent to the destination');
    this.failed = counters('send_failed', 'Number of % the exporter failed to send (after retries) and dropped');
    this.enqueueFailed = counters('enqueue_failed', 'Number of % refused because the sending queue was full');
    if (settings.queue.enabled) {
      const q = settings.queue;
      this.queue = new SendingQueue({ capacity: q.queueSize, sizer: q.sizer, numConsumers: q.numConsumers, handle: (item) => this.exportQueued(item) });
      ctx.metrics.collected('otelcol_exporter_queue_size', 'Current size of the sending queue (in its sizer units)', 'gauge', () => [[{ exporter: id }, this.queue!.size]]);
      ctx.metrics.collected('otelcol_exporter_queue_capacity', 'Capacity of the sending queue (in its sizer units)', 'gauge', () => [[{ exporter: id }, q.queueSize]]);
    }
  }

  /** One attempt; rejects with an {@link ExportError}. `signal` aborts it at the timeout. */
  protected abstract send(item: ExportItem, signal: AbortSignal): Promise<void>;

  /** Open connections (called once by start()). */
  protected async open(): Promise<void> {}
  /** Release connections (called at the end of shutdown()). */
  protected async close(): Promise<void> {}

  async start(): Promise<void> {
    await this.open();
    if (this.queue && this.storage) {
      // What an earlier run accepted and did not get to export goes first.
      const kept = this.storage.load();
      for (const { item, file } of kept) {
        item.stored = file;
        this.outstanding[item.signal] += item.records;
        this.queue.restore(item);
      }
      if (kept.length > 0) this.log.info('Resuming the persisted sending queue', { requests: kept.length, directory: this.storage.directory });
    }
    this.queue?.start();
  }

  /** Persist a request before the queue takes it (with storage); the file goes when it is done. */
  private persist(item: ExportItem): void {
    if (this.storage) item.stored = this.storage.save(item);
  }

  private forget(item: ExportItem): void {
    if (item.stored !== undefined) this.storage?.remove(item.stored);
    item.stored = undefined;
  }

  hasRoom(records: number, copies = 1): boolean {
    if (!this.queue || this.settings.queue.blockOnOverflow) return true;
    return this.queue.hasRoom(records, copies);
  }

  /** Count a request the fan-out refused because some queue was full. */
  refused(item: { signal: SignalType; records: number }): void {
    this.enqueueFailed[item.signal].add(item.records);
  }

  /** `admitted`: the fan-out has checked room for every copy of this request (see {@link hasRoom}); enqueued without checking again. */
  async consume(item: ExportItem, admitted = false): Promise<void> {
    if (this.queue) {
      if (this.settings.queue.blockOnOverflow) {
        // Counted before it can be taken by a worker (which uncounts it when done).
        this.outstanding[item.signal] += item.records;
        try {
          this.persist(item);
          await this.queue.put(item);
        } catch (err) {
          this.outstanding[item.signal] -= item.records;
          this.forget(item);
          throw err;
        }
      } else {
        if (!admitted && !this.queue.hasRoom(item.records)) {
          this.enqueueFailed[item.signal].add(item.records);
          throw new ExportFailure('sending queue is full', false);
        }
        // Room was checked (here or by the fan-out), with nothing in between: enqueued.
        this.outstanding[item.signal] += item.records;
        this.persist(item);
        this.queue.restore(item);
      }
      return;
    }
    this.direct++;
    this.outstanding[item.signal] += item.records;
    try {
      await this.exportWithRetry(item);
    } finally {
      this.direct--;
      this.outstanding[item.signal] -= item.records;
    }
  }

  private async exportQueued(item: ExportItem): Promise<void> {
    try {
      await this.exportWithRetry(item);
      this.forget(item);
    } catch {
      // Counted and logged in exportWithRetry. Given up on: forgotten, unless
      // abandoned at the shutdown deadline with storage (sent after the next start).
      if (!(this.halt.signal.aborted && item.stored !== undefined)) this.forget(item);
    } finally {
      this.outstanding[item.signal] -= item.records;
    }
  }

  private async attempt(item: ExportItem): Promise<void> {
    const timeout = this.settings.timeoutMs;
    const ac = new AbortController();
    const timer = timeout > 0 ? setTimeout(() => ac.abort(new ExportError(`export timed out after ${timeout}ms`, true)), timeout) : undefined;
    const halt = () => ac.abort(new ExportError(ABANDONED, false));
    this.halt.signal.addEventListener('abort', halt, { once: true });
    try {
      await this.send(item, ac.signal);
    } catch (err) {
      if (ac.signal.aborted && ac.signal.reason instanceof ExportError) throw ac.signal.reason;
      throw err instanceof ExportError ? err : new ExportError((err as Error)?.message ?? String(err), true);
    } finally {
      clearTimeout(timer);
      this.halt.signal.removeEventListener('abort', halt);
    }
  }

  /** Give up on `item` at the shutdown deadline: counted as failed and as dropped at shutdown, logged once by the service. */
  private abandon(item: ExportItem): ExportFailure {
    if (item.stored !== undefined) {
      this.keptInStorage[item.signal] += item.records;
      return new ExportFailure(`export to ${this.id} postponed to the next start: ${ABANDONED}`, false);
    }
    this.failed[item.signal].add(item.records);
    this.droppedAtShutdown[item.signal] += item.records;
    return new ExportFailure(`export to ${this.id} abandoned: ${ABANDONED}`, false);
  }

  /** Export with the retry policy; rejects with an {@link ExportFailure} when giving up (counted and logged). */
  async exportWithRetry(item: ExportItem): Promise<void> {
    const r = this.settings.retry;
    const started = this.now();
    let interval = r.initialIntervalMs;
    for (let attempt = 1; ; attempt++) {
      if (this.halt.signal.aborted) throw this.abandon(item);
      try {
        await this.attempt(item);
        this.sent[item.signal].add(item.records);
        return;
      } catch (err) {
        if (this.halt.signal.aborted) throw this.abandon(item);
        const e = err as ExportError;
        let reason: string | undefined;
        let delay = 0;
        if (!e.retryable) reason = 'not retryable';
        else if (!r.enabled) reason = 'retry_on_failure is disabled';
        else {
          delay = interval * (1 + r.randomizationFactor * (2 * this.random() - 1));
          interval = Math.min(interval * r.multiplier, r.maxIntervalMs);
          if (e.throttleMs !== undefined) delay = Math.max(delay, e.throttleMs);
          if (r.maxElapsedTimeMs > 0 && this.now() - started + delay > r.maxElapsedTimeMs) reason = `no more retries left after ${attempt} attempts (max_elapsed_time ${r.maxElapsedTimeMs}ms)`;
        }
        if (reason !== undefined) {
          this.failed[item.signal].add(item.records);
          this.log.error('Exporting failed. Dropping data.', { error: e.message, reason, dropped_items: item.records, signal: item.signal });
          throw new ExportFailure(`export to ${this.id} failed: ${e.message} (${reason})`, !e.retryable);
        }
        this.log.info('Exporting failed. Will retry the request after interval.', { error: e.message, interval: `${Math.round(delay)}ms`, signal: item.signal });
        await this.sleep(delay, this.halt.signal);
      }
    }
  }

  /** Whether its sending queue persists requests (`sending_queue.storage`). */
  get persistent(): boolean {
    return this.storage !== undefined;
  }

  /** Requests waiting in the queue plus those being exported. */
  get pending(): number {
    return (this.queue ? this.queue.length + this.queue.inFlight : 0) + this.direct;
  }

  /** Records accepted and not yet sent or given up (queued or being exported), per signal. */
  pendingRecords(): SignalCounts {
    return { ...this.outstanding };
  }

  /**
   * The shutdown deadline: cancel the attempts and retry waits in progress
   * and drop what is still queued. Everything given up on is counted as
   * failed and in {@link droppedAtShutdown}; {@link shutdown} then resolves
   * promptly.
   */
  abort(): void {
    if (this.halt.signal.aborted) return;
    this.halt.abort();
    for (const item of this.queue?.dropAll() ?? []) {
      this.abandon(item);
      this.outstanding[item.signal] -= item.records;
    }
  }

  async shutdown(): Promise<void> {
    await this.queue?.drain();
    await this.close();
  }
}
