import type { RE2JS } from 're2js';
import type { FieldSelector, MatchCondition, Matcher, NumericLiteral, Policy, PolicySet, Signal, TraceSamplingConfig, ValueLiteral } from '../policy/types.js';
import { SAMPLING_MODES, resolveEnum } from '../policy/enums.js';
import { FieldRefTable, RefKind, type FieldRef } from '../match/field-ref.js';
import { KeepKind, logKeepScore, parseLogKeep, percentScore } from '../actions/keep.js';
import { PatternSet, type Pattern, type PatternKind } from '../match/pattern-set.js';
import { Re2jsBackend, type CompileYield, type RegexBackend } from '../match/regex-backend.js';
import { compileRe2 } from '../match/re2.js';
import { compileTemplate, type CompiledTemplate } from '../actions/redact.js';
import { compileTraceSampler, rejectionThreshold, type CompiledTraceSampler, type SamplingMode } from '../actions/trace-sampler.js';
import { RateLimiter, type Clock } from '../actions/rate-limiter.js';
import { ValueKind, type TypedValue } from '../match/accessor.js';
import { PolicyStats } from '../actions/stats.js';

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

/**
 * Byte-wise (UTF-8) order, as the reference engines sort policy IDs. UTF-16
 * order agrees with it except that surrogates (U+D800..DFFF, astral code
 * points) sort before U+E000..FFFF in UTF-16 and after them in UTF-8.
 */
export function compareIds(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return utf8Rank(x) - utf8Rank(y);
  }
  return a.length - b.length;
}

const utf8Rank = (c: number): number => (c >= 0xe000 ? c - 0x800 : c >= 0xd800 ? c + 0x2000 : c);

const signalOf = (p: Policy): Signal | undefined => (p.log ? 'log' : p.metric ? 'metric' : p.trace ? 'trace' : undefined);

const fingerprintOf = (p: Policy): string =>
  JSON.stringify({ log: p.log, metric: p.metric, trace: p.trace }, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

/** A matcher lowered to the form the index stores. */
type Lowered =
  | { kind: 'string'; ref: FieldRef; pattern: Pattern; negate: boolean }
  | { kind: 'exists'; ref: FieldRef; mustExist: boolean }
  | { kind: 'typed'; ref: FieldRef; test: TypedTest; negate: boolean }
  | { kind: 'multi'; ref: FieldRef; negate: boolean; condition: MultiCheck['condition'] };

interface PolicyDraft {
  policy: Policy;
  fingerprint: string;
  signal: Signal;
  matchers: Lowered[];
  keep: KeepKind;
  score: number;
  percent: number;
  sampleKey: FieldRef | undefined;
  rate: { limit: number; windowMs: number } | undefined;
  trace: CompiledTraceSampler | undefined;
  transforms: TransformOp[];
}

/**
 * Compile a parsed policy set. Never throws for a bad policy: it is left out
 * (inert) and its errors are listed; every other policy still compiles.
 */
export function compilePolicies(set: PolicySet, options: CompileOptions = {}): CompiledPolicySet {
  const steps = compileSteps(set, options);
  let r = steps.next();
  while (!r.done) r = steps.next();
  return r.value;
}

/**
 * Compile without blocking the event loop for more than about `sliceMs` at a
 * time: the work is done in steps, yielding to the loop between slices.
 * Records keep flowing on the previous snapshot meanwhile.
 */
export async function compilePoliciesAsync(set: PolicySet, options: CompileOptions & { sliceMs?: number } = {}): Promise<CompiledPolicySet> {
  const sliceMs = options.sliceMs ?? 10;
  const steps = compileSteps(set, options);
  let sliceStart = performance.now();
  let answer: unknown;
  for (;;) {
    const r = steps.next(answer);
    answer = undefined;
    if (r.done) return r.value;
    if (r.value) {
      // Work that can leave the event loop (a native backend's compiler); should it fail, the step redoes it synchronously.
      answer = await r.value.run().catch(() => undefined);
      sliceStart = performance.now();
      continue;
    }
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

/** The compiler as a sequence of steps (see {@link compilePoliciesAsync}). */
export function* compileSteps(set: PolicySet, options: CompileOptions = {}): Generator<CompileYield, CompiledPolicySet, unknown> {
  const backend = options.regexBackend ?? new Re2jsBackend();
  const clock = options.clock ?? Date.now;
  const refs = new FieldRefTable();
  // Later definitions of the same ID replace earlier ones, as a sync update would.
  const byId = new Map<string, Policy>();
  for (const p of set.policies) byId.set(p.id, p);
  const sorted = [...byId.values()].sort((a, b) => compareIds(a.id, b.id));

  const previous = new Map<string, { policy?: CompiledPolicy; info: PolicyInfo }>();
  if (options.previous) {
    for (const info of options.previous.policies) previous.set(info.id, { info });
    for (const sig of [options.previous.log, options.previous.metric, options.previous.trace]) {
      for (const cp of sig.policies) {
        const prev = previous.get(cp.id);
        if (prev) prev.policy = cp;
      }
    }
  }

  const infos: PolicyInfo[] = [];
  const errors = new Map<string, string[]>();
  const drafts: Record<Signal, PolicyDraft[]> = { log: [], metric: [], trace: [] };

  for (const policy of sorted) {
    const signal = signalOf(policy);
    const errs: string[] = [...policy.problems];
    let draft: PolicyDraft | undefined;
    if (signal && policy.problems.length === 0) draft = compileDraft(policy, signal, refs, errs);
    const prev = previous.get(policy.id);
    const fingerprint = fingerprintOf(policy);
    if (draft) draft.fingerprint = fingerprint;
    const sameDefinition = prev?.policy !== undefined && prev.policy.fingerprint === fingerprint;
    const stats = sameDefinition ? prev!.info.stats : new PolicyStats();
    infos.push({ id: policy.id, signal, enabled: policy.enabled, errors: errs, stats });
    if (errs.length) errors.set(policy.id, errs);
    if (draft && errs.length === 0 && policy.enabled) {
      (draft as PolicyDraft & { reuse?: CompiledPolicy }).reuse = sameDefinition ? prev!.policy : undefined;
      drafts[signal!].push(draft);
    }
    yield;
  }

  const statsById = new Map(infos.map((i) => [i.id, i.stats]));
  const build = (signal: Signal) => buildSignal(signal, drafts[signal], backend, clock, (id) => statsById.get(id)!);
  const log = yield* build('log');
  const metric = yield* build('metric');
  const trace = yield* build('trace');
  return {
    log,
    metric,
    trace,
    policies: infos,
    errors,
    regexBackend: backend,
  };
}

function compileDraft(policy: Policy, signal: Signal, refs: FieldRefTable, errs: string[]): PolicyDraft {
  const target = (policy.log ?? policy.metric ?? policy.trace)!;
  const matchers: Lowered[] = [];
  target.match.forEach((m, i) => {
    const lowered = lowerMatcher(m, signal, refs);
    if (typeof lowered === 'string') errs.push(`${signal}: match[${i}]: ${lowered}`);
    else matchers.push(lowered);
  });
  const draft: PolicyDraft = {
    policy,
    fingerprint: '',
    signal,
    matchers,
    keep: KeepKind.All,
    score: 0,
    percent: 100,
    sampleKey: undefined,
    rate: undefined,
    trace: undefined,
    transforms: [],
  };
  if (policy.log) {
    const keep = parseLogKeep(policy.log.keep);
    if (typeof keep === 'string') errs.push(`log: keep: ${keep}`);
    else {
      draft.keep = keep.kind;
      draft.score = logKeepScore(keep);
      if (keep.kind === KeepKind.Percent) draft.percent = keep.percent;
      if (keep.kind === KeepKind.RateLimit) draft.rate = { limit: keep.limit, windowMs: keep.windowMs };
    }
    if (policy.log.transform) draft.transforms = compileTransforms(policy.log.transform, refs, errs);
    if (policy.log.sampleKey) {
      const ref = refs.resolve('log', policy.log.sampleKey);
      if (typeof ref === 'string') errs.push(`log: sample_key: ${ref}`);
      else draft.sampleKey = ref;
    }
  } else if (policy.metric) {
    draft.keep = policy.metric.keep ? KeepKind.All : KeepKind.None;
    draft.score = policy.metric.keep ? 0 : 1000;
  } else if (policy.trace) {
    compileTraceKeep(policy.trace.keep, draft, errs);
  }
  return draft;
}

function compileTraceKeep(cfg: TraceSamplingConfig | undefined, draft: PolicyDraft, errs: string[]): void {
  if (cfg === undefined) {
    draft.keep = KeepKind.All;
    draft.score = 0;
    return;
  }
  // The proto field is a float32: round as the wire would.
  const percentage = Math.fround(cfg.percentage);
  const bad = (msg: string) => errs.push(`trace: keep: ${msg}`);
  if (!Number.isFinite(percentage) || percentage < 0 || percentage > 100) bad(`percentage must be between 0 and 100, got ${cfg.percentage}`);
  let mode: SamplingMode = 'hash_seed';
  if (cfg.mode !== undefined) {
    const m = resolveEnum(SAMPLING_MODES, cfg.mode);
    if (m === undefined) bad(`unknown mode ${JSON.stringify(cfg.mode)}`);
    else if (m !== 'unspecified') mode = m as SamplingMode;
  }
  let precision = 4;
  if (cfg.samplingPrecision !== undefined) {
    const p = cfg.samplingPrecision;
    if (!Number.isInteger(p) || p < 0) bad(`sampling_precision must be an integer between 1 and 14, got ${p}`);
    // As the reference engines: 0 (unset on the wire) means the default, above 14 is capped.
    else precision = p === 0 ? 4 : Math.min(p, 14);
  }
  let hashSeed = 0;
  if (cfg.hashSeed !== undefined) {
    const s = cfg.hashSeed;
    if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) bad(`hash_seed must be an unsigned 32-bit integer, got ${s}`);
    else hashSeed = s;
  }
  const failClosed = cfg.failClosed ?? true;
  if (percentage >= 100) {
    draft.keep = KeepKind.All;
    draft.score = 0;
  } else if (percentage <= 0) {
    draft.keep = KeepKind.None;
    draft.score = 1000;
  } else if (Number.isFinite(percentage)) {
    draft.keep = KeepKind.TraceSample;
    draft.score = percentScore(percentage);
    draft.percent = percentage;
    draft.trace = compileTraceSampler({ percentage, mode, precision, hashSeed, failClosed });
  }
}

const ENUM_REF_KINDS: ReadonlySet<RefKind> = new Set([RefKind.MetricType, RefKind.AggregationTemporality, RefKind.SpanKind, RefKind.SpanStatus]);

function enumValue(sel: FieldSelector | undefined): string {
  return sel && 'value' in sel && typeof sel.value === 'string' ? sel.value : '';
}

const STRING_KINDS: Record<string, PatternKind> = {
  exact: 'exact',
  regex: 'regex',
  starts_with: 'prefix',
  ends_with: 'suffix',
  contains: 'contains',
};

/** Lower one matcher, or return an error message (without location prefix). */
function lowerMatcher(m: Matcher, signal: Signal, refs: FieldRefTable): Lowered | string {
  const ref = refs.resolve(signal, m.field);
  if (typeof ref === 'string') return ref;
  if (ENUM_REF_KINDS.has(ref.kind)) {
    // span_kind, span_status, metric_type and temporality are implicit equality.
    return { kind: 'string', ref, pattern: { kind: 'exact', value: enumValue(m.field), ci: false }, negate: m.negate };
  }
  const cond = m.match;
  if (cond === undefined) return 'no match condition';
  if (cond.kind === 'invalid') return cond.reason;
  const lowered = lowerCondition(cond, ref, m.caseInsensitive);
  if (typeof lowered === 'string') return lowered;
  if (ref.multi) {
    const condition: MultiCheck['condition'] =
      lowered.kind === 'string'
        ? { kind: 'string', patterns: new PatternSet([lowered.pattern], new Re2jsBackend()) }
        : lowered.kind === 'exists'
          ? { kind: 'exists', want: lowered.want }
          : { kind: 'typed', test: lowered.test };
    return { kind: 'multi', ref, negate: m.negate, condition };
  }
  if (lowered.kind === 'exists') return { kind: 'exists', ref, mustExist: lowered.want !== m.negate };
  if (lowered.kind === 'string') return { kind: 'string', ref, pattern: lowered.pattern, negate: m.negate };
  return { kind: 'typed', ref, test: lowered.test, negate: m.negate };
}

type LoweredCondition =
  | { kind: 'string'; pattern: Pattern }
  | { kind: 'exists'; want: boolean }
  | { kind: 'typed'; test: TypedTest };

function lowerCondition(cond: Exclude<MatchCondition, { kind: 'invalid' }>, ref: FieldRef, ci: boolean): LoweredCondition | string {
  switch (cond.kind) {
    case 'exists':
      return { kind: 'exists', want: cond.value };
    case 'regex': {
      const re = compileRe2(cond.value, ci);
      if (!re.ok) return `invalid regex ${JSON.stringify(cond.value)}`;
      return { kind: 'string', pattern: { kind: 'regex', value: cond.value, ci, re: re.re } };
    }
    case 'exact':
    case 'starts_with':
    case 'ends_with':
    case 'contains':
      // Identifiers read as lowercase hex; a literal written in upper case still matches.
      return { kind: 'string', pattern: { kind: STRING_KINDS[cond.kind], value: ref.bytes ? cond.value.toLowerCase() : cond.value, ci } };
    case 'equals':
      return lowerEquals(cond.value, ref, ci);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return lowerComparison(cond.kind, cond.value);
  }
}

function lowerEquals(v: ValueLiteral, ref: FieldRef, ci: boolean): LoweredCondition | string {
  switch (v.type) {
    case 'string':
      return { kind: 'string', pattern: { kind: 'exact', value: ref.bytes ? v.value.toLowerCase() : v.value, ci } };
    case 'bool': {
      const want = v.value;
      return { kind: 'typed', test: (x) => x.kind === ValueKind.Bool && x.bool === want };
    }
    case 'int':
    case 'double': {
      const cmp = numericComparator(v);
      return { kind: 'typed', test: (x) => cmp(x) === 0 };
    }
    case 'hex': {
      const hex = v.hex.trim().toLowerCase();
      if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) return `invalid hex_value ${JSON.stringify(v.hex)}`;
      return { kind: 'typed', test: (x) => x.kind === ValueKind.Bytes && x.str === hex };
    }
    case 'bytes': {
      const hex = base64ToHex(v.base64);
      if (hex === undefined) return `invalid bytes_value ${JSON.stringify(v.base64)}: not base64`;
      return { kind: 'typed', test: (x) => x.kind === ValueKind.Bytes && x.str === hex };
    }
    case 'unset':
      return 'equals: value is unset';
  }
}

function lowerComparison(kind: 'gt' | 'gte' | 'lt' | 'lte', v: NumericLiteral): LoweredCondition | string {
  if (v.type === 'unset') return `${kind}: value is unset`;
  const cmp = numericComparator(v);
  switch (kind) {
    case 'gt':
      return { kind: 'typed', test: (x) => cmp(x) > 0 };
    case 'gte':
      return { kind: 'typed', test: (x) => cmp(x) >= 0 };
    case 'lt':
      return { kind: 'typed', test: (x) => cmp(x) < 0 };
    case 'lte':
      return { kind: 'typed', test: (x) => cmp(x) <= 0 };
  }
}

/**
 * Compare a record's numeric value with a literal in one numeric domain
 * (int64 exactly, doubles as doubles). NaN for a non-numeric value, so every
 * comparison with it is false.
 */
export function numericComparator(lit: { type: 'int'; value: bigint } | { type: 'double'; value: number }): (x: TypedValue) => number {
  if (lit.type === 'double') {
    const d = lit.value;
    return (x) => {
      if (x.kind !== ValueKind.Int && x.kind !== ValueKind.Double) return Number.NaN;
      if (x.kind === ValueKind.Int && x.big !== null && Number.isFinite(d)) {
        // An int64 beyond 2^53 is compared exactly, not after rounding to a double.
        const di = BigInt(Math.trunc(d));
        if (x.big !== di) return x.big < di ? -1 : 1;
        const frac = d - Math.trunc(d);
        return frac > 0 ? -1 : frac < 0 ? 1 : 0;
      }
      return x.num < d ? -1 : x.num > d ? 1 : x.num === d ? 0 : Number.NaN;
    };
  }
  const big = lit.value;
  const num = Number(big);
  const safe = Number.isSafeInteger(num);
  return (x) => {
    if (x.kind === ValueKind.Int) {
      if (x.big === null && safe) return x.num < num ? -1 : x.num > num ? 1 : 0;
      const xb = x.big ?? BigInt(x.num);
      return xb < big ? -1 : xb > big ? 1 : 0;
    }
    if (x.kind === ValueKind.Double) {
      if (Number.isNaN(x.num)) return Number.NaN;
      if (safe) return x.num < num ? -1 : x.num > num ? 1 : 0;
      // Beyond 2^53 compare exactly: an integral double converts to bigint losslessly.
      if (!Number.isFinite(x.num)) return x.num < 0 ? -1 : 1;
      const xi = BigInt(Math.trunc(x.num));
      if (xi !== big) return xi < big ? -1 : 1;
      const frac = x.num - Math.trunc(x.num);
      return frac > 0 ? 1 : frac < 0 ? -1 : 0;
    }
    return Number.NaN;
  };
}

function base64ToHex(b64: string): string | undefined {
  const s = b64.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  try {
    const bin = atob(s.length % 4 === 0 ? s : s + '='.repeat(4 - (s.length % 4)));
    let hex = '';
    for (let i = 0; i < bin.length; i++) hex += bin.charCodeAt(i).toString(16).padStart(2, '0');
    return hex;
  } catch {
    return undefined;
  }
}

function compileTransforms(t: NonNullable<NonNullable<Policy['log']>['transform']>, refs: FieldRefTable, errs: string[]): TransformOp[] {
  const ops: TransformOp[] = [];
  const base = { value: '', to: undefined, upsert: false, regex: undefined, template: undefined };
  const where = (stage: string, i: number) => `log: transform: ${stage}[${i}]`;
  t.remove.forEach((r, i) => {
    const ref = refs.resolve('log', r.field);
    if (typeof ref === 'string') errs.push(`${where('remove', i)}: ${ref}`);
    else ops.push({ ...base, kind: TransformKind.Remove, ref });
  });
  t.redact.forEach((r, i) => {
    const ref = refs.resolve('log', r.field);
    if (typeof ref === 'string') {
      errs.push(`${where('redact', i)}: ${ref}`);
      return;
    }
    if (r.regex === undefined) {
      ops.push({ ...base, kind: TransformKind.Redact, ref, value: r.replacement });
      return;
    }
    const re = compileRe2(r.regex);
    if (!re.ok) {
      errs.push(`${where('redact', i)}: invalid regex ${JSON.stringify(r.regex)}`);
      return;
    }
    ops.push({ ...base, kind: TransformKind.Redact, ref, value: r.replacement, regex: re.re, template: compileTemplate(r.replacement, re.re) });
  });
  t.rename.forEach((r, i) => {
    const ref = refs.resolve('log', r.from);
    if (typeof ref === 'string') {
      errs.push(`${where('rename', i)}: ${ref}`);
      return;
    }
    if (r.to === '') {
      errs.push(`${where('rename', i)}: to is empty`);
      return;
    }
    let to: FieldRef | undefined;
    if (ref.kind === RefKind.RecordAttribute || ref.kind === RefKind.ResourceAttribute || ref.kind === RefKind.ScopeAttribute) {
      const kind = ref.kind === RefKind.ResourceAttribute ? 'resource_attribute' : ref.kind === RefKind.ScopeAttribute ? 'scope_attribute' : 'log_attribute';
      to = refs.resolve('log', { kind, path: [r.to] }) as FieldRef;
    }
    ops.push({ ...base, kind: TransformKind.Rename, ref, to, upsert: r.upsert });
  });
  t.add.forEach((a, i) => {
    const ref = refs.resolve('log', a.field);
    if (typeof ref === 'string') errs.push(`${where('add', i)}: ${ref}`);
    else ops.push({ ...base, kind: TransformKind.Add, ref, value: a.value, upsert: a.upsert });
  });
  return ops;
}

function* buildSignal(
  signal: Signal,
  drafts: PolicyDraft[],
  backend: RegexBackend,
  clock: Clock,
  statsOf: (id: string) => PolicyStats,
): Generator<CompileYield, CompiledSignal, unknown> {
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
    const reuse = (d as PolicyDraft & { reuse?: CompiledPolicy }).reuse;
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
