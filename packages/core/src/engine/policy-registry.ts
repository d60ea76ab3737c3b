import type { PolicySet } from '../policy/types.js';
import type { PolicyEngine } from './policy-engine.js';
import { RegexEngineLoadError } from '../match/re2js-module.js';
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
 *
 * Startup: {@link start} (or {@link loadSync}) first installs, synchronously,
 * the sets of the providers that can read theirs locally (`loadSync`: a
 * file, a directory, a last-known-good cache), so that policies apply from
 * the very first record. {@link firstSet} then tells when the providers that
 * could not (remote sources) have delivered theirs too.
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
  /** Whether {@link loadSync} ran. */
  private syncLoaded = false;
  /** Providers whose first set is not installed yet (those that had nothing to load synchronously). */
  private readonly awaiting = new Set<string>();
  private resolveFirstSet!: () => void;
  private firstSetInstalled = false;
  /** Consecutive reloads that failed because the regex engine could not be loaded (drives the retry back-off). */
  private regexRetries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** Reloads completed (for tests and diagnostics). */
  reloads = 0;
  /**
   * Resolves once every provider has a first set installed: read
   * synchronously by {@link loadSync}, or delivered by `start` and compiled.
   * A provider whose `loadSync` threw is not waited for (fail-open). Does
   * not resolve while a remote provider has delivered nothing; callers bound
   * their wait.
   */
  readonly firstSet: Promise<void>;

  constructor(
    readonly engine: PolicyEngine,
    private readonly providers: readonly PolicyProvider[],
    private readonly options: PolicyRegistryOptions = {},
    private readonly onError: (providerId: string, err: Error) => void = () => {},
  ) {
    this.firstSet = new Promise((resolve) => (this.resolveFirstSet = resolve));
  }

  /** Whether {@link firstSet} has resolved (synchronously readable). */
  get hasFirstSet(): boolean {
    return this.firstSetInstalled;
  }

  /**
   * Install, synchronously, the union of what the providers with `loadSync`
   * read locally. A provider whose `loadSync` throws is reported once through
   * the error callback and starts with no set (fail-open); one that returns
   * undefined, or has no `loadSync`, is waited for through {@link firstSet}.
   * Runs once (later calls do nothing); {@link start} calls it first.
   * Returns {@link hasFirstSet}.
   */
  loadSync(): boolean {
    if (this.syncLoaded) return this.firstSetInstalled;
    this.syncLoaded = true;
    for (const p of this.providers) {
      if (typeof p.loadSync !== 'function') {
        this.awaiting.add(p.id);
        continue;
      }
      let set: PolicySet | undefined;
      try {
        set = p.loadSync();
      } catch (err) {
        this.onError(p.id, asError(err));
        continue;
      }
      if (set === undefined) this.awaiting.add(p.id);
      else this.sets.set(p.id, set);
    }
    const union = this.union();
    if (this.sets.size > 0 && !this.engine.canLoadSync(union)) {
      // A browser's regex engine loads asynchronously: these sets install on the asynchronous path and are waited for like a remote first set.
      const ids = [...this.sets.keys()];
      for (const id of ids) this.awaiting.add(id);
      this.reload(ids.join(', '));
    } else if (this.sets.size > 0) {
      try {
        this.engine.load(union);
        this.reloads++;
        this.owners = this.ownersOf();
      } catch (err) {
        // Nothing installed: the engine keeps its (empty) snapshot; start() delivers again.
        this.onError([...this.sets.keys()].join(', '), asError(err));
      }
    }
    this.checkFirstSet();
    return this.firstSetInstalled;
  }

  private union(): PolicySet {
    return { policies: [...this.sets.values()].flatMap((s) => s.policies) };
  }

  private ownersOf(): Map<string, string> {
    const owners = new Map<string, string>();
    for (const [provider, set] of this.sets) for (const p of set.policies) owners.set(p.id, provider);
    return owners;
  }

  private checkFirstSet(): void {
    if (!this.syncLoaded || this.firstSetInstalled || this.awaiting.size > 0) return;
    this.firstSetInstalled = true;
    this.resolveFirstSet();
  }

  /**
   * Install what can be read synchronously ({@link loadSync}, before this
   * returns its promise), then start every provider; resolves when each has
   * made its first attempt and the result is installed.
   */
  async start(): Promise<void> {
    for (const p of this.providers) {
      p.setStatsSource?.(() => this.statusReports(p.id));
    }
    this.loadSync();
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
    this.reload(providerId);
  }

  /** Schedule a recompile of the union; a failure is reported as `providerId`'s. */
  private reload(providerId: string): void {
    const version = ++this.version;
    this.pending = this.pending.then(async () => {
      // Coalesce bursts: only the newest update compiles.
      if (version !== this.version) return;
      const union = this.union();
      const included = [...this.sets.keys()];
      try {
        const before = new Map(this.statusReports().map((r) => [r.policyId, r]));
        const nextOwners = this.ownersOf();
        await this.engine.loadAsync(union, this.options.sliceMs ?? 10);
        this.reloads++;
        this.regexRetries = 0;
        this.retire(before, this.owners);
        this.owners = nextOwners;
      } catch (err) {
        // The previous snapshot stays installed. A failing regex engine load is reported once until it succeeds.
        const regexEngine = err instanceof RegexEngineLoadError;
        if (!regexEngine || this.regexRetries === 0) this.onError(providerId, err as Error);
        if (regexEngine) {
          // A browser could not fetch the regex engine: try again later. Its providers stay awaited, so a first set is not taken for installed.
          this.retryLater(providerId);
          return;
        }
      }
      // Installed (or failed to compile, which waiting longer would not fix): these providers are no longer awaited.
      for (const id of included) this.awaiting.delete(id);
      this.checkFirstSet();
    });
  }

  /** Reload again after a back-off (1 s doubling to 60 s), until it installs or the registry shuts down. */
  private retryLater(providerId: string): void {
    if (this.closed) return;
    const delay = Math.min(60_000, 1000 * 2 ** Math.min(this.regexRetries++, 6));
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed) this.reload(providerId);
    }, delay);
    (this.retryTimer as { unref?: () => void }).unref?.();
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
    return this.engine
      .stats()
      .filter((s) => own === undefined || own.has(s.policyId))
      .map((s) => ({
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
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    await Promise.all(this.providers.map((p) => p.shutdown()));
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
