/**
 * Helpers to run the conformance corpus: the same case layout, output
 * normalisation and stats comparison as the corpus checker.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const CASES_DIR = fileURLToPath(new URL('../conformance/cases/', import.meta.url));

export type Signal = 'log' | 'metric' | 'trace';

export interface Batch {
  input: string;
  expected: string;
  /** The batch's signal: from the case name, else from the payload (compound cases mix signals). */
  signal: Signal;
}

export interface ConformanceCase {
  name: string;
  dir: string;
  policiesFile: string;
  providerOnly: boolean;
  batched: boolean;
  batches: Batch[];
}

export function listCases(dir = CASES_DIR): ConformanceCase[] {
  return readdirSync(dir)
    .filter((n) => statSync(path.join(dir, n)).isDirectory())
    .sort()
    .map((name) => loadCase(path.join(dir, name)));
}

export function loadCase(dir: string): ConformanceCase {
  const name = path.basename(dir);
  const policiesFile = ['policies.json', 'policies.yaml'].map((f) => path.join(dir, f)).find((f) => existsSync(f))!;
  const batched = !existsSync(path.join(dir, 'input.json'));
  const files: [string, string][] = batched
    ? readdirSync(dir)
        .map((f) => /^input_(\d+)\.json$/.exec(f))
        .filter((m): m is RegExpExecArray => m !== null)
        .sort((a, b) => Number(a[1]) - Number(b[1]))
        .map((m) => [path.join(dir, m[0]), path.join(dir, `expected_${m[1]}.json`)])
    : [[path.join(dir, 'input.json'), path.join(dir, 'expected.json')]];
  const batches = files.map(([input, expected]) => {
    const data = readJson(input) as Record<string, unknown>;
    const byName = batched ? undefined : name.startsWith('logs_') ? 'log' : name.startsWith('metrics_') ? 'metric' : name.startsWith('traces_') ? 'trace' : undefined;
    const signal: Signal = byName ?? (data.resourceLogs ? 'log' : data.resourceMetrics ? 'metric' : 'trace');
    return { input, expected, signal };
  });
  return { name, dir, policiesFile, providerOnly: existsSync(path.join(dir, 'provider_only')), batched, batches };
}

export const readJson = (f: string): unknown => JSON.parse(readFileSync(f, 'utf8'));

const ENUMS: Record<string, number> = {};
['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'].forEach((k, i) => (ENUMS[`SPAN_KIND_${k}`] = i + 1));
ENUMS.STATUS_CODE_OK = 1;
ENUMS.STATUS_CODE_ERROR = 2;
ENUMS.AGGREGATION_TEMPORALITY_DELTA = 1;
ENUMS.AGGREGATION_TEMPORALITY_CUMULATIVE = 2;
['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].forEach((level, i) => {
  ENUMS[`SEVERITY_NUMBER_${level}`] = i * 4 + 1;
  for (let n = 2; n <= 4; n++) ENUMS[`SEVERITY_NUMBER_${level}${n}`] = i * 4 + n;
});
const UNSPECIFIED = new Set(['SEVERITY_NUMBER_UNSPECIFIED', 'STATUS_CODE_UNSET', 'SPAN_KIND_UNSPECIFIED', 'AGGREGATION_TEMPORALITY_UNSPECIFIED']);

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return typeof v === 'string' && UNSPECIFIED.has(v);
}

/** The check's normalisation: enum names to numbers, digit strings to numbers, defaults removed. */
export function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) {
      let child = normalize((v as Record<string, unknown>)[key]);
      if (isEmpty(child)) continue;
      if (typeof child === 'string' && child in ENUMS) child = ENUMS[child];
      out[key] = child;
    }
    return out;
  }
  if (typeof v === 'string' && /^[0-9]+$/.test(v)) return Number(v);
  return v;
}

export interface StatsEntry {
  policy_id: string;
  hits?: number;
  misses?: number;
  errors?: string[];
}

export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) out[key] = canonical((v as Record<string, unknown>)[key]);
    return out;
  }
  return v;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Sum per-batch stats (batched cases compare totals). */
export function mergeStats(list: { policies?: StatsEntry[] }[]): { policies: StatsEntry[] } {
  const byId = new Map<string, { policy_id: string; hits: number; misses: number }>();
  for (const s of list) {
    for (const p of s.policies ?? []) {
      const acc = byId.get(p.policy_id) ?? { policy_id: p.policy_id, hits: 0, misses: 0 };
      acc.hits += p.hits ?? 0;
      acc.misses += p.misses ?? 0;
      byId.set(p.policy_id, acc);
    }
  }
  return {
    policies: [...byId.values()].map((p) => (p.misses === 0 ? { policy_id: p.policy_id, hits: p.hits } : p)).sort((a, b) => cmp(a.policy_id, b.policy_id)),
  };
}

/** What a sync server observes: hits and compile errors (normalised as the check does). */
export function providerStats(s: { policies?: StatsEntry[] }): { policies: StatsEntry[] } {
  const normError = (e: string) => {
    if (/^log: transform:.*invalid.*regex/.test(e)) return 'log: transform: invalid regex';
    if (/invalid regex/.test(e)) return e.replace(/^(.*invalid regex "[^"]+").*$/s, '$1');
    if (/^log: keep:/.test(e)) return 'log: keep';
    return e;
  };
  const policies = (s.policies ?? [])
    .map((p) => {
      const q: StatsEntry = { policy_id: p.policy_id };
      if (p.hits) q.hits = p.hits;
      const errors = (p.errors ?? []).map(normError).sort();
      if (errors.length) q.errors = errors;
      return q;
    })
    .filter((p) => (p.hits ?? 0) > 0 || (p.errors ?? []).length > 0)
    .sort((a, b) => cmp(a.policy_id, b.policy_id));
  return { policies };
}

/** The parts of an engine's per-policy report that the stats comparison reads. */
export interface ReportedStats {
  policyId: string;
  hits: number;
  misses: number;
  errors: readonly string[];
}

/**
 * A case's stats, batch by batch (each from a fresh engine, as the reference
 * runs a fresh process per batch), checked against its expected_stats.json
 * the way the corpus checker compares them.
 */
export class CaseStats {
  private readonly perBatch: { policies: StatsEntry[] }[] = [];
  private errorsSeen: StatsEntry[] = [];
  private readonly hitsTotal = new Map<string, number>();

  /** Record one batch's stats. */
  addBatch(stats: readonly ReportedStats[]): void {
    this.perBatch.push({
      policies: stats.filter((s) => s.hits > 0 || s.misses > 0).map((s) => (s.misses > 0 ? { policy_id: s.policyId, hits: s.hits, misses: s.misses } : { policy_id: s.policyId, hits: s.hits })),
    });
    this.errorsSeen = stats.filter((s) => s.errors.length > 0).map((s) => ({ policy_id: s.policyId, errors: [...s.errors] }));
    for (const s of stats) this.hitsTotal.set(s.policyId, (this.hitsTotal.get(s.policyId) ?? 0) + s.hits);
  }

  /** Provider-only cases as a sync server sees them (hits and compile errors), batched ones as totals, others batch by batch. */
  expectToMatch(c: ConformanceCase): void {
    const expectedStats = readJson(`${c.dir}/expected_stats.json`) as { policies: StatsEntry[] };
    if (c.providerOnly) {
      const got = [...this.hitsTotal].map(([policy_id, hits]) => ({ policy_id, hits, errors: this.errorsSeen.find((e) => e.policy_id === policy_id)?.errors }));
      expect(providerStats({ policies: got })).toEqual(providerStats(expectedStats));
    } else if (c.batched) {
      expect(canonical(mergeStats(this.perBatch))).toEqual(canonical(mergeStats([expectedStats])));
    } else {
      expect(canonical(this.perBatch[0])).toEqual(canonical(expectedStats));
    }
  }
}
