import type { PolicySet } from '../policy/types.js';
import type { PolicyEngine } from '../engine.js';
import type { PolicyProvider, PolicyStatusReport } from './provider.js';

/** Options for a {@link PolicyRegistry}. */
export interface PolicyRegistryOptions {
  /** Compile slices (ms) for reloads, so a big set never blocks the event loop for long. */
  sliceMs?: number;
}

/**
 * Merges the policy sets of several providers into one set and installs it
 * into an engine: each provider's latest set replaces its previous one, the
 * union is compiled in slices, then swapped in atomically. A provider that
 * fails keeps its last good set.
 */
export class PolicyRegistry {
  private readonly sets = new Map<string, PolicySet>();
  /**
   * Counters of policies a reload removed, by provider, so that hits counted
   * before the removal still reach the next sync report (providers report
   * deltas, so reporting them again later adds nothing).
   */
  private readonly retired = new Map<string, Map<string, PolicyStatusReport>>();
  /** Which provider each installed policy came from. */
  private owners = new Map<string, string>();
  private pending: Promise<void> = Promise.resolve();
  private version = 0;
  /** Reloads completed (for tests and diagnostics). */
  reloads = 0;

  constructor(
    readonly engine: PolicyEngine,
    private readonly providers: readonly PolicyProvider[],
    private readonly options: PolicyRegistryOptions = {},
    private readonly onError: (providerId: string, err: Error) => void = () => {},
  ) {}

  /** Start every provider; resolves when each has made its first attempt and the result is installed. */
  async start(): Promise<void> {
    for (const p of this.providers) {
      p.setStatsSource?.(() => this.statusReports(p.id));
    }
    await Promise.all(
      this.providers.map((p) =>
        p.start({
          onPolicies: (set) => this.update(p.id, set),
          onError: (err) => this.onError(p.id, err),
        }),
      ),
    );
    await this.settled();
  }

  /** Replace one provider's set and schedule a recompile of the union. */
  update(providerId: string, set: PolicySet): void {
    this.sets.set(providerId, set);
    const version = ++this.version;
    this.pending = this.pending.then(async () => {
      // Coalesce bursts: only the newest update compiles.
      if (version !== this.version) return;
      const union: PolicySet = { policies: [...this.sets.values()].flatMap((s) => s.policies) };
      try {
        const before = new Map(this.statusReports().map((r) => [r.policyId, r]));
        const nextOwners = new Map<string, string>();
        for (const [provider, set] of this.sets) for (const p of set.policies) nextOwners.set(p.id, provider);
        await this.engine.loadAsync(union, this.options.sliceMs ?? 10);
        this.reloads++;
        this.retire(before, this.owners);
        this.owners = nextOwners;
      } catch (err) {
        // The previous snapshot stays installed.
        this.onError(providerId, err as Error);
      }
    });
  }

  private retire(before: Map<string, PolicyStatusReport>, owners: Map<string, string>): void {
    const present = new Set(this.engine.stats().map((s) => s.policyId));
    for (const byId of this.retired.values()) for (const id of byId.keys()) if (present.has(id)) byId.delete(id);
    for (const [id, report] of before) {
      if (present.has(id) || (report.hits === 0 && report.misses === 0)) continue;
      const owner = owners.get(id) ?? '';
      let byId = this.retired.get(owner);
      if (!byId) this.retired.set(owner, (byId = new Map()));
      byId.set(id, { ...report, errors: [] });
      // Bounded: a long churn of removed policies must not grow without end.
      if (byId.size > 10_000) byId.delete(byId.keys().next().value!);
    }
  }

  /** Resolves when every scheduled reload is installed. */
  async settled(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.pending;
      await seen;
    } while (seen !== this.pending);
  }

  /** Cumulative per-policy counters and errors (of one provider's policies when `providerId` is given). */
  statusReports(providerId?: string): PolicyStatusReport[] {
    const own = providerId === undefined ? undefined : new Set((this.sets.get(providerId)?.policies ?? []).map((p) => p.id));
    const retired = providerId === undefined ? [] : [...(this.retired.get(providerId)?.values() ?? [])];
    return [...this.currentReports(own), ...retired];
  }

  private currentReports(own: Set<string> | undefined): PolicyStatusReport[] {
    return this.engine.stats().filter((s) => own === undefined || own.has(s.policyId)).map((s) => ({
      policyId: s.policyId,
      statsEpoch: s.statsEpoch,
      hits: s.hits,
      misses: s.misses,
      errors: s.errors,
      remove: s.remove,
      redact: s.redact,
      rename: s.rename,
      add: s.add,
    }));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.providers.map((p) => p.shutdown()));
  }
}
