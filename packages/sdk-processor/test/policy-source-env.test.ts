/** policyConfigFromEnv: the zero-code path's variables, and one clear report for each unusable value. */
import { describe, expect, it } from 'vitest';
import { GrpcPolicyProvider, HttpPolicyProvider } from '@otel-policy/providers';
import { policyConfigFromEnv } from '../src/node/index.js';

function read(env: Record<string, string>) {
  const reports: string[] = [];
  const config = policyConfigFromEnv(env, (m) => reports.push(m));
  return { config, reports };
}

describe('policyConfigFromEnv', () => {
  it('reads a file or directory path (and a file: URL) as a watched local source', () => {
    expect(read({ OTEL_POLICY_SOURCE: './policies.yaml' })).toEqual({ config: { policies: './policies.yaml', whileLoading: undefined, holdTimeoutMs: undefined }, reports: [] });
    expect(read({ OTEL_POLICY_SOURCE: 'file:///etc/policies/' }).config?.policies).toBe('/etc/policies/');
  });

  it('builds an HTTP or gRPC sync provider with the token, interval, cache and hold settings', async () => {
    const http = read({
      OTEL_POLICY_SOURCE: 'https://policies.example.com/v1/policy/sync',
      OTEL_POLICY_TOKEN: 't0k',
      OTEL_POLICY_SYNC_INTERVAL: '30',
      OTEL_POLICY_CACHE: '/var/cache/policies.json',
      OTEL_POLICY_WHILE_LOADING: 'drop',
      OTEL_POLICY_HOLD_TIMEOUT: '2500',
    });
    expect(http.reports).toEqual([]);
    expect(http.config?.policies).toBeInstanceOf(HttpPolicyProvider);
    expect(http.config).toMatchObject({ whileLoading: 'drop', holdTimeoutMs: 2500 });
    const grpc = read({ OTEL_POLICY_SOURCE: 'grpc://127.0.0.1:4320' });
    expect(grpc.config?.policies).toBeInstanceOf(GrpcPolicyProvider);
  });

  it('reports, once each, what it cannot use, and falls back (unfiltered, or the default)', () => {
    expect(read({}).reports).toEqual(['OTEL_POLICY_SOURCE is not set: telemetry is exported unfiltered']);
    const bad = read({ OTEL_POLICY_SOURCE: 'ftp://x/y' });
    expect(bad.config).toBeUndefined();
    expect(bad.reports[0]).toContain('unknown scheme');
    const numbers = read({ OTEL_POLICY_SOURCE: 'p.yaml', OTEL_POLICY_HOLD_TIMEOUT: 'soon', OTEL_POLICY_WHILE_LOADING: 'wait' });
    expect(numbers.config).toMatchObject({ policies: 'p.yaml', holdTimeoutMs: undefined, whileLoading: undefined });
    expect(numbers.reports).toEqual(['OTEL_POLICY_WHILE_LOADING="wait" is not hold, pass or drop; using hold', 'OTEL_POLICY_HOLD_TIMEOUT="soon" is not a whole number >= 0; using the default']);
  });
});
