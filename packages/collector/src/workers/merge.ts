/**
 * Merging what the workers report into what one service reports: their
 * Prometheus self-metrics into one page, and their per-policy stats into one
 * sync report.
 */
import type { PolicyStatusReport } from '@otel-policy/core';

/** Series that every worker counts for the whole service (its policies, reloads, uptime) rather than its share: take the largest. */
const NOT_ADDITIVE = new Set(['otelcol_process_uptime_seconds', 'processor_policy_policies', 'processor_policy_reloads']);

/**
 * Merge Prometheus text pages: one HELP and TYPE per metric, the values of a
 * series (name and labels) summed over the pages (counters and gauges of
 * requests, records, queues and memory add up across workers).
 */
export function mergePrometheus(pages: readonly string[]): string {
  const meta = new Map<string, string[]>();
  const order: string[] = [];
  const values = new Map<string, Map<string, number>>();
  for (const page of pages) {
    for (const line of page.split('\n')) {
      if (line === '') continue;
      if (line.startsWith('#')) {
        const name = line.split(' ')[2];
        if (!meta.has(name)) {
          meta.set(name, []);
          order.push(name);
        }
        const m = meta.get(name)!;
        if (!m.includes(line)) m.push(line);
        continue;
      }
      const space = line.lastIndexOf(' ');
      const series = line.slice(0, space);
      const value = Number(line.slice(space + 1));
      const brace = series.indexOf('{');
      const name = brace < 0 ? series : series.slice(0, brace);
      const family = [...meta.keys()].find((m) => name === m || name.startsWith(`${m}_`)) ?? name;
      if (!meta.has(family)) {
        meta.set(family, []);
        order.push(family);
      }
      let byFamily = values.get(family);
      if (!byFamily) values.set(family, (byFamily = new Map()));
      const prev = byFamily.get(series);
      byFamily.set(series, prev === undefined ? value : NOT_ADDITIVE.has(name) ? Math.max(prev, value) : prev + value);
    }
  }
  const out: string[] = [];
  for (const name of order) {
    out.push(...meta.get(name)!);
    for (const [series, v] of values.get(name) ?? []) out.push(`${series} ${v}`);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** The counter families of a page (with their HELP and TYPE lines). */
export function countersOnly(page: string): string {
  const counters = new Set<string>();
  for (const line of page.split('\n')) {
    const m = /^# TYPE (\S+) counter$/.exec(line);
    if (m) counters.add(m[1]);
  }
  const keep = (line: string): boolean => {
    const name = line.startsWith('#') ? line.split(' ')[2] : line.split(/[{ ]/)[0];
    return [...counters].some((c) => name === c || name.startsWith(`${c}_`));
  };
  return page
    .split('\n')
    .filter((l) => l !== '' && keep(l))
    .map((l) => `${l}\n`)
    .join('');
}

type Counts = { hits: number; misses: number };
const ACTIONS = ['remove', 'redact', 'rename', 'add'] as const;

/**
 * The workers' per-policy stats as one cumulative report. Each worker's
 * counters are its own (its epochs are its process's, and a replaced
 * worker starts from zero), so the merger adds up what each worker counted
 * since its previous report: the sum only grows, and the sync provider's
 * deltas stay right across worker restarts and policy updates.
 */
export class StatsMerger {
  private readonly last = new Map<string, PolicyStatusReport>();
  private readonly totals = new Map<string, PolicyStatusReport>();

  /** A worker's cumulative reports (`worker` names the process, e.g. its pid). */
  update(worker: number, reports: readonly PolicyStatusReport[]): void {
    for (const r of reports) {
      const key = `${worker}\0${r.policyId}`;
      const prev = this.last.get(key);
      const fresh = prev === undefined || prev.statsEpoch !== r.statsEpoch;
      const delta = (now: Counts, before: Counts | undefined): Counts => ({
        hits: Math.max(0, now.hits - (fresh || !before ? 0 : before.hits)),
        misses: Math.max(0, now.misses - (fresh || !before ? 0 : before.misses)),
      });
      this.last.set(key, r);
      const t = this.totals.get(r.policyId) ?? { ...r, statsEpoch: 0, hits: 0, misses: 0, remove: zero(), redact: zero(), rename: zero(), add: zero() };
      const d = delta(r, prev);
      const next: PolicyStatusReport = { ...t, errors: [...r.errors], hits: t.hits + d.hits, misses: t.misses + d.misses };
      for (const a of ACTIONS) {
        const da = delta(r[a], prev?.[a]);
        next[a] = { hits: t[a].hits + da.hits, misses: t[a].misses + da.misses };
      }
      this.totals.set(r.policyId, next);
    }
  }

  /** Forget a worker that is gone (its counts stay in the totals). */
  forget(worker: number): void {
    for (const key of [...this.last.keys()]) if (key.startsWith(`${worker}\0`)) this.last.delete(key);
  }

  /** The cumulative reports of the policies in `ids` (all when undefined). */
  reports(ids?: ReadonlySet<string>): PolicyStatusReport[] {
    return [...this.totals.values()].filter((r) => ids === undefined || ids.has(r.policyId));
  }
}

const zero = (): Counts => ({ hits: 0, misses: 0 });
