import { diag, type DiagLogger, type MeterProvider } from '@opentelemetry/api';
import {
  PolicyEngine,
  PolicyRegistry,
  parsePolicyDocument,
  type EngineLogger,
  type PolicyProvider,
  type PolicySet,
  type RegexBackend,
} from '@otel-policy/core';
import { FilePolicyProvider } from '@otel-policy/providers';
import { registerStatsMetrics } from './stats-metrics.js';

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
}

/** A set from parsePolicyText/parsePolicyDocument (its policies carry their parse problems) rather than a raw document. */
const isParsedSet = (v: { policies: readonly unknown[] }): v is PolicySet =>
  v.policies.length > 0 && v.policies.every((p) => typeof p === 'object' && p !== null && Array.isArray((p as { problems?: unknown }).problems));

const isProvider = (v: unknown): v is PolicyProvider =>
  typeof v === 'object' && v !== null && typeof (v as PolicyProvider).start === 'function' && typeof (v as PolicyProvider).shutdown === 'function';

/** Routes the engine's reports to the OpenTelemetry diag logger. */
export function diagEngineLogger(logger: DiagLogger = diag.createComponentLogger({ namespace: '@otel-policy/sdk-processor' })): EngineLogger {
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
 */
export class PolicyHandle {
  readonly engine: PolicyEngine;
  /** Resolves once every provider made its first attempt and the result is installed. */
  readonly ready: Promise<void>;
  private readonly registry: PolicyRegistry | undefined;
  private closed = false;

  /** @internal use {@link openPolicies} */
  constructor(source: Exclude<PolicySource, PolicyHandle>, config: Omit<PolicyConfig, 'policies'> = {}) {
    const logger = diagEngineLogger();
    this.engine = new PolicyEngine({ logger, regexBackend: config.regexBackend });
    let providers: PolicyProvider[] = [];
    if (typeof source === 'string') providers = [new FilePolicyProvider({ path: source })];
    else if (Array.isArray(source)) providers = [...(source as PolicyProvider[])];
    else if (isProvider(source)) providers = [source];
    else {
      const doc = source as PolicySet | { policies: readonly unknown[] };
      this.engine.load(isParsedSet(doc) ? doc : parsePolicyDocument(doc));
    }
    if (providers.length) {
      this.registry = new PolicyRegistry(this.engine, providers, {}, (id, err) =>
        logger.warn(`policy provider ${JSON.stringify(id)} failed; keeping the last good policies: ${err.message}`),
      );
      this.ready = this.registry.start().catch((err: Error) => logger.error(`policy providers failed to start: ${err.message}`));
    } else this.ready = Promise.resolve();
    if (config.meterProvider) registerStatsMetrics(this.engine, config.meterProvider);
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

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.registry?.shutdown();
  }
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
  if (config.policies instanceof PolicyHandle) return { handle: config.policies, owned: false };
  return { handle: new PolicyHandle(config.policies, config), owned: true };
}
