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
    expect(
      registry
        .statusReports('a')
        .filter((r) => r.policyId === 'old')
        .map((r) => r.hits),
    ).toEqual([0]);
  });

  it('installs what providers read synchronously before start() returns, and waits for the others', async () => {
    const engine = new PolicyEngine();
    const local: PolicyProvider = {
      id: 'local',
      loadSync: () => parsePolicyDocument({ policies: [drop('pl', 'x')] }),
      start: async () => {},
      shutdown: async () => {},
    };
    const remote = new ManualProvider('remote', parsePolicyDocument({ policies: [drop('pr', 'y')] }));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slowRemote: PolicyProvider = {
      id: 'remote',
      start: async (listener) => {
        await gate;
        await remote.start(listener);
      },
      shutdown: async () => {},
    };
    const registry = new PolicyRegistry(engine, [local, slowRemote]);
    const started = registry.start();
    // No await: the local set is in force already.
    const data = logs('x', 'y', 'z');
    applyToLogs(engine, data);
    expect(data.resourceLogs[0].scopeLogs[0].logRecords.map((r) => r.body.stringValue)).toEqual(['y', 'z']);
    expect(registry.hasFirstSet).toBe(false);
    let first = false;
    void registry.firstSet.then(() => (first = true));
    await Promise.resolve();
    expect(first).toBe(false);
    release();
    await started;
    expect(registry.hasFirstSet).toBe(true);
    expect(first).toBe(true);
    const after = logs('x', 'y', 'z');
    applyToLogs(engine, after);
    expect(after.resourceLogs[0].scopeLogs[0].logRecords.map((r) => r.body.stringValue)).toEqual(['z']);
    expect(registry.statusReports('local').map((r) => r.policyId)).toEqual(['pl']);
  });

  it('a loadSync that throws is reported once and not waited for; undefined means wait for start', async () => {
    const engine = new PolicyEngine();
    const errors: string[] = [];
    const broken: PolicyProvider = {
      id: 'broken',
      loadSync: () => {
        throw new Error('ENOENT: policies.yaml');
      },
      start: async () => {},
      shutdown: async () => {},
    };
    const good: PolicyProvider = { id: 'good', loadSync: () => parsePolicyDocument({ policies: [drop('pg', 'x')] }), start: async () => {}, shutdown: async () => {} };
    const registry = new PolicyRegistry(engine, [broken, good], {}, (id, err) => errors.push(`${id}: ${err.message}`));
    expect(registry.loadSync()).toBe(true);
    expect(registry.hasFirstSet).toBe(true);
    await registry.start();
    expect(errors).toEqual(['broken: ENOENT: policies.yaml']);
    expect(engine.stats().map((s) => s.policyId)).toEqual(['pg']);

    const nothingLocal = new ManualProvider('cache', parsePolicyDocument({ policies: [drop('pc', 'x')] }));
    const withCache = Object.assign(nothingLocal, { loadSync: () => undefined });
    const r2 = new PolicyRegistry(new PolicyEngine(), [withCache]);
    expect(r2.loadSync()).toBe(false);
    await r2.start();
    expect(r2.hasFirstSet).toBe(true);
  });
});
