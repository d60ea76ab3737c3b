import { policyDiag } from './diag-logger.js';
import { type DiagLogger, type MeterProvider } from '@opentelemetry/api';
import { PolicyEngine, PolicyRegistry, parsePolicyDocument, type EngineLogger, type PolicyProvider, type PolicySet, type RegexBackend } from '@otel-policy/core';
import { LoadingGate, type PolicyLoadingStats, type WhileLoading } from './loading-gate.js';
import { registerStatsMetrics } from './stats-metrics.js';

export type { PolicyLoadingStats, WhileLoading } from './loading-gate.js';

/**
 * Where a processor's policies come from: a policy file path (JSON or YAML,
 * watched), an inline policy set (`{ policies: [...] }`), one or more
 * providers, or a {@link PolicyHandle} shared between processors.
 */
export type PolicySource = string | PolicySet | { policies: readonly unknown[] } | PolicyProvider | readonly PolicyProvider[] | PolicyHandle;

/** Options shared by every policy processor and exporter. */
export interface PolicyConfig {
  policies: PolicySource;
  /** Export per-policy counters as `otel_policy.records{policy_id,outcome}` through this MeterProvider. */
  meterProvider?: MeterProvider;
  /** Regex engine for the policies (re2js by default). */
  regexBackend?: RegexBackend;
  /**
   * Records that arrive before the first set of a source with nothing local
   * to read (an HTTP or gRPC sync server without a cache) is installed
   * (default `hold`). Files, directories, caches and inline sets are loaded
   * synchronously at construction: no wait. (In a browser, a set with
   * regexes waits for the regex engine, loaded on first need, the same way.)
   */
  whileLoading?: WhileLoading;
  /**
   * Longest wait for the first set in `hold` mode, in ms from the policies'
   * creation (default 5000). Then the held records, and later ones until the
   * set arrives, pass unfiltered (fail-open), with one diag warning. (`drop`
   * and `pass` last until the set arrives.) Longer than 2^31 - 1 ms (about 24.8
   * days, the longest a timer waits), `Infinity` included, holds that long.
   */
  holdTimeoutMs?: number;
  /** Most records held (all processors of the policies together) before giving up the same way (default 5000). */
  holdMaxRecords?: number;
  /** Where problems with the policies are reported (default: the OpenTelemetry `diag` logger). */
  logger?: DiagLogger;
}

/** Opens a policy file path as a provider (set by the Node entry; none in a browser). */
let fileSource: ((path: string) => PolicyProvider) | undefined;

/** @internal The Node entry registers how a file path becomes a provider (file-source.ts). */
export function useFileSource(open: (path: string) => PolicyProvider): void {
  fileSource = open;
}

const DEFAULT_HOLD_TIMEOUT_MS = 5000;
const DEFAULT_HOLD_MAX_RECORDS = 5000;

/** A set from parsePolicyText/parsePolicyDocument (its policies carry their parse problems) rather than a raw document. */
const isParsedSet = (v: { policies: readonly unknown[] }): v is PolicySet =>
  v.policies.length > 0 && v.policies.every((p) => typeof p === 'object' && p !== null && Array.isArray((p as { problems?: unknown }).problems));

const isProvider = (v: unknown): v is PolicyProvider =>
  typeof v === 'object' && v !== null && typeof (v as PolicyProvider).start === 'function' && typeof (v as PolicyProvider).shutdown === 'function';

/** Routes the engine's reports to the OpenTelemetry diag logger. */
export function diagEngineLogger(logger: DiagLogger = policyDiag): EngineLogger {
  return {
    error: (m, ...a) => logger.error(m, ...a),
    warn: (m, ...a) => logger.warn(m, ...a),
    info: (m, ...a) => logger.info(m, ...a),
    debug: (m, ...a) => logger.debug(m, ...a),
  };
}

/**
 * A policy engine fed by its sources: what processors evaluate against.
 * Create one with {@link openPolicies} to share it between a log, span and
 * metric processor (one file watch, one set of stats).
 *
 * Startup: inline sets, and sources that can be read synchronously (policy
 * files and directories, a sync provider's last-known-good cache), are
 * installed before the constructor returns, so that the very first record
 * is evaluated. Until a source with nothing local (a sync server) delivers
 * its first set, processors act per {@link PolicyConfig.whileLoading}: by
 * default they hold records, bounded in time and count, and evaluate them in
 * order once the set is installed.
 */
export class PolicyHandle {
  readonly engine: PolicyEngine;
  /** Resolves once every provider made its first attempt and the result is installed. */
  readonly ready: Promise<void>;
  /**
   * Resolves when processors stop waiting: the first policy set is
   * installed, holding gave up (see {@link PolicyConfig.holdTimeoutMs}), or
   * the handle was shut down. Already resolved when everything loaded
   * synchronously. Never rejects.
   */
  readonly loaded: Promise<void>;
  /** @internal The wait for the first set, shared by this handle's processors. */
  readonly gate: LoadingGate;
  private readonly registry: PolicyRegistry | undefined;
  private readonly diag: DiagLogger;
  private closed = false;
  /** @internal Shut down by the last of the processors using it (see {@link openSharedPolicies}), not by its opener. */
  sharedByUsers = false;
  /** @internal How many processors use a {@link sharedByUsers} handle. */
  users = 0;

  /** @internal use {@link openPolicies} */
  constructor(source: Exclude<PolicySource, PolicyHandle>, config: Omit<PolicyConfig, 'policies'> = {}) {
    this.diag = config.logger ?? policyDiag;
    const logger = diagEngineLogger(this.diag);
    this.gate = new LoadingGate({
      whileLoading: config.whileLoading ?? 'hold',
      holdTimeoutMs: Math.max(0, Number.isNaN(config.holdTimeoutMs) ? DEFAULT_HOLD_TIMEOUT_MS : (config.holdTimeoutMs ?? DEFAULT_HOLD_TIMEOUT_MS)),
      holdMaxRecords: Math.max(1, config.holdMaxRecords ?? DEFAULT_HOLD_MAX_RECORDS),
      diag: this.diag,
    });
    this.loaded = this.gate.ended;
    this.engine = new PolicyEngine({ logger, regexBackend: config.regexBackend });
    let providers: PolicyProvider[] = [];
    let pending: Promise<void> | undefined;
    if (typeof source === 'string') {
      if (fileSource === undefined) throw new TypeError(`a policy file path (${JSON.stringify(source)}) needs Node.js; here, pass the policies inline ({ policies: [...] }) or a provider`);
      providers = [fileSource(source)];
    } else if (Array.isArray(source)) providers = [...(source as PolicyProvider[])];
    else if (isProvider(source)) providers = [source];
    else {
      const doc = source as PolicySet | { policies: readonly unknown[] };
      const set = isParsedSet(doc) ? doc : parsePolicyDocument(doc);
      // In a browser, a set with regexes waits for the regex engine to load, as a remote first set is waited for.
      if (this.engine.canLoadSync(set)) this.engine.load(set);
      else pending = this.engine.loadAsync(set).then(() => undefined);
    }
    if (providers.length) {
      // Each failure once: a provider retrying against a server that keeps answering the same way is not news again
      // until something changed (another failure, or a set installed since).
      const lastReported = new Map<string, { message: string; reloads: number }>();
      const registry: PolicyRegistry = new PolicyRegistry(this.engine, providers, {}, (id, err) => {
        const last = lastReported.get(id);
        if (last !== undefined && last.message === err.message && last.reloads === registry.reloads) return;
        lastReported.set(id, { message: err.message, reloads: registry.reloads });
        logger.warn(`policy provider ${JSON.stringify(id)} failed; ${this.gate.loaded ? 'keeping the last good policies' : 'no policies installed yet'}: ${err.message}`);
      });
      this.registry = registry;
      // start() installs what can be read synchronously before it returns.
      this.ready = registry.start().catch((err: Error) => logger.error(`policy providers failed to start: ${err.message}`));
      if (registry.hasFirstSet) this.gate.markLoaded();
      else this.gate.wait(registry.firstSet);
    } else if (pending) {
      // A failure is reported once, by the gate giving up (with what held records became).
      this.ready = pending.then(
        () => undefined,
        () => undefined,
      );
      this.gate.wait(pending);
    } else {
      this.ready = Promise.resolve();
      this.gate.markLoaded();
    }
    if (config.meterProvider) registerStatsMetrics(this.engine, config.meterProvider);
  }

  /**
   * Whether processors are still waiting for the first policy set (neither
   * installed nor given up): they hold, drop or pass records per
   * {@link PolicyConfig.whileLoading}.
   */
  get loading(): boolean {
    return this.gate.loading;
  }

  /** How the wait for the first policy set went: whether it arrived, and what happened to records meanwhile. */
  loadingStats(): PolicyLoadingStats {
    return this.gate.stats();
  }

  /** Per-policy counters and errors, in ID order. */
  stats() {
    return this.engine.stats();
  }

  /** Wait until pending policy reloads are installed. */
  async settled(): Promise<void> {
    await this.ready;
    await this.registry?.settled();
  }

  /** Stop the sources; processors still holding records release them (nothing more will arrive). */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gate.giveUp('were not loaded before shutdown', true);
    await this.registry?.shutdown();
  }
}

/**
 * @internal A handle for processors to share that shuts down with the last
 * of them (what `withPolicies` builds): nobody else holds it.
 */
export function openSharedPolicies(source: Exclude<PolicySource, PolicyHandle>, config: Omit<PolicyConfig, 'policies'> = {}): PolicyHandle {
  const handle = new PolicyHandle(source, config);
  handle.sharedByUsers = true;
  return handle;
}

/** Open a policy source for sharing between processors; shut it down yourself. */
export function openPolicies(source: Exclude<PolicySource, PolicyHandle>, config: Omit<PolicyConfig, 'policies'> = {}): PolicyHandle {
  return new PolicyHandle(source, config);
}

/**
 * Resolve a processor's config: a handle passed in is shared (and owned by
 * the caller); anything else gets a handle owned by the processor.
 */
export function resolvePolicies(config: PolicyConfig): { handle: PolicyHandle; owned: boolean } {
  if (config.policies instanceof PolicyHandle) {
    const handle = config.policies;
    if (!handle.sharedByUsers) return { handle, owned: false };
    handle.users++;
    return { handle: config.policies, owned: true };
  }
  return { handle: new PolicyHandle(config.policies, config), owned: true };
}

/** Shut down a handle a processor owns: at once, or with the last of the processors that share it. */
export function releasePolicies(handle: PolicyHandle): Promise<void> {
  if (handle.sharedByUsers && --handle.users > 0) return Promise.resolve();
  return handle.shutdown();
}
