import type { MeterProvider } from '@opentelemetry/api';
import type { PolicyEngine } from '@otel-policy/core';

/**
 * Expose per-policy counters as an observable counter
 * `otel_policy.records{policy_id, outcome}` (outcome `hit` or `miss`), read
 * from the engine at each collection: no work on the record path.
 */
export function registerStatsMetrics(engine: PolicyEngine, meterProvider: MeterProvider): void {
  const meter = meterProvider.getMeter('@otel-policy/sdk-processor');
  const counter = meter.createObservableCounter('otel_policy.records', {
    description: 'Records matched by each policy: hit when the outcome agreed with the policy, miss when a more restrictive policy overrode it',
    unit: '{record}',
  });
  counter.addCallback((result) => {
    for (const s of engine.stats()) {
      if (s.hits === 0 && s.misses === 0) continue;
      result.observe(s.hits, { policy_id: s.policyId, outcome: 'hit' });
      result.observe(s.misses, { policy_id: s.policyId, outcome: 'miss' });
    }
  });
}
