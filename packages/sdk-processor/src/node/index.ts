/**
 * `@otel-policy/sdk-processor/node`: policies for services that run NodeSDK
 * (`@opentelemetry/sdk-node`). `withPolicies` wraps a NodeSDK configuration;
 * `policyConfigFromEnv` reads the zero-code path's variables. The zero-code
 * path itself is `@otel-policy/sdk-processor/register`.
 */
export { withPolicies, type PolicyPipelineConfig, type WithPolicies, type WithPoliciesOptions } from './with-policies.js';
export { policyConfigFromEnv, POLICY_ENV } from './policy-source-env.js';
