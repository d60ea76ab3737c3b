/**
 * The compiler's driver: a policy set in, an immutable compiled set out, as a
 * sequence of steps so that a large set compiles without blocking the event
 * loop (compilePoliciesAsync) or all at once (compilePolicies).
 */
import type { Policy, PolicySet, Signal } from '../policy/types.js';
import { FieldRefTable } from '../match/field-ref.js';
import { Re2jsBackend, type AsyncCompileStep, type CompileYield } from '../match/regex-backend.js';
import { RegexEngineLoadError, RegexEngineNotLoadedError, loadRegexEngine, regexEngineLoaded } from '../match/re2js-module.js';
import { needsRegexEngine } from './regex-need.js';
import { PolicyStats } from '../actions/stats.js';
import type { CompileOptions, CompiledPolicy, CompiledPolicySet, PolicyInfo } from './types.js';
import { compileDraft, fingerprintOf, signalOf, type PolicyDraft } from './draft.js';
import { buildSignal } from './match-index.js';

export * from './types.js';
export { numericComparator } from './lower.js';

/**
 * Compile a parsed policy set. Never throws for a bad policy: it is left out
 * (inert) and its errors are listed; every other policy still compiles.
 * @throws RegexEngineNotLoadedError in a browser, for a set with regexes
 * before the regex engine is loaded (use {@link compilePoliciesAsync}).
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
 * Records keep flowing on the previous snapshot meanwhile. In a browser, a
 * set with regexes first loads the regex engine.
 * @throws RegexEngineLoadError (rejects) when it cannot be loaded.
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
      await nextTurn();
      sliceStart = performance.now();
    }
  }
}

/** An event-loop turn between compile slices: setImmediate on Node, a zero-delay timer in browsers (which have no setImmediate). */
const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });

/** The compiler as a sequence of steps (see {@link compilePoliciesAsync}). */
export function* compileSteps(set: PolicySet, options: CompileOptions = {}): Generator<CompileYield, CompiledPolicySet, unknown> {
  if (!regexEngineLoaded() && needsRegexEngine(set.policies)) {
    // A browser loads the regex engine on first need: an asynchronous driver runs this step, a synchronous one cannot.
    const load: AsyncCompileStep = {
      run: () =>
        loadRegexEngine().then(
          () => undefined,
          (err: unknown) => err,
        ),
    };
    const failure = yield load;
    if (failure !== undefined) throw new RegexEngineLoadError(failure);
    if (!regexEngineLoaded()) throw new RegexEngineNotLoadedError();
  }
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
    if (signal && policy.problems.length === 0) draft = compileDraft(policy, signal, refs, backend, errs);
    const prev = previous.get(policy.id);
    const fingerprint = draft?.fingerprint ?? fingerprintOf(policy);
    const sameDefinition = prev?.policy !== undefined && prev.policy.fingerprint === fingerprint;
    const stats = sameDefinition ? prev!.info.stats : new PolicyStats();
    infos.push({ id: policy.id, signal, enabled: policy.enabled, errors: errs, stats });
    if (errs.length) errors.set(policy.id, errs);
    if (draft && errs.length === 0 && policy.enabled) {
      draft.reuse = sameDefinition ? prev!.policy : undefined;
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
