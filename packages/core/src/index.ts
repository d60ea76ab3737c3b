/**
 * @otel-policy/core: parse, compile and evaluate Tero policies over any
 * record representation, through accessor interfaces.
 */
export * from './policy/types.js';
export { parsePolicyText, parsePolicyDocument, parsePolicy, PolicyParseError, type ParseOptions } from './policy/parse.js';
export { parseJsonText, jsonSyntaxProblem, positionAt, JsonSyntaxError, type JsonSyntaxProblem, type TextPosition } from './policy/json-text.js';
export { RefKind, LogField, MetricField, TraceField, TRACE_ID_REF, TRACE_STATE_REF, type FieldRef } from './compile/field-ref.js';
export { compilePolicies, compilePoliciesAsync, compileSteps, compareIds, TransformKind, type CompileOptions, type CompiledPolicySet, type CompiledPolicy, type CompiledSignal, type PolicyInfo } from './compile/compile.js';
export { KeepKind } from './compile/keep.js';
export { Re2jsBackend, DEFAULT_ROUTING, type RegexBackend, type RegexMatcher, type BackendRouting, type AsyncCompileStep, type CompileYield } from './compile/regex-backend.js';
export { NodeRe2Backend, loadNodeRe2Backend } from './compile/node-re2-backend.js';
export { PatternSet, type Pattern, type PatternKind, type PatternSetOptions } from './compile/pattern-set.js';
export { requiredLiterals } from './compile/literal-prefilter.js';
export { TypedValue, ValueKind, type Matchable, type Transformable } from './evaluate/accessor.js';
export { EvalResult, isDropped, SignalEvaluator, type EvaluatorOptions } from './evaluate/signal-evaluator.js';
export { RateLimiter, type Clock } from './evaluate/rate-limiter.js';
export { PolicySnapshot } from './registry/snapshot.js';
export { PolicyStats, type PolicyStatsSnapshot, type TransformStageStats } from './registry/stats.js';
export { PolicyEngine, type PolicyEngineOptions, type PolicyReport, type LoadResult, type EngineLogger } from './engine.js';
export type { PolicyProvider, PolicyProviderListener, PolicyStatusReport } from './registry/provider.js';
export { PolicyRegistry, type PolicyRegistryOptions } from './registry/registry.js';
