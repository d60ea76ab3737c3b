/**
 * The service on every core: a primary process and N workers (Node's
 * cluster). Each worker is a whole Collector listening on the same ports
 * (the primary hands incoming connections round-robin to the workers), so
 * one worker's load or crash does not touch the others' requests.
 *
 * The primary keeps what must be one for the service: it runs the policy
 * providers (one fetch and one watch, not N) and forwards every set to
 * every worker, so workers hot-reload together and a replacement starts
 * with the current policies; it serves the self-metrics page (the workers'
 * pages merged) and the health check; and it sends one sync report per
 * provider, with the workers' per-policy stats added up. A worker that
 * exits unexpectedly is replaced.
 *
 * Rate limits are per worker: a policy's `rate_limit` of R per second
 * lets through up to R per second in each worker (connections are spread
 * evenly, so about R × N in all); divide R by the worker count when the
 * total matters.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { PolicyProvider, PolicySet } from '@otel-policy/core';
import type { CollectorConfig, PolicyProcessorConfig } from '../config/config.js';
import { createLogger, type Logger } from '../logger.js';
import { createProvider } from '../processor/policy.js';
import { MetricsRegistry } from '../telemetry/metrics.js';
import { serveTelemetry } from '../telemetry/server.js';
import { countersOnly, mergePrometheus, StatsMerger } from './merge.js';
import { WORKER_COUNT_ENV, WORKER_INDEX_ENV, type FromWorker, type ToWorker } from './messages.js';

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));
/** How long /metrics waits for the workers' pages. */
const COLLECT_TIMEOUT_MS = 2000;
/** Delay before replacing a worker, doubled for each quick crash of the same slot (at most 10 s). */
const RESTART_DELAY_MS = 250;

interface Slot {
  index: number;
  /** Why it could not start, as it said. */
  failure?: string;
  worker: Worker | undefined;
  ready: boolean;
  crashes: number;
  lastStart: number;
}

export interface CollectorPrimaryOptions {
  logger?: Logger;
}

export class CollectorPrimary {
  readonly log: Logger;
  readonly metrics = new MetricsRegistry();
  /** Where the service listens for self-metrics and health checks, once started. */
  readonly endpoints: { metrics?: string; health?: Record<string, string> } = {};
  private readonly slots: Slot[] = [];
  private readonly providers: { processor: string; provider: string; instance: PolicyProvider }[] = [];
  /** The last set (or first failure) of each provider, by `processor\0provider`. */
  private readonly sets = new Map<string, { set?: PolicySet; error?: string }>();
  private readonly merger = new Map<string, StatsMerger>();
  private readonly closers: (() => Promise<void>)[] = [];
  private readonly pendingCollects = new Map<number, (text: string) => void>();
  private collectId = 0;
  private stopping = false;
  private startedAt: Date | undefined;
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void } | undefined;

  /** The last self-metrics page of each live worker (by pid), and the counters of workers that are gone (so that merged counters never go down). */
  private readonly pages = new Map<number, string>();
  private readonly retired: string[] = [];

  /**
   * `configText` is the configuration `config` was parsed from, and
   * `configDir` where its relative paths resolve: every worker, a
   * replacement too, runs exactly that, whatever the file says later.
   */
  constructor(
    readonly configText: string,
    readonly configDir: string,
    readonly config: CollectorConfig,
    readonly workers: number,
    options: CollectorPrimaryOptions = {},
  ) {
    const t = config.service.telemetry;
    this.log = options.logger ?? createLogger({ level: t.logLevel, encoding: t.logEncoding });
  }

  /** Start the providers, the endpoints and the workers; resolves when every worker is ready. */
  async start(): Promise<void> {
    this.log.info('Starting the service on workers', { workers: this.workers });
    try {
      await this.startProviders();
      await this.startEndpoints();
      cluster.setupPrimary({ exec: WORKER_MAIN, args: [] });
      const ready = new Promise<void>((resolve, reject) => (this.readyWaiters = { resolve, reject }));
      for (let i = 0; i < this.workers; i++) {
        const slot: Slot = { index: i, worker: undefined, ready: false, crashes: 0, lastStart: 0 };
        this.slots.push(slot);
        this.fork(slot);
      }
      await ready;
    } catch (err) {
      // Whatever started (providers, endpoints, workers) stops, so that the process can exit.
      await this.shutdown();
      throw err;
    }
    this.startedAt = new Date();
    this.log.info('Everything is ready. Begin running and processing data.', { workers: this.workers });
  }

  private async startProviders(): Promise<void> {
    const errors = this.metrics.counter('processor_policy_provider_errors', 'Failed policy fetches or parses, by provider (the last good set stays in force)');
    const resource = this.config.service.telemetry.resource;
    const starts: Promise<void>[] = [];
    for (const pc of this.config.processors.values()) {
      if (pc.type !== 'policy') continue;
      const merger = new StatsMerger();
      this.merger.set(pc.id, merger);
      for (const p of pc.providers) {
        const key = `${pc.id}\0${p.id}`;
        const instance = createProvider(p, pc, resource);
        const labels: Record<string, string> = pc.id === 'policy' ? { provider: p.id } : { provider: p.id, processor: pc.id };
        instance.setStatsSource?.(() => merger.reports(this.policyIds(key)));
        this.providers.push({ processor: pc.id, provider: p.id, instance });
        starts.push(
          instance
            .start({
              onPolicies: (set) => {
                this.log.info('policies received', { processor: pc.id, provider: p.id, policies: set.policies.length });
                this.sets.set(key, { set });
                this.broadcast({ type: 'policies', processor: pc.id, provider: p.id, set });
              },
              onError: (err) => {
                errors.add(labels);
                this.log.error('policy provider error; keeping its last good policies', { processor: pc.id, provider: p.id, error: err.message });
              },
            })
            .then(() => {
              // A first attempt that delivered nothing: workers start without this provider's set, as a single process does.
              if (!this.sets.has(key)) this.sets.set(key, { error: 'no policies on the first attempt' });
            }),
        );
      }
    }
    await Promise.all(starts);
  }

  private policyIds(key: string): ReadonlySet<string> {
    return new Set(this.sets.get(key)?.set?.policies.map((p) => p.id) ?? []);
  }

  private processorConfigs(): PolicyProcessorConfig[] {
    return [...this.config.processors.values()].filter((p): p is PolicyProcessorConfig => p.type === 'policy');
  }

  private async startEndpoints(): Promise<void> {
    const closers = await serveTelemetry(
      this.config,
      this.log,
      {
        metrics: () => this.collect(),
        // Available when every worker is.
        upSince: () => (!this.stopping && this.slots.every((slot) => slot.ready) ? this.startedAt : undefined),
        extra: { workers: this.workers },
      },
      this.endpoints,
    );
    this.closers.push(...closers);
  }

  /** The merged self-metrics page: every live worker's, plus the primary's own. */
  private async collect(): Promise<string> {
    const pages = await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<string>((resolve) => {
            const w = slot.worker;
            if (w === undefined || !slot.ready || !w.isConnected()) return resolve('');
            const id = ++this.collectId;
            const timer = setTimeout(() => {
              this.pendingCollects.delete(id);
              resolve('');
            }, COLLECT_TIMEOUT_MS);
            this.pendingCollects.set(id, (text) => {
              clearTimeout(timer);
              if (w.process.pid !== undefined) this.pages.set(w.process.pid, text);
              resolve(text);
            });
            this.send(w, { type: 'collect', id });
          }),
      ),
    );
    return mergePrometheus([...this.retired, ...pages, this.metrics.render()]);
  }

  private fork(slot: Slot): void {
    slot.ready = false;
    slot.lastStart = Date.now();
    const w = cluster.fork({ [WORKER_INDEX_ENV]: String(slot.index), [WORKER_COUNT_ENV]: String(this.workers) });
    slot.worker = w;
    const pid = w.process.pid ?? -1;
    this.log.info('worker started', { worker: slot.index, pid });
    w.on('message', (m: FromWorker) => this.onMessage(slot, w, m));
    // A message to a worker that is exiting (EPIPE): it is gone, and its exit is handled below.
    w.on('error', (err) => this.log.debug('cannot reach a worker', { worker: slot.index, error: err.message }));
    w.on('exit', (code, signal) => {
      slot.ready = false;
      for (const m of this.merger.values()) m.forget(pid);
      // Its counters stay in the merged page (as last seen), so that they never go down.
      const last = this.pages.get(pid);
      this.pages.delete(pid);
      if (last !== undefined) this.retired.push(countersOnly(last));
      if (this.retired.length > 32) this.retired.splice(0, this.retired.length - 32, mergePrometheus(this.retired.slice(0, this.retired.length - 32)));
      if (this.stopping) return;
      if (this.readyWaiters !== undefined && this.startedAt === undefined && slot.worker === w) {
        // Its last message (why it failed) comes before its channel closes: wait for that.
        const fail = () => this.readyWaiters?.reject(new Error(slot.failure ?? `worker ${slot.index} exited before it was ready (code ${code ?? signal})`));
        if (w.isConnected()) w.once('disconnect', fail);
        else fail();
        return;
      }
      slot.crashes = Date.now() - slot.lastStart < 10_000 ? slot.crashes + 1 : 0;
      const delay = Math.min(10_000, RESTART_DELAY_MS * 2 ** slot.crashes);
      this.log.error('worker exited unexpectedly; replacing it', { worker: slot.index, code, signal, restart_in: `${delay}ms` });
      setTimeout(() => {
        if (!this.stopping) this.fork(slot);
      }, delay).unref();
    });
  }

  /** The current policies, for a worker that is listening (before it starts its receivers). */
  private sendPolicies(w: Worker): void {
    for (const pc of this.processorConfigs()) {
      for (const p of pc.providers) {
        const s = this.sets.get(`${pc.id}\0${p.id}`);
        this.send(w, { type: 'policies', processor: pc.id, provider: p.id, set: s?.set, error: s?.error });
      }
    }
  }

  private onMessage(slot: Slot, w: Worker, m: FromWorker): void {
    switch (m.type) {
      case 'hello':
        // A worker that comes up while the service stops (a replacement) is told to stop instead.
        if (this.stopping) return this.send(w, { type: 'shutdown' });
        this.send(w, { type: 'config', text: this.configText, dir: this.configDir });
        this.sendPolicies(w);
        return;
      case 'ready':
        if (this.stopping) return this.send(w, { type: 'shutdown' });
        slot.ready = true;
        if (this.startedAt === undefined && this.slots.length === this.workers && this.slots.every((s) => s.ready)) this.readyWaiters?.resolve();
        else if (this.startedAt !== undefined) this.log.info('worker replaced', { worker: slot.index });
        return;
      case 'failed':
        slot.failure = m.message;
        if (this.startedAt === undefined) this.readyWaiters?.reject(new Error(m.message));
        else this.log.error('a replacement worker cannot start', { worker: slot.index, error: m.message });
        return;
      case 'metrics':
        this.pendingCollects.get(m.id)?.(m.text);
        this.pendingCollects.delete(m.id);
        return;
      case 'stats':
        this.merger.get(m.processor)?.update(w.process.pid ?? -1, m.reports);
    }
  }

  private send(w: Worker, m: ToWorker): void {
    if (w.isConnected()) w.send(m);
  }

  private broadcast(m: ToWorker): void {
    for (const s of this.slots) if (s.worker) this.send(s.worker, m);
  }

  /**
   * Stop: every worker drains as a single process does (within
   * `service.shutdown_timeout`), then the providers send their last
   * reports and the endpoints close. Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const exits = this.slots.map(
      (s) =>
        new Promise<void>((resolve) => {
          const w = s.worker;
          if (w === undefined || w.isDead()) return resolve();
          w.once('exit', () => resolve());
          this.send(w, { type: 'shutdown' });
        }),
    );
    const limit = this.config.service.shutdownTimeoutMs;
    const kill = setTimeout(
      () => {
        for (const s of this.slots) if (s.worker && !s.worker.isDead()) s.worker.process.kill('SIGKILL');
      },
      (limit > 0 ? limit : 60_000) + 10_000,
    );
    await Promise.all(exits);
    clearTimeout(kill);
    await Promise.allSettled(this.providers.map((p) => p.instance.shutdown()));
    await Promise.allSettled(this.closers.map((c) => c()));
    this.log.info('Shutdown complete.');
  }

  /** A second signal: every worker exits at once, reporting what it drops. */
  abandon(): void {
    this.stopping = true;
    for (const s of this.slots) if (s.worker) this.send(s.worker, { type: 'abandon' });
  }
}
