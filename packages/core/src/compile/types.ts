/**
 * The compiled form of a policy set: what the compiler produces and the
 * evaluator reads. Data only; the builders are the other files of compile/.
 */
import type { RE2JS } from 're2js';
import type { Signal } from '../policy/types.js';
import type { FieldRef } from '../match/field-ref.js';
import type { KeepKind } from '../actions/keep.js';
import type { PatternSet } from '../match/pattern-set.js';
import type { RegexBackend } from '../match/regex-backend.js';
import type { CompiledTemplate } from '../actions/redact.js';
import type { CompiledTraceSampler } from '../actions/trace-sampler.js';
import type { RateLimiter, Clock } from '../actions/rate-limiter.js';
import type { TypedValue } from '../match/accessor.js';
import type { PolicyStats } from '../actions/stats.js';

/** Options for {@link compilePolicies}. */
export interface CompileOptions {
  /** Multi-pattern regex engine; re2js by default. */
  regexBackend?: RegexBackend;
  /** Clock for rate limiters (ms); the wall clock by default. */
  clock?: Clock;
  /**
   * State to carry over from the previous compile: stats and rate limiters of
   * policies whose definition did not change survive a reload.
   */
  previous?: CompiledPolicySet;
}

/** Transform stage kinds, in execution order. */
export const TransformKind = { Remove: 0, Redact: 1, Rename: 2, Add: 3 } as const;
export type TransformKind = (typeof TransformKind)[keyof typeof TransformKind];

/** One compiled log transform operation. */
export interface TransformOp {
  readonly kind: TransformKind;
  readonly ref: FieldRef;
  /** Replacement (redact) or value (add). */
  readonly value: string;
  /** Rename target, as a reference in the source's scope (undefined for well-known fields). */
  readonly to: FieldRef | undefined;
  readonly upsert: boolean;
  readonly regex: RE2JS | undefined;
  readonly template: CompiledTemplate | undefined;
}

/** A typed check (equals on non-strings, numeric comparisons). */
export type TypedTest = (v: TypedValue) => boolean;

/** One enabled, valid policy of one signal, ready to evaluate. */
export interface CompiledPolicy {
  readonly id: string;
  /** Position in ID order within its signal. */
  readonly index: number;
  /** Restrictiveness: the highest wins, ties go to the lowest index. */
  readonly score: number;
  readonly keep: KeepKind;
  /** Log sampling percentage. */
  readonly percent: number;
  /** Log sample_key reference. */
  readonly sampleKey: FieldRef | undefined;
  /** Rejection threshold for keyed log sampling. */
  readonly threshold: bigint;
  readonly rateLimiter: RateLimiter | undefined;
  readonly traceSampler: CompiledTraceSampler | undefined;
  readonly transforms: readonly TransformOp[];
  /** How many matcher successes must be counted for the policy to match. */
  readonly required: number;
  readonly stats: PolicyStats;
  /** Canonical form of the definition, to recognise an unchanged policy across reloads. */
  readonly fingerprint: string;
}

/** String matchers reading one value, answered by one scan. CSR layout by pattern id. */
export interface StringGroup {
  readonly ref: FieldRef;
  readonly patterns: PatternSet;
  readonly patternCount: number;
  readonly entryStart: Int32Array;
  readonly entryPolicy: Int32Array;
  readonly entryNegated: Uint8Array;
}

export interface ExistsGroup {
  readonly ref: FieldRef;
  readonly policy: Int32Array;
  /** exists XOR negate */
  readonly mustExist: Uint8Array;
}

export interface TypedGroup {
  readonly ref: FieldRef;
  readonly policy: Int32Array;
  readonly negate: Uint8Array;
  readonly tests: readonly TypedTest[];
}

/** A matcher on a multi-valued reference: succeeds when any element satisfies it. */
export interface MultiCheck {
  readonly ref: FieldRef;
  readonly policy: number;
  readonly negate: boolean;
  /** `exists: true` -> any element has the value; `exists: false` -> none has it. */
  readonly condition: { kind: 'string'; patterns: PatternSet } | { kind: 'exists'; want: boolean } | { kind: 'typed'; test: TypedTest };
}

/** The compiled policies of one signal and their match index. */
export interface CompiledSignal {
  readonly signal: Signal;
  readonly policies: readonly CompiledPolicy[];
  readonly stringGroups: readonly StringGroup[];
  readonly existsGroups: readonly ExistsGroup[];
  readonly typedGroups: readonly TypedGroup[];
  readonly multiChecks: readonly MultiCheck[];
  /** Policies with no counted matcher (only negated string matchers): always candidates. */
  readonly alwaysCandidates: Int32Array;
  /** Largest number of patterns in one group (scratch buffer size). */
  readonly maxPatterns: number;
}

/** What the compiler knows of every policy it was given, valid or not. */
export interface PolicyInfo {
  readonly id: string;
  readonly signal: Signal | undefined;
  readonly enabled: boolean;
  /** Compile errors; a policy with errors is inert. */
  readonly errors: readonly string[];
  /** Counters (shared with the compiled policy when valid). */
  readonly stats: PolicyStats;
}

/** An immutable, compiled policy set: built once per reload. */
export interface CompiledPolicySet {
  readonly log: CompiledSignal;
  readonly metric: CompiledSignal;
  readonly trace: CompiledSignal;
  /** Every policy given, in ID order, with its errors and stats. */
  readonly policies: readonly PolicyInfo[];
  /** Compile errors by policy ID (only policies that have some). */
  readonly errors: ReadonlyMap<string, readonly string[]>;
  readonly regexBackend: RegexBackend;
}
