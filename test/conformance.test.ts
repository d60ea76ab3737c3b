/**
 * Every conformance case, in process: a fresh engine per batch (as the
 * reference runs a fresh process), OTLP/JSON adapter, stats as the CLI writes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PolicyEngine, parsePolicyText, type RegexBackend } from '@otel-policy/core';
import { hyperscanBackend } from '@otel-policy/hyperscan';
import { applyToLogs, applyToMetrics, applyToTraces } from '@otel-policy/adapters';
import { CaseStats, listCases, normalize, readJson } from './support/conformance.js';

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
      const caseStats = new CaseStats();
      for (const b of c.batches) {
        const engine = new PolicyEngine({ policies: set, regexBackend });
        const data = readJson(b.input) as Record<string, unknown>;
        if (b.signal === 'log') applyToLogs(engine, data);
        else if (b.signal === 'metric') applyToMetrics(engine, data);
        else applyToTraces(engine, data);
        expect(normalize(JSON.parse(JSON.stringify(data)))).toEqual(normalize(readJson(b.expected)));
        caseStats.addBatch(engine.stats());
      }
      caseStats.expectToMatch(c);
    });
  }
}
