import { compilePoliciesAsync, type CompileOptions } from '../compile/compile.js';
import type { RegexBackend } from '../match/regex-backend.js';
import { regexEngineLoaded } from '../match/re2js-module.js';
import { needsRegexEngine } from '../compile/regex-need.js';
import type { Matchable, Transformable } from '../match/accessor.js';
import type { Clock } from '../actions/rate-limiter.js';
import { EvalResult } from '../evaluate/signal-evaluator.js';
import { duplicatePolicyIdsProblem, parsePolicyText } from '../policy/parse.js';
import type { PolicySet, Signal } from '../policy/types.js';
import { PolicySnapshot } from './snapshot.js';
import type { PolicyStatsSnapshot } from '../actions/stats.js';

/** Where the engine reports problems; the SDK processors route it to `diag`. */
export interface EngineLogger {
  error(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  info?(message: string, ...args: unknown[]): void;
  debug?(message: string, ...args: unknown[]): void;
}

/** Options for a {@link PolicyEngine}. */
export interface PolicyEngineOptions {
  /** Initial policies: a parsed set, or policy file text (JSON or YAML); loaded as {@link PolicyEngine.load} does (in a browser, a set with regexes throws there: load it with `loadAsync`). */
  policies?: PolicySet | string;
  /**
   * The regex engine for pattern sets (default re2js). A backend that stands
   * in for an unavailable one says so once through `logger`.
   */
  regexBackend?: RegexBackend;
  /** Clock for rate limiters (ms). */
  clock?: Clock;
  /** Uniform random in [0, 1) for unkeyed log sampling. */
  random?: () => number;
  logger?: EngineLogger;
}

/** One policy's counters and errors, as reported. */
export interface PolicyReport extends PolicyStatsSnapshot {
  policyId: string;
  /** Changes when the counters restart (the policy's definition changed). */
  statsEpoch: number;
  signal: Signal | undefined;
  errors: readonly string[];
}

/** The result of loading a policy set. */
export interface LoadResult {
  /** Number of policies that compiled and are enabled. */
  active: number;
  /** Compile errors by policy ID. */
  errors: ReadonlyMap<string, readonly string[]>;
}

const silent: EngineLogger = { error() {}, warn() {} };

/**
 * The policy engine: holds the current compiled snapshot and evaluates
 * records against it through accessors. Evaluation fails open: an internal
 * error leaves the record untouched (kept) and is counted.
 */
export class PolicyEngine {
  private current: PolicySnapshot;
  private readonly options: PolicyEngineOptions;
  private readonly logger: EngineLogger;
  /** Evaluations that threw and were let through unmodified. */
  internalErrors = 0;

  constructor(options: PolicyEngineOptions = {}) {
    this.options = options;
    this.logger = options.logger ?? silent;
    if (options.regexBackend?.notice) this.logger.warn(options.regexBackend.notice);
    this.current = PolicySnapshot.empty(options);
    if (options.policies !== undefined) this.load(options.policies);
  }

  /** The snapshot evaluation currently reads. */
  get snapshot(): PolicySnapshot {
    return this.current;
  }

  /**
   * Compile and install a policy set (atomically replacing the previous one).
   * Invalid policies are reported and inert; stats and rate limiters of
   * unchanged policies carry over.
   * @throws RegexEngineNotLoadedError in a browser, for a set with regexes
   * before the regex engine is loaded ({@link canLoadSync}; use {@link loadAsync}).
   */
  load(policies: PolicySet | string): LoadResult {
    const set = typeof policies === 'string' ? parsePolicyText(policies) : policies;
    const compileOptions: CompileOptions = {
      regexBackend: this.options.regexBackend ?? this.current.compiled.regexBackend,
      clock: this.options.clock,
      previous: this.current.compiled,
    };
    const next = PolicySnapshot.compile(set, { ...compileOptions, random: this.options.random });
    this.reportProblems(set, next.compiled.errors);
    this.install(next);
    const active = next.log.compiled.policies.length + next.metric.compiled.policies.length + next.trace.compiled.policies.length;
    return { active, errors: next.compiled.errors };
  }

  /** What a load says about the set it installs: invalid policies, unknown keys, and IDs defined more than once. */
  private reportProblems(set: PolicySet, errors: ReadonlyMap<string, readonly string[]>): void {
    for (const [id, errs] of errors) this.logger.warn(`policy ${JSON.stringify(id)} is invalid and inert: ${errs.join('; ')}`);
    for (const p of set.policies) if (p.warnings?.length) this.logger.warn(`policy ${JSON.stringify(p.id)}: ${p.warnings.join('; ')}`);
    const duplicates = duplicatePolicyIdsProblem(set);
    if (duplicates !== undefined) this.logger.warn(duplicates);
  }

  /**
   * Whether {@link load} can compile `policies` now. False only in a
   * browser, for a set with regexes before the regex engine is loaded:
   * {@link loadAsync} loads it first.
   */
  canLoadSync(policies: PolicySet): boolean {
    return regexEngineLoaded() || !needsRegexEngine(policies.policies);
  }

  /**
   * Like {@link load}, but compiles in slices of about `sliceMs` so that a
   * large policy set never blocks the event loop for long; records keep
   * being evaluated against the current snapshot until the new one is
   * installed.
   */
  async loadAsync(policies: PolicySet | string, sliceMs = 10): Promise<LoadResult> {
    const set = typeof policies === 'string' ? parsePolicyText(policies) : policies;
    const compiled = await compilePoliciesAsync(set, {
      regexBackend: this.options.regexBackend ?? this.current.compiled.regexBackend,
      clock: this.options.clock,
      previous: this.current.compiled,
      sliceMs,
    });
    const next = new PolicySnapshot(compiled, { random: this.options.random });
    this.reportProblems(set, compiled.errors);
    this.install(next);
    const active = compiled.log.policies.length + compiled.metric.policies.length + compiled.trace.policies.length;
    return { active, errors: compiled.errors };
  }

  /** Install a snapshot compiled elsewhere (e.g. in slices by a registry). */
  install(snapshot: PolicySnapshot): void {
    this.current = snapshot;
  }

  /** Evaluate a log record; transforms are applied through `acc` when kept. */
  evaluateLog<R>(record: R, acc: Transformable<R>): EvalResult {
    try {
      return this.current.log.evaluate(record, acc);
    } catch (err) {
      return this.failOpen('log', err);
    }
  }

  /** Evaluate one metric data point (or a metric without points). */
  evaluateMetric<R>(record: R, acc: Matchable<R>): EvalResult {
    try {
      return this.current.metric.evaluate(record, acc);
    } catch (err) {
      return this.failOpen('metric', err);
    }
  }

  /** Evaluate a span; a kept, sampled span gets its tracestate written through `acc`. */
  evaluateTrace<R>(record: R, acc: Transformable<R>): EvalResult {
    try {
      return this.current.trace.evaluate(record, acc);
    } catch (err) {
      return this.failOpen('trace', err);
    }
  }

  private failOpen(signal: Signal, err: unknown): EvalResult {
    this.internalErrors++;
    if (this.internalErrors <= 10 || this.internalErrors % 1000 === 0) {
      this.logger.error(`policy evaluation of a ${signal} failed; record passed unmodified (${this.internalErrors} so far)`, err);
    }
    return EvalResult.Failed;
  }

  /** Every known policy's counters and errors, in ID order. */
  stats(): PolicyReport[] {
    return this.current.compiled.policies.map((p) => ({
      policyId: p.id,
      statsEpoch: p.stats.epoch,
      signal: p.signal,
      errors: p.errors,
      ...p.stats.snapshot(),
    }));
  }
}
