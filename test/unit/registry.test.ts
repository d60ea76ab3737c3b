/**
 * PolicyRegistry: merging providers, coalesced reloads, and counts of a
 * removed policy kept for its provider's next sync report.
 */
import { describe, expect, it } from 'vitest';
import { PolicyEngine, PolicyRegistry, parsePolicyDocument, type PolicyProvider, type PolicyProviderListener, type PolicySet } from '@otel-policy/core';
import { applyToLogs } from '@otel-policy/adapters';

class ManualProvider implements PolicyProvider {
  listener: PolicyProviderListener | undefined;
  constructor(
    readonly id: string,
    private readonly initial: PolicySet,
  ) {}
  async start(listener: PolicyProviderListener): Promise<void> {
    this.listener = listener;
    listener.onPolicies(this.initial);
  }
  async shutdown(): Promise<void> {}
}

const drop = (id: string, body: string) => ({ id, name: id, log: { match: [{ log_field: 'body', exact: body }], keep: 'none' } });
const logs = (...bodies: string[]) => ({ resourceLogs: [{ scopeLogs: [{ logRecords: bodies.map((b) => ({ body: { stringValue: b } })) }] }] });

describe('PolicyRegistry', () => {
  it('merges providers and reports each provider its own policies', async () => {
    const engine = new PolicyEngine();
    const a = new ManualProvider('a', parsePolicyDocument({ policies: [drop('pa', 'x')] }));
    const b = new ManualProvider('b', parsePolicyDocument({ policies: [drop('pb', 'y')] }));
    const registry = new PolicyRegistry(engine, [a, b]);
    await registry.start();
    const data = logs('x', 'y', 'z');
    applyToLogs(engine, data);
    expect(data.resourceLogs[0].scopeLogs[0].logRecords.map((r) => r.body.stringValue)).toEqual(['z']);
    expect(registry.statusReports('a').map((r) => [r.policyId, r.hits])).toEqual([['pa', 1]]);
    expect(registry.statusReports('b').map((r) => [r.policyId, r.hits])).toEqual([['pb', 1]]);
  });

  it('keeps the counts of a removed policy for its provider', async () => {
    const engine = new PolicyEngine();
    const a = new ManualProvider('a', parsePolicyDocument({ policies: [drop('old', 'x'), drop('stay', 'y')] }));
    const registry = new PolicyRegistry(engine, [a]);
    await registry.start();
    applyToLogs(engine, logs('x', 'x', 'y'));
    a.listener!.onPolicies(parsePolicyDocument({ policies: [drop('stay', 'y')] }));
    await registry.settled();
    const reports = Object.fromEntries(registry.statusReports('a').map((r) => [r.policyId, r.hits]));
    expect(reports).toEqual({ stay: 1, old: 2 });
    // Re-adding the policy starts it afresh and forgets the retired counts.
    a.listener!.onPolicies(parsePolicyDocument({ policies: [drop('old', 'x'), drop('stay', 'y')] }));
    await registry.settled();
    expect(registry.statusReports('a').filter((r) => r.policyId === 'old').map((r) => r.hits)).toEqual([0]);
  });
});
