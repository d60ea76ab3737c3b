import { compilePolicies, type CompileOptions, type CompiledPolicySet } from '../compile/compile.js';
import { SignalEvaluator, type EvaluatorOptions } from '../evaluate/signal-evaluator.js';
import type { PolicySet } from '../policy/types.js';

/**
 * An immutable compiled policy set with its evaluators: what one reload
 * produces and what evaluation reads. Swapping the registry's snapshot is a
 * single reference assignment, so a record is always evaluated against one
 * complete set.
 */
export class PolicySnapshot {
  readonly log: SignalEvaluator;
  readonly metric: SignalEvaluator;
  readonly trace: SignalEvaluator;

  constructor(
    readonly compiled: CompiledPolicySet,
    options: EvaluatorOptions = {},
  ) {
    this.log = new SignalEvaluator(compiled.log, options);
    this.metric = new SignalEvaluator(compiled.metric, options);
    this.trace = new SignalEvaluator(compiled.trace, options);
  }

  /** Compile a policy set into a snapshot. */
  static compile(set: PolicySet, options: CompileOptions & EvaluatorOptions = {}): PolicySnapshot {
    return new PolicySnapshot(compilePolicies(set, options), options);
  }

  /** An empty snapshot: nothing matches. */
  static empty(options: EvaluatorOptions = {}): PolicySnapshot {
    return PolicySnapshot.compile({ policies: [] }, options);
  }
}
