/**
 * The per-signal match index: string matchers grouped by the field they read
 * (one pattern set per field, answered by one scan), existence and typed tests
 * grouped the same way, with CSR arrays from pattern to policy.
 */
import type { Signal } from '../policy/types.js';
import type { FieldRef } from '../match/field-ref.js';
import { PatternSet, type Pattern } from '../match/pattern-set.js';
import type { CompileYield, RegexBackend } from '../match/regex-backend.js';
import { KeepKind } from '../actions/keep.js';
import { rejectionThreshold } from '../actions/trace-sampler.js';
import { RateLimiter, type Clock } from '../actions/rate-limiter.js';
import type { PolicyStats } from '../actions/stats.js';
import type { CompiledPolicy, CompiledSignal, MultiCheck, StringGroup, TypedTest } from './types.js';
import type { PolicyDraft } from './draft.js';

export function* buildSignal(signal: Signal, drafts: PolicyDraft[], backend: RegexBackend, clock: Clock, statsOf: (id: string) => PolicyStats): Generator<CompileYield, CompiledSignal, unknown> {
  const policies: CompiledPolicy[] = [];
  const stringByKey = new Map<string, { ref: FieldRef; patterns: Map<string, { pattern: Pattern; entries: [number, boolean][] }> }>();
  const existsByKey = new Map<string, { ref: FieldRef; policy: number[]; must: number[] }>();
  const typedByKey = new Map<string, { ref: FieldRef; policy: number[]; negate: number[]; tests: TypedTest[] }>();
  const multiChecks: MultiCheck[] = [];
  const always: number[] = [];

  drafts.forEach((d, index) => {
    let required = 0;
    for (const m of d.matchers) {
      switch (m.kind) {
        case 'string': {
          let g = stringByKey.get(m.ref.key);
          if (!g) stringByKey.set(m.ref.key, (g = { ref: m.ref, patterns: new Map() }));
          const pk = `${m.pattern.kind}:${m.pattern.ci}:${m.pattern.value}`;
          let p = g.patterns.get(pk);
          if (!p) g.patterns.set(pk, (p = { pattern: m.pattern, entries: [] }));
          p.entries.push([index, m.negate]);
          if (!m.negate) required++;
          break;
        }
        case 'exists': {
          let g = existsByKey.get(m.ref.key);
          if (!g) existsByKey.set(m.ref.key, (g = { ref: m.ref, policy: [], must: [] }));
          g.policy.push(index);
          g.must.push(m.mustExist ? 1 : 0);
          required++;
          break;
        }
        case 'typed': {
          let g = typedByKey.get(m.ref.key);
          if (!g) typedByKey.set(m.ref.key, (g = { ref: m.ref, policy: [], negate: [], tests: [] }));
          g.policy.push(index);
          g.negate.push(m.negate ? 1 : 0);
          g.tests.push(m.test);
          required++;
          break;
        }
        case 'multi':
          multiChecks.push({ ref: m.ref, policy: index, negate: m.negate, condition: m.condition });
          required++;
          break;
      }
    }
    // A policy without matchers never matches (it would otherwise match everything).
    if (required === 0 && d.matchers.length > 0) always.push(index);
    if (d.matchers.length === 0) required = -1;
    const reuse = d.reuse;
    const rateLimiter =
      d.rate === undefined
        ? undefined
        : reuse?.rateLimiter && reuse.rateLimiter.limit === d.rate.limit && reuse.rateLimiter.windowMs === d.rate.windowMs
          ? reuse.rateLimiter
          : new RateLimiter(d.rate.limit, d.rate.windowMs, clock);
    policies.push({
      id: d.policy.id,
      index,
      score: d.score,
      keep: d.keep,
      percent: d.percent,
      sampleKey: d.sampleKey,
      threshold: d.keep === KeepKind.Percent ? rejectionThreshold(d.percent) : 0n,
      rateLimiter,
      traceSampler: d.trace,
      transforms: d.transforms,
      required,
      stats: statsOf(d.policy.id),
      fingerprint: d.fingerprint,
    });
  });

  let maxPatterns = 1;
  const stringGroups: StringGroup[] = [];
  for (const g of stringByKey.values()) {
    const list = [...g.patterns.values()];
    maxPatterns = Math.max(maxPatterns, list.length);
    const entryStart = new Int32Array(list.length + 1);
    const total = list.reduce((n, p) => n + p.entries.length, 0);
    const entryPolicy = new Int32Array(total);
    const entryNegated = new Uint8Array(total);
    let k = 0;
    list.forEach((p, id) => {
      entryStart[id] = k;
      for (const [pi, neg] of p.entries) {
        entryPolicy[k] = pi;
        entryNegated[k] = neg ? 1 : 0;
        k++;
      }
    });
    entryStart[list.length] = k;
    const patterns = yield* PatternSet.steps(
      list.map((p) => p.pattern),
      backend,
    );
    stringGroups.push({ ref: g.ref, patterns, patternCount: list.length, entryStart, entryPolicy, entryNegated });
    yield;
  }

  return {
    signal,
    policies,
    stringGroups,
    existsGroups: [...existsByKey.values()].map((g) => ({ ref: g.ref, policy: Int32Array.from(g.policy), mustExist: Uint8Array.from(g.must) })),
    typedGroups: [...typedByKey.values()].map((g) => ({ ref: g.ref, policy: Int32Array.from(g.policy), negate: Uint8Array.from(g.negate), tests: g.tests })),
    multiChecks,
    alwaysCandidates: Int32Array.from(always),
    maxPatterns,
  };
}
