/**
 * Backends that can compile off the event loop: an asynchronous load uses
 * their compileAsync, a synchronous one their compile, and a failed
 * compileAsync is redone synchronously.
 */
import { describe, expect, it } from 'vitest';
import { PolicyEngine, Re2jsBackend, type RegexBackend, type RegexMatcher } from '@otel-policy/core';
import { applyToLogs } from '@otel-policy/adapters';

function counting(failAsync = false) {
  const inner = new Re2jsBackend();
  const calls = { sync: 0, async: 0 };
  const backend: RegexBackend = {
    name: 'counting',
    // Everything through the backend, so every policy below reaches it.
    routing: { prefilter: false, literals: true, shardSize: 1000 },
    compile(p, ci) {
      calls.sync++;
      return inner.compile(p, ci);
    },
    async compileAsync(p, ci): Promise<RegexMatcher> {
      calls.async++;
      await new Promise((r) => setImmediate(r));
      if (failAsync) throw new Error('native compiler unavailable');
      return inner.compile(p, ci);
    },
  };
  return { backend, calls };
}

const policies = JSON.stringify({
  policies: [
    { id: 'a', name: 'a', log: { match: [{ log_field: 'body', regex: 'timeout after \\d+ms' }], keep: 'none' } },
    { id: 'b', name: 'b', log: { match: [{ log_field: 'body', contains: 'DEBUG', case_insensitive: true }], keep: 'none' } },
    { id: 'c', name: 'c', log: { match: [{ log_attribute: 'http.route', starts_with: '/internal' }], keep: 'none' } },
  ],
});

/** An OTLP/JSON logs payload with these bodies (and one attribute). */
function payload(lines: [string, string][]) {
  return {
    resourceLogs: [
      {
        resource: { attributes: [] },
        scopeLogs: [
          {
            scope: { name: 't' },
            logRecords: lines.map(([body, route]) => ({ body: { stringValue: body }, attributes: [{ key: 'http.route', value: { stringValue: route } }] })),
          },
        ],
      },
    ],
  };
}

const LINES: [string, string][] = [
  ['rpc timeout after 250ms', '/api'],
  ['a debug line', '/api'],
  ['fine', '/internal/healthz'],
  ['fine too', '/api'],
  ['TIMEOUT AFTER 5ms', '/api'],
];

function kept(engine: PolicyEngine): string[] {
  const data = payload(LINES);
  applyToLogs(engine, data);
  return (data.resourceLogs[0]?.scopeLogs[0]?.logRecords ?? []).map((r) => r.body.stringValue);
}

describe('asynchronous compilation by the backend', () => {
  it('loadAsync compiles through compileAsync, load through compile', async () => {
    const { backend, calls } = counting();
    const engine = new PolicyEngine({ regexBackend: backend });
    const r = await engine.loadAsync(policies);
    expect(r.active).toBe(3);
    expect(calls.async).toBe(3); // body (case-sensitive), body (case-insensitive), http.route
    expect(calls.sync).toBe(0);
    engine.load(policies);
    expect(calls.sync).toBe(3);
    expect(calls.async).toBe(3);
  });

  it('a compileAsync that fails is redone synchronously, and matching is unaffected', async () => {
    const { backend, calls } = counting(true);
    const engine = new PolicyEngine({ regexBackend: backend });
    await engine.loadAsync(policies);
    expect(calls.async).toBe(3);
    expect(calls.sync).toBe(3);
    expect(kept(engine)).toEqual(['fine too', 'TIMEOUT AFTER 5ms']);
    expect(kept(new PolicyEngine({ policies }))).toEqual(['fine too', 'TIMEOUT AFTER 5ms']);
  });
});
