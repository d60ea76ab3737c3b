/**
 * The service: builds the components its pipelines use, wires receivers to
 * pipelines (processors, then a fan-out to exporters), starts them in the
 * Collector's order and shuts down gracefully: health goes unavailable,
 * receivers stop accepting and finish what is in flight, providers stop,
 * exporters drain their queues, then the endpoints close.
 *
 * The whole shutdown is bounded by `service.shutdown_timeout`: a backend
 * that keeps failing would otherwise hold it for queued requests times
 * `max_elapsed_time`, past any orchestrator's grace period (and then the
 * process is killed without a word). At the deadline, connections are cut,
 * exports in progress are cancelled, what the queues hold is dropped, and
 * one line per exporter and signal says how many records were lost.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { QueueStorage } from './exporter/queue-storage.js';
import { createAuthenticator, type Authenticator } from './extension/authenticator.js';
import type { AddressInfo } from 'node:net';
import { ExportFailure, exportItem } from './exporter/item.js';
import type { CollectorConfig, ExporterConfig, PipelineConfig } from './config/config.js';
import { formatEndpoint } from './config/values.js';
import { DebugExporter } from './exporter/debug.js';
import type { Exporter } from './exporter/exporter.js';
import { NetworkExporter } from './exporter/exporter.js';
import { OtlpGrpcExporter } from './exporter/otlpgrpc.js';
import { OtlpHttpExporter } from './exporter/otlphttp.js';
import { createLogger, type Logger } from './logger.js';
import type { ReceivedRequest } from './otlp/payload.js';
import { otlpSchema, type SignalType } from '@otel-policy/proto';
import { PolicyProcessor, type PolicyProcessorContext } from './processor/policy.js';
import { MEMORY_REFUSAL, MemoryLimiter } from './processor/memory-limiter.js';
import type { ConsumeResult, SignalConsumer } from './receiver/consumer.js';
import { AdmissionBudget } from './receiver/admission.js';
import { ReceiverMetrics } from './receiver/metrics.js';
import { OtlpGrpcReceiver } from './receiver/otlp-grpc.js';
import { OtlpHttpReceiver } from './receiver/otlp-http.js';
import { MetricsRegistry } from './telemetry/metrics.js';
import { serveTelemetry } from './telemetry/server.js';

export interface CollectorOptions {
  /** The service's log (default: stderr at the configured level). */
  logger?: Logger;
  /** Where a debug exporter with `use_internal_logger: false` writes (default stdout). */
  stdout?: (text: string) => void;
  /** Makes the policy processors' providers (a worker's stand-ins; default: as configured). */
  createProvider?: PolicyProcessorContext['createProvider'];
  /**
   * This process is worker `index` of `count` (see workers/primary.ts): its
   * persistent queues get their own directories (worker 0 keeps the
   * single-process one and takes over those of workers that no longer
   * exist). Default: a single process, which takes over every worker's.
   */
  worker?: { index: number; count: number };
}

interface Pipeline {
  config: PipelineConfig;
  processors: (PolicyProcessor | MemoryLimiter)[];
  exporters: Exporter[];
}

/** Where the service listens, once started (`host:port`). */
export interface CollectorEndpoints {
  receivers: Record<string, { http?: string; grpc?: string }>;
  metrics?: string;
  health?: Record<string, string>;
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** The queue directories of workers `count` and above (left by a run with more workers). */
function orphanQueues(base: string, count: number): string[] {
  const dir = path.dirname(base);
  const prefix = `${path.basename(base)}.worker-`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.startsWith(prefix) && Number(n.slice(prefix.length)) >= count)
    .map((n) => path.join(dir, n));
}

export class Collector {
  readonly metrics = new MetricsRegistry();
  readonly log: Logger;
  readonly processors = new Map<string, PolicyProcessor | MemoryLimiter>();
  readonly exporters = new Map<string, Exporter>();
  private readonly pipelines: Pipeline[] = [];
  private readonly httpReceivers: OtlpHttpReceiver[] = [];
  private readonly grpcReceivers: OtlpGrpcReceiver[] = [];
  private readonly consumers = new Map<string, SignalConsumer>();
  private readonly closers: (() => Promise<void>)[] = [];
  private state: State = 'new';
  private stopped: Promise<void> | undefined;
  private startedAt: Date | undefined;
  private droppedReported = false;
  readonly endpoints: CollectorEndpoints = { receivers: {} };

  constructor(
    readonly config: CollectorConfig,
    options: CollectorOptions = {},
  ) {
    const t = config.service.telemetry;
    this.log = options.logger ?? createLogger({ level: t.logLevel, encoding: t.logEncoding });
    otlpSchema();
    const used = (key: 'receivers' | 'processors' | 'exporters') => new Set(config.service.pipelines.flatMap((p) => p[key]));

    for (const id of used('exporters')) this.exporters.set(id, this.createExporter(config.exporters.get(id)!, options));
    for (const id of used('processors')) {
      const pc = config.processors.get(id)!;
      this.processors.set(
        id,
        pc.type === 'memory_limiter'
          ? new MemoryLimiter(pc, this.log)
          : new PolicyProcessor(pc, { logger: this.log, metrics: this.metrics, resource: t.resource, createProvider: options.createProvider }),
      );
    }
    for (const p of config.service.pipelines) {
      this.pipelines.push({ config: p, processors: p.processors.map((id) => this.processors.get(id)!), exporters: p.exporters.map((id) => this.exporters.get(id)!) });
    }
    // One consumer per (receiver, signal): the pipelines of that signal listing the receiver.
    for (const id of used('receivers')) {
      for (const signal of ['logs', 'traces', 'metrics'] as const) {
        const pipes = this.pipelines.filter((p) => p.config.signal === signal && p.config.receivers.includes(id));
        if (pipes.length > 0) this.consumers.set(`${id}\0${signal}`, this.consumerOf(signal, pipes));
      }
    }
    const lookup = (receiverId: string, signal: SignalType) => this.consumers.get(`${receiverId}\0${signal}`);
    const receiverMetrics = new ReceiverMetrics(this.metrics);
    const budgets: [string, AdmissionBudget][] = [];
    // One authenticator per extension, shared by the receivers naming it.
    const authenticators = new Map<string, Authenticator>();
    for (const id of config.service.extensions) {
      const ext = config.extensions.get(id)!;
      if (ext.type === 'bearertokenauth' || ext.type === 'basicauth') authenticators.set(id, createAuthenticator(ext, this.log));
    }
    const authOf = (name: string | undefined) => (name === undefined ? undefined : authenticators.get(name));
    for (const id of used('receivers')) {
      const r = config.receivers.get(id)!;
      // One budget per receiver, shared by its protocols.
      const budget = new AdmissionBudget(r.admission.requestLimitBytes);
      budgets.push([id, budget]);
      if (r.http) this.httpReceivers.push(new OtlpHttpReceiver(id, r.http, lookup, this.log, receiverMetrics, budget, authOf(r.http.authenticator)));
      if (r.grpc) this.grpcReceivers.push(new OtlpGrpcReceiver(id, r.grpc, lookup, this.log, receiverMetrics, budget, authOf(r.grpc.authenticator)));
    }
    this.metrics.collected('otelcol_receiver_inflight_bytes', 'Bytes of requests the receiver holds (as received and decompressed), bounded by admission.request_limit_mib', 'gauge', () =>
      budgets.map(([receiver, b]) => [{ receiver }, b.used]),
    );
    this.metrics.collected('otelcol_process_uptime_seconds', 'Uptime of the process', 'counter', () => [[{}, process.uptime()]]);
    this.metrics.collected('otelcol_process_memory_rss_bytes', 'Resident memory of the process', 'gauge', () => [[{}, process.memoryUsage.rss()]]);
  }

  private createExporter(e: ExporterConfig, options: CollectorOptions): Exporter {
    const store = e.type === 'debug' || e.queue.storage === undefined ? undefined : this.config.extensions.get(e.queue.storage);
    const worker = options.worker ?? { index: 0, count: 1 };
    const base = store?.type === 'file_storage' ? path.join(store.directory, `exporter_${e.id.replace(/[^A-Za-z0-9_.-]/g, '_')}`) : undefined;
    const storage =
      store?.type === 'file_storage' && base !== undefined
        ? new QueueStorage(
            worker.index === 0 ? base : `${base}.worker-${worker.index}`,
            store.fsync,
            this.log.with({ kind: 'exporter', name: e.id }),
            worker.index === 0 ? orphanQueues(base, worker.count) : [],
          )
        : undefined;
    const ctx = { logger: this.log, metrics: this.metrics, storage };
    switch (e.type) {
      case 'otlphttp':
        return new OtlpHttpExporter(e, ctx);
      case 'otlp':
        return new OtlpGrpcExporter(e, ctx);
      case 'debug':
        return new DebugExporter(e, this.log, options.stdout);
    }
  }

  /** The consumer of one signal from one receiver: process per pipeline, then fan out. */
  private consumerOf(signal: SignalType, pipes: Pipeline[]): SignalConsumer {
    // An exporter in several of these pipelines takes one copy of each request from each.
    const copies = new Map<Exporter, number>();
    for (const e of pipes.flatMap((p) => p.exporters)) copies.set(e, (copies.get(e) ?? 0) + 1);
    return async (req: ReceivedRequest): Promise<ConsumeResult> => {
      if (this.state !== 'running') return { status: 'shutting_down' };
      // All or nothing: refuse before any exporter takes a copy, so a retry never duplicates.
      for (const p of pipes) {
        for (const proc of p.processors) if (proc instanceof MemoryLimiter && proc.refusing) return { status: 'queue_full', message: MEMORY_REFUSAL, retryAfterSecs: 1 };
      }
      for (const [e, n] of copies) {
        if (!e.hasRoom(req.records, n)) {
          if (e instanceof NetworkExporter) e.refused({ signal, records: req.records });
          return { status: 'queue_full', message: `sending queue of exporter "${e.id}" is full`, retryAfterSecs: 1 };
        }
      }
      const waits: Promise<void>[] = [];
      for (let i = 0; i < pipes.length; i++) {
        const p = pipes[i];
        // A processor changes the payload in place: every pipeline but the last gets its own.
        const payload = i === pipes.length - 1 ? req.payload : req.payload.copy();
        for (const proc of p.processors) if (proc instanceof PolicyProcessor) proc.process(payload);
        if (payload.isEmpty()) continue;
        const item = exportItem(payload);
        // Each exporter gets its own item (sharing the payload and its encodings): what one keeps on disk, and when
        // it forgets it, is its own. Room for every copy was checked above, so none is refused now (all or nothing).
        for (const e of p.exporters) waits.push(e.consume(p.exporters.length > 1 ? { ...item } : item, true));
      }
      if (waits.length === 0) return { status: 'ok' };
      const results = await Promise.allSettled(waits);
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
      if (failures.length === 0) return { status: 'ok' };
      const message = failures.map((f) => f.message).join('; ');
      if (failures.every((f) => f instanceof ExportFailure && f.permanent)) return { status: 'permanent', message };
      if (failures.some((f) => f instanceof ExportFailure && f.message === 'sending queue is full')) return { status: 'queue_full', message, retryAfterSecs: 1 };
      return { status: 'unavailable', message };
    };
  }

  /** Start everything; on failure, stop what started and rethrow. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('the collector was already started');
    this.state = 'starting';
    try {
      await this.startEndpoints();
      this.log.info('Starting exporters...');
      await Promise.all([...this.exporters.values()].map((e) => e.start()));
      this.log.info('Starting processors...');
      await Promise.all([...this.processors.values()].map((p) => p.start()));
      this.log.info('Starting receivers...');
      for (const r of this.httpReceivers) {
        const a = await r.start();
        (this.endpoints.receivers[r.id] ??= {}).http = formatEndpoint(a.address, a.port);
      }
      for (const r of this.grpcReceivers) {
        const port = await r.start();
        const host = (this.config.receivers.get(r.id)!.grpc!.endpoint.host || '0.0.0.0').replace(/^\[|\]$/g, '');
        (this.endpoints.receivers[r.id] ??= {}).grpc = formatEndpoint(host, port);
      }
      this.state = 'running';
      this.startedAt = new Date();
      this.log.info('Everything is ready. Begin running and processing data.');
    } catch (err) {
      await this.shutdown();
      throw err;
    }
  }

  private async startEndpoints(): Promise<void> {
    const closers = await serveTelemetry(this.config, this.log, { metrics: () => this.metrics.render(), upSince: () => (this.state === 'running' ? this.startedAt : undefined) }, this.endpoints);
    this.closers.push(...closers);
  }

  /** Whether the service is running (the health check's answer). */
  get running(): boolean {
    return this.state === 'running';
  }

  /**
   * Stop gracefully: health goes unavailable, receivers stop accepting and
   * finish in-flight requests, providers stop, exporters export everything
   * queued (with their retry policy), endpoints close. Idempotent. Bounded
   * by `service.shutdown_timeout`: past it, exports are cancelled, what is
   * still queued is dropped, and the loss is logged per exporter and signal.
   */
  shutdown(): Promise<void> {
    this.stopped ??= this.doShutdown();
    return this.stopped;
  }

  private async doShutdown(): Promise<void> {
    this.state = 'stopping';
    this.log.info('Starting shutdown...');
    const timeout = this.config.service.shutdownTimeoutMs;
    // Connections still sending a request get this long before they are cut.
    const graceMs = timeout > 0 ? Math.max(100, Math.min(5000, Math.floor(timeout / 4))) : 5000;
    let deadline = false;
    let afterDeadline!: () => void;
    // Past the deadline, a stage that still does not finish (it should, once cut) is waited for at most this long.
    const overrun = new Promise<void>((resolve) => (afterDeadline = () => setTimeout(resolve, 2000).unref()));
    const timer =
      timeout > 0
        ? setTimeout(() => {
            deadline = true;
            this.log.warn('Shutdown timeout reached: cutting connections and dropping what the sending queues still hold', { shutdown_timeout: `${timeout}ms` });
            for (const e of this.exporters.values()) if (e instanceof NetworkExporter) e.abort();
            // Requests waiting on an abandoned export get their 503 first; then connections are cut.
            setTimeout(() => {
              for (const r of [...this.httpReceivers, ...this.grpcReceivers]) r.cut();
            }, 200).unref();
            afterDeadline();
          }, timeout)
        : undefined;
    const settle = async (what: string, tasks: Promise<unknown>[]) => {
      const all = Promise.allSettled(tasks).then((results) => {
        for (const r of results) if (r.status === 'rejected') this.log.error(`error while stopping ${what}`, { error: r.reason });
      });
      await Promise.race([all, overrun]);
    };
    try {
      await settle('receivers', [...this.httpReceivers.map((r) => r.stop(graceMs)), ...this.grpcReceivers.map((r) => r.stop(graceMs))]);
      await settle(
        'processors',
        [...this.processors.values()].map((p) => p.shutdown()),
      );
      const pending = [...this.exporters.values()].reduce((n, e) => n + (e instanceof NetworkExporter ? e.pending : 0), 0);
      if (pending > 0) this.log.info('Draining sending queues', { requests: pending, shutdown_timeout: timeout > 0 ? `${timeout}ms` : 'none' });
      await settle(
        'exporters',
        [...this.exporters.values()].map((e) => e.shutdown()),
      );
    } finally {
      clearTimeout(timer);
    }
    if (deadline) this.reportDropped('Dropped data at shutdown: shutdown_timeout reached', true);
    await settle(
      'endpoints',
      this.closers.map((c) => c()),
    );
    this.state = 'stopped';
    this.log.info('Shutdown complete.');
  }

  /** Log the records a persistent sending queue keeps for the next start. */
  private reportKept(e: NetworkExporter, counts: Record<SignalType, number>): void {
    for (const signal of ['logs', 'traces', 'metrics'] as const) {
      if (counts[signal] > 0) this.log.warn('Kept in the persistent sending queue; sent after the next start', { exporter: e.id, signal, items: counts[signal] });
    }
  }

  /**
   * Log, per exporter and signal, the records dropped at shutdown (and, with
   * `pendingToo`, those still not exported); returns the total.
   */
  private reportDropped(message: string, pendingToo: boolean): number {
    this.droppedReported = true;
    let total = 0;
    for (const e of this.exporters.values()) {
      if (!(e instanceof NetworkExporter)) continue;
      if (e.persistent) {
        this.reportKept(e, pendingToo ? e.pendingRecords() : e.keptInStorage);
        continue;
      }
      const pending = pendingToo ? e.pendingRecords() : undefined;
      for (const signal of ['logs', 'traces', 'metrics'] as const) {
        const n = e.droppedAtShutdown[signal] + (pending?.[signal] ?? 0);
        if (n === 0) continue;
        total += n;
        this.log.error(message, { exporter: e.id, signal, dropped_items: n });
      }
    }
    return total;
  }

  /**
   * Give up now (a second signal: the process exits without draining):
   * cancel every export, drop what the sending queues hold, and log per
   * exporter and signal how many records that loses. Returns the total.
   * Synchronous, so that the lines are written before the process exits.
   */
  abandon(): number {
    const pending = new Map<NetworkExporter, Record<SignalType, number>>();
    for (const e of this.exporters.values()) {
      if (!(e instanceof NetworkExporter)) continue;
      if (e.persistent) {
        // Every request it accepted is on disk: exiting loses none of them.
        this.reportKept(e, e.pendingRecords());
        e.abort();
        continue;
      }
      // What is pending now is what exiting loses, with what the deadline dropped if not reported yet.
      const before = this.droppedReported ? { logs: 0, traces: 0, metrics: 0 } : { ...e.droppedAtShutdown };
      const p = e.pendingRecords();
      e.abort();
      pending.set(e, { logs: before.logs + p.logs, traces: before.traces + p.traces, metrics: before.metrics + p.metrics });
    }
    let total = 0;
    for (const [e, counts] of pending) {
      for (const signal of ['logs', 'traces', 'metrics'] as const) {
        if (counts[signal] === 0) continue;
        total += counts[signal];
        this.log.error('Dropped data: exiting without draining', { exporter: e.id, signal, dropped_items: counts[signal] });
      }
    }
    if (total === 0) this.log.info('Exiting without draining: nothing was pending');
    return total;
  }
}

export type { AddressInfo };
