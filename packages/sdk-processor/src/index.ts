/**
 * @otel-policy/sdk-processor: Tero policies inside the OpenTelemetry JS SDK.
 */
export { PolicyHandle, openPolicies, diagEngineLogger, type PolicyConfig, type PolicySource } from './policy-source.js';
export { registerStatsMetrics } from './stats-metrics.js';
