/**
 * The `policy` processor: a PolicyEngine fed by the configured providers
 * through a PolicyRegistry (hot reload: a provider's new set is compiled in
 * slices and swapped in atomically while records keep flowing), applied to
 * each payload in place through the OTLP/JSON adapter.
 */
import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { BatchOutcome } from '@otel-policy/adapters';
import { loadNodeRe2Backend, PolicyEngine, PolicyRegistry, type PolicyProvider, type PolicyProviderListener, type PolicyStatusReport } from '@otel-policy/core';
import { regexBackendNamed } from '@otel-policy/hyperscan';
import { FilePolicyProvider, GrpcPolicyProvider, HttpPolicyProvider, JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE, type ClientMetadataOptions } from '@otel-policy/providers';
import type { PolicyProcessorConfig, ProviderConfig } from '../config/config.js';
import { engineLogger, type Logger } from '../logger.js';
import type { Payload } from '../otlp/payload.js';
import type { SignalType } from '@otel-policy/proto';
import type { MetricsRegistry } from '../telemetry/metrics.js';

/** Result labels of `processor_policy_records`, as the Tero processor names them. */
export type RecordResult = 'dropped' | 'kept' | 'no_match' | 'sampled' | 'transformed';

export interface PolicyProcessorContext {
  logger: Logger;
  metrics: MetricsRegistry;
  /** `service.telemetry.resource`: who this service is, for sync servers. */
  resource: Record<string, string>;
  /** Makes the providers (default: the configured file, HTTP and gRPC providers; a worker gets stand-ins fed by its primary). */
  createProvider?: (p: ProviderConfig, config: PolicyProcessorConfig) => PolicyProvider;
}

type Handle = { add(n: number): void };

/** Reports a provider's deliveries to the log while passing them on. */
class LoggedProvider implements PolicyProvider {
  constructor(
    private readonly inner: PolicyProvider,
    private readonly log: Logger,
  ) {}
  get id(): string {
    return this.inner.id;
  }
  start(listener: PolicyProviderListener): Promise<void> {
    return this.inner.start({
      onPolicies: (set) => {
        this.log.info('policies received', { provider: this.inner.id, policies: set.policies.length });
        listener.onPolicies(set);
      },
      onError: (err) => listener.onError?.(err),
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  setStatsSource(source: () => PolicyStatusReport[]): void {
    this.inner.setStatsSource?.(source);
  }
}

export class PolicyProcessor {
  readonly engine: PolicyEngine;
  readonly registry: PolicyRegistry;
  private readonly log: Logger;
  private readonly counts: Record<SignalType, Record<RecordResult, Handle>>;

  constructor(
    readonly config: PolicyProcessorConfig,
    ctx: PolicyProcessorContext,
  ) {
    this.log = ctx.logger.with({ kind: 'processor', name: config.id });
    this.engine = new PolicyEngine({ regexBackend: regexBackendNamed(config.regexBackend, loadNodeRe2Backend), logger: engineLogger(this.log) });
    const providerErrors = ctx.metrics.counter('processor_policy_provider_errors', 'Failed policy fetches or parses, by provider (the last good set stays in force)');
    const make = ctx.createProvider ?? ((p: ProviderConfig, c: PolicyProcessorConfig) => createProvider(p, c, ctx.resource));
    const providers = config.providers.map((p) => new LoggedProvider(make(p, config), this.log));
    this.registry = new PolicyRegistry(this.engine, providers, {}, (providerId, err) => {
      providerErrors.add(this.labels({ provider: providerId }));
      this.log.error('policy provider error; keeping its last good policies', { provider: providerId, error: err.message });
    });

    const records = ctx.metrics.counter('processor_policy_records', 'Records processed by the policy processor, by telemetry_type and result (dropped, kept, no_match, sampled, transformed)');
    const bind = (signal: SignalType): Record<RecordResult, Handle> => {
      const h = (result: RecordResult) => records.bind(this.labels({ telemetry_type: signal, result }));
      return { dropped: h('dropped'), kept: h('kept'), no_match: h('no_match'), sampled: h('sampled'), transformed: h('transformed') };
    };
    this.counts = { logs: bind('logs'), traces: bind('traces'), metrics: bind('metrics') };

    const perPolicy = (pick: (s: { hits: number; misses: number }) => number) =>
      function* (this: PolicyProcessor): Iterable<[Record<string, string>, number]> {
        for (const s of this.engine.stats()) yield [this.labels({ policy_id: s.policyId }), pick(s)];
      }.bind(this);
    ctx.metrics.collected(
      'processor_policy_hits',
      'Records a policy matched whose fate agreed with its keep, since the policy was last (re)defined',
      'counter',
      perPolicy((s) => s.hits),
    );
    ctx.metrics.collected(
      'processor_policy_misses',
      'Records a policy matched that a more restrictive policy decided otherwise, since the policy was last (re)defined',
      'counter',
      perPolicy((s) => s.misses),
    );
    ctx.metrics.collected('processor_policy_policies', 'Policies known to the processor, by state (active, invalid)', 'gauge', () => {
      const stats = this.engine.stats();
      const invalid = stats.filter((s) => s.errors.length > 0).length;
      return [
        [this.labels({ state: 'active' }), stats.length - invalid],
        [this.labels({ state: 'invalid' }), invalid],
      ];
    });
    ctx.metrics.collected('processor_policy_reloads', 'Policy sets compiled and installed', 'counter', () => [[this.labels({}), this.registry.reloads]]);
    ctx.metrics.collected('processor_policy_internal_errors', 'Evaluations that failed internally and let the record through unmodified', 'counter', () => [
      [this.labels({}), this.engine.internalErrors],
    ]);
  }

  /** Our labels, plus the processor's ID when it is not the plain `policy`. */
  private labels(l: Record<string, string>): Record<string, string> {
    return this.config.id === 'policy' ? l : { ...l, processor: this.config.id };
  }

  /** Start the providers; resolves once each has made its first attempt and the result is installed. */
  async start(): Promise<void> {
    await this.registry.start();
    const stats = this.engine.stats();
    const invalid = stats.filter((s) => s.errors.length > 0);
    this.log.info('policy processor started', { providers: this.config.providers.length, policies: stats.length, invalid: invalid.length });
    for (const s of invalid) this.log.warn('invalid policy is inert', { policy: s.policyId, errors: s.errors.join('; ') });
  }

  /** Apply the policies to a payload in place; returns what happened to its records. */
  process(payload: Payload): BatchOutcome {
    const signal = payload.signal;
    const records = payload.records;
    const c = this.counts[signal];
    const snapshot = this.engine.snapshot;
    const evaluator = signal === 'logs' ? snapshot.log : signal === 'traces' ? snapshot.trace : snapshot.metric;
    if (evaluator.compiled.policies.length === 0) {
      // Nothing to evaluate: every record passes untouched.
      const outcome = new BatchOutcome();
      outcome.total = outcome.noMatch = records;
      if (records) c.no_match.add(records);
      return outcome;
    }
    const outcome = payload.applyPolicies(this.engine);
    if (outcome.noMatch) c.no_match.add(outcome.noMatch);
    if (outcome.kept) c.kept.add(outcome.kept);
    // A kept span that was modified had its sampling threshold written: it was sampled.
    if (outcome.modified) (signal === 'traces' ? c.sampled : c.transformed).add(outcome.modified);
    const removed = outcome.removed;
    if (removed) c.dropped.add(removed);
    return outcome;
  }

  async shutdown(): Promise<void> {
    await this.registry.shutdown();
  }
}

function clientMetadata(config: PolicyProcessorConfig, resource: Record<string, string>): ClientMetadataOptions {
  const m = config.serviceMetadata;
  const rest = { ...resource };
  for (const k of ['service.name', 'service.namespace', 'service.instance.id', 'service.version']) delete rest[k];
  return {
    serviceName: m.serviceName ?? resource['service.name'] ?? 'otel-policy-collector',
    serviceNamespace: m.serviceNamespace ?? resource['service.namespace'],
    serviceInstanceId: m.serviceInstanceId ?? resource['service.instance.id'],
    serviceVersion: m.serviceVersion ?? resource['service.version'],
    resourceAttributes: rest,
  };
}

/** The provider a policy processor's `providers` entry configures. */
export function createProvider(p: ProviderConfig, config: PolicyProcessorConfig, resource: Record<string, string>): PolicyProvider {
  switch (p.type) {
    case 'file':
      return new FilePolicyProvider({ id: p.id, path: p.path, pollIntervalSecs: p.pollIntervalSecs });
    case 'http':
      return new HttpPolicyProvider({
        id: p.id,
        url: p.url,
        headers: p.headers,
        pollIntervalSecs: p.pollIntervalSecs,
        contentType: p.contentType === 'protobuf' ? PROTOBUF_CONTENT_TYPE : p.contentType === 'json' ? JSON_CONTENT_TYPE : undefined,
        clientMetadata: clientMetadata(config, resource),
      });
    case 'grpc':
      return new GrpcPolicyProvider({
        id: p.id,
        target: p.target,
        metadata: p.headers,
        credentials: p.secure ? grpcCredentials.createSsl() : undefined,
        pollIntervalSecs: p.pollIntervalSecs,
        clientMetadata: clientMetadata(config, resource),
      });
  }
}
