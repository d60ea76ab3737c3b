/**
 * The public API shared by the Node and browser entries (index.ts,
 * browser.ts).
 */
export * from './policy/types.js';
export { parsePolicyText, parsePolicyDocument, parsePolicy, PolicyParseError, duplicatePolicyIds, duplicatePolicyIdsProblem, type ParseOptions } from './policy/parse.js';
export { parseJsonText, jsonSyntaxProblem, positionAt, JsonSyntaxError, type JsonSyntaxProblem, type TextPosition } from './policy/json-text.js';
export { RefKind, LogField, MetricField, TraceField, TRACE_ID_REF, TRACE_STATE_REF, type FieldRef } from './match/field-ref.js';
export {
  compilePolicies,
  compilePoliciesAsync,
  compileSteps,
  compareIds,
  TransformKind,
  type CompileOptions,
  type CompiledPolicySet,
  type CompiledPolicy,
  type CompiledSignal,
  type PolicyInfo,
} from './compile/compile.js';
export { KeepKind } from './actions/keep.js';
export { Re2jsBackend, DEFAULT_ROUTING, type RegexBackend, type RegexMatcher, type BackendRouting, type AsyncCompileStep, type CompileYield } from './match/regex-backend.js';
export { loadRegexEngine, RegexEngineNotLoadedError, RegexEngineLoadError } from './match/re2js-module.js';
export { needsRegexEngine } from './compile/regex-need.js';
export { NodeRe2Backend, loadNodeRe2Backend } from './match/node-re2-backend.js';
export { PatternSet, type Pattern, type PatternKind, type PatternSetOptions } from './match/pattern-set.js';
export { requiredLiterals } from './match/literal-prefilter.js';
export { TypedValue, ValueKind, type Matchable, type Transformable } from './match/accessor.js';
export { EvalResult, isDropped, SignalEvaluator, type EvaluatorOptions } from './evaluate/signal-evaluator.js';
export { RateLimiter, type Clock } from './actions/rate-limiter.js';
export { PolicySnapshot } from './engine/snapshot.js';
export { PolicyStats, type PolicyStatsSnapshot, type TransformStageStats } from './actions/stats.js';
export { PolicyEngine, type PolicyEngineOptions, type PolicyReport, type LoadResult, type EngineLogger } from './engine/policy-engine.js';
export type { PolicyProvider, PolicyProviderListener, PolicyStatusReport } from './engine/provider.js';
export { PolicyRegistry, type PolicyRegistryOptions } from './engine/policy-registry.js';
