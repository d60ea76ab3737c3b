/**
 * Every conformance case, in process: a fresh engine per batch (as the
 * reference runs a fresh process), OTLP/JSON adapter, stats as the CLI writes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PolicyEngine, parsePolicyText, type RegexBackend } from '@otel-policy/core';
import { hyperscanBackend } from '@otel-policy/hyperscan';
import { applyToLogs, applyToMetrics, applyToTraces } from '@otel-policy/adapters';
import { canonical, listCases, mergeStats, normalize, providerStats, readJson, type StatsEntry } from './support/conformance.js';

const cases = listCases();

/**
 * The Hyperscan backend on every value, however short, and for single
 * patterns too (the corpus's would otherwise go the default way). Where its addon is not built this is
 * re2js again, which the suite's name then says.
 */
function everyValueThroughHyperscan(): RegexBackend {
  const hs = hyperscanBackend();
  return { name: hs.name, notice: hs.notice, routing: hs.routing && { ...hs.routing, shortValueLength: 0, minPatterns: 0 }, compile: (p, ci) => hs.compile(p, ci) };
}

const hyperscan = everyValueThroughHyperscan();

describe('conformance (in process)', () => {
  it('has the corpus', () => {
    expect(cases.length).toBeGreaterThan(150);
  });
  suite(undefined);
});

describe(`conformance (in process, hyperscan requested: ${hyperscan.name} backend)`, () => {
  suite(hyperscan);
});

function suite(regexBackend: RegexBackend | undefined): void {
  for (const c of cases) {
    it(c.name, () => {
      const set = parsePolicyText(readFileSync(c.policiesFile, 'utf8'));
      const perBatch: { policies: StatsEntry[] }[] = [];
      let errorsSeen: StatsEntry[] = [];
      let hitsTotal = new Map<string, number>();
      for (const b of c.batches) {
        const engine = new PolicyEngine({ policies: set, regexBackend });
        const data = readJson(b.input) as Record<string, unknown>;
        if (b.signal === 'log') applyToLogs(engine, data);
        else if (b.signal === 'metric') applyToMetrics(engine, data);
        else applyToTraces(engine, data);
        expect(normalize(JSON.parse(JSON.stringify(data)))).toEqual(normalize(readJson(b.expected)));
        const stats = engine.stats();
        perBatch.push({
          policies: stats
            .filter((s) => s.hits > 0 || s.misses > 0)
            .map((s) => (s.misses > 0 ? { policy_id: s.policyId, hits: s.hits, misses: s.misses } : { policy_id: s.policyId, hits: s.hits })),
        });
        errorsSeen = stats.filter((s) => s.errors.length > 0).map((s) => ({ policy_id: s.policyId, errors: [...s.errors] }));
        for (const s of stats) hitsTotal.set(s.policyId, (hitsTotal.get(s.policyId) ?? 0) + s.hits);
      }
      const expectedStats = readJson(`${c.dir}/expected_stats.json`) as { policies: StatsEntry[] };
      if (c.providerOnly) {
        // Errors travel through sync; compare what a sync server would see.
        const got = [...hitsTotal].map(([policy_id, hits]) => ({ policy_id, hits, errors: errorsSeen.find((e) => e.policy_id === policy_id)?.errors }));
        expect(providerStats({ policies: got })).toEqual(providerStats(expectedStats));
      } else if (c.batched) {
        expect(canonical(mergeStats(perBatch))).toEqual(canonical(mergeStats([expectedStats])));
      } else {
        expect(canonical(perBatch[0])).toEqual(canonical(expectedStats));
      }
    });
  }
}
