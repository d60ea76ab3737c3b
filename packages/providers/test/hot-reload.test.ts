/**
 * Hot reload through the registry: records stream (a setImmediate loop)
 * while the policy file is rewritten many times, alternating between two
 * sets. Every record must be evaluated exactly once against one complete
 * set, every batch against a single set, and the last set written must end
 * up in force.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyEngine, PolicyRegistry } from '@otel-policy/core';
import { applyToLogs } from '@otel-policy/adapters';
import { FilePolicyProvider } from '@otel-policy/providers';
import { waitFor } from './helpers.js';

const work = mkdtempSync(path.join(tmpdir(), 'otel-policy-reload-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type SetName = 'A' | 'B';

/** Set A drops "alpha" and marks what it keeps with set=A; set B drops "beta" and marks with set=B. */
function policySet(name: SetName): string {
  const drop = name === 'A' ? 'alpha' : 'beta';
  return JSON.stringify({
    policies: [
      { id: `mark-${name}`, log: { match: [{ log_field: 'body', exists: true }], keep: 'all', transform: { add: [{ log_attribute: 'set', value: name }] } } },
      { id: `drop-${name}`, log: { match: [{ log_field: 'body', contains: drop }], keep: 'none' } },
    ],
  });
}

const BODIES = ['alpha', 'beta', 'gamma', 'delta'];

/** What a set does to each body: dropped, or kept with its marker. Every body tells the two sets apart. */
function expected(name: SetName, body: string): string {
  if (body === (name === 'A' ? 'alpha' : 'beta')) return 'dropped';
  return `kept:${name}`;
}

function payload(batch: number) {
  return {
    resourceLogs: [
      {
        scopeLogs: [
          {
            logRecords: BODIES.map((b) => ({ body: { stringValue: b }, attributes: [{ key: 'batch', value: { intValue: String(batch) } }] })),
          },
        ],
      },
    ],
  };
}

describe('hot reload through the registry', () => {
  it.each(['replaced by rename', 'rewritten in place'] as const)('evaluates every record once against one complete set while the file is %s', async (how) => {
    const file = path.join(work, `policies-${how.split(' ')[0]}.json`);
    const write = (name: SetName) => {
      if (how === 'rewritten in place') {
        // Truncate then write: a reader can catch the file empty, which must not be taken for "no policies".
        writeFileSync(file, policySet(name));
        return;
      }
      // Write then rename, as editors and config tools do: a reader never sees half a file.
      const tmp = `${file}.${name}.tmp`;
      writeFileSync(tmp, policySet(name));
      renameSync(tmp, file);
    };
    write('A');
    const engine = new PolicyEngine();
    // A short settle interval, so that in-place rewrites (which must hold still that long) reload while
    // records stream; truncate-then-write inside one writeFileSync never pauses for 20 ms.
    const provider = new FilePolicyProvider({ path: file, debounceMs: 5, pollIntervalSecs: 0.05, settleMs: 20 });
    const errors: Error[] = [];
    const registry = new PolicyRegistry(engine, [provider], { sliceMs: 1 }, (_id, err) => errors.push(err));
    await registry.start();

    const seen: { batch: number; set: SetName }[] = [];
    const problems: string[] = [];
    let evaluated = 0;
    let batch = 0;
    let stop = false;
    const MAX_BATCHES = 200_000;
    const loop = new Promise<void>((resolve) => {
      const tick = () => {
        if (stop || batch >= MAX_BATCHES) {
          resolve();
          return;
        }
        const n = batch++;
        const data = payload(n);
        const outcome = applyToLogs(engine, data as never);
        evaluated += outcome.total;
        const kept = new Map(data.resourceLogs[0].scopeLogs[0].logRecords.map((r) => [r.body.stringValue, r.attributes.find((a) => a.key === 'set')?.value] as const));
        const outcomes = BODIES.map((b) => (kept.has(b) ? `kept:${(kept.get(b) as { stringValue?: string } | undefined)?.stringValue ?? '-'}` : 'dropped'));
        // Per record: consistent with exactly one of the two sets.
        const perRecord = outcomes.map((o, i) => (['A', 'B'] as const).filter((s) => expected(s, BODIES[i]) === o));
        if (perRecord.some((m) => m.length !== 1)) problems.push(`batch ${n}: ${outcomes.join(', ')}`);
        // Per batch: every record saw the same set.
        const sets = new Set(perRecord.flat());
        if (sets.size !== 1) problems.push(`batch ${n} mixes sets: ${outcomes.join(', ')}`);
        else seen.push({ batch: n, set: [...sets][0] });
        setImmediate(tick);
      };
      setImmediate(tick);
    });

    const REWRITES = 40;
    let last: SetName = 'A';
    for (let i = 0; i < REWRITES; i++) {
      last = i % 2 === 0 ? 'B' : 'A';
      write(last);
      // Let a few batches and (usually) a reload happen between rewrites.
      // (in place: some gaps are longer than the settle interval).
      await new Promise((r) => setTimeout(r, 15 + (i % 3) * 15));
    }
    last = 'B';
    write(last);
    await waitFor(() => seen.length > 0 && seen[seen.length - 1].set === last, 15_000, 'the last set to be in force');
    const batchesAtFinal = batch;
    await waitFor(() => batch >= batchesAtFinal + 50, 15_000, 'more batches');
    stop = true;
    await loop;
    await registry.settled();
    await registry.shutdown();

    expect(problems.slice(0, 5)).toEqual([]);
    expect(errors).toEqual([]);
    expect(evaluated).toBe(batch * BODIES.length);
    expect(seen.length).toBe(batch);
    // Both sets were in force at some point while records streamed, and the reloads happened.
    expect(new Set(seen.map((s) => s.set))).toEqual(new Set(['A', 'B']));
    expect(registry.reloads).toBeGreaterThan(2);
    // The last set written stays in force.
    expect(seen.slice(-50).every((s) => s.set === last)).toBe(true);
    expect(engine.stats().map((s) => s.policyId)).toEqual([`drop-${last}`, `mark-${last}`]);
  });
});
