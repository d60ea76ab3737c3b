import type { AggregationOption, AggregationType, ViewOptions } from '@opentelemetry/sdk-metrics';
import { parsePolicyDocument, parsePolicyText, type MatchCondition, type Matcher, type Policy, type PolicySet } from '@otel-policy/core';
import { PolicyHandle } from './policy-source.js';

/**
 * `{ type: AggregationType.DROP }`: the value is 1 in sdk-metrics 1.x and 2.x
 * (verified up to 2.12.1). Pass your SDK's own option through
 * {@link DropViewsOptions.aggregation} to be independent of it.
 */
const DROP_AGGREGATION: AggregationOption = Object.freeze({ type: 1 as AggregationType.DROP });

/** Options for {@link dropViewsFor}. */
export interface DropViewsOptions {
  /**
   * The aggregation every view gets. Default `{ type: 1 }`, sdk-metrics
   * 1.x/2.x's `AggregationType.DROP`; pass `{ type: AggregationType.DROP }`
   * with the enum of the SDK in use to be explicit.
   */
  aggregation?: AggregationOption;
  /**
   * Whether the SDK expands every `*` of a view's `instrumentName`. Up to
   * 2.12.1 at least, sdk-metrics expands only the first one (`*a*` selects
   * names that end in `a`), so `contains` matchers, which need `*literal*`,
   * are left to the exporter unless this is true.
   */
  multiWildcard?: boolean;
}

/** A metric policy turned into a view. */
export interface PolicyDropView {
  readonly policyId: string;
  readonly view: ViewOptions;
}

/** A metric policy left to the exporter, and why. */
export interface SkippedPolicy {
  readonly policyId: string;
  readonly reason: string;
}

/** What {@link dropViewsFor} returns. */
export interface PolicyDropViews {
  /** Views for `new MeterProvider({ views })`, one per distinct selector. */
  readonly views: ViewOptions[];
  /** The policies expressed as views, in policy order. */
  readonly expressed: PolicyDropView[];
  /** Metric policies that no view expresses; the exporter still applies them. */
  readonly skipped: SkippedPolicy[];
}

/**
 * Turn the metric policies that drop whole instruments into SDK views with
 * the DROP aggregation, so that the SDK never aggregates them.
 *
 * A policy becomes a view when it is enabled and valid, has `keep: false`,
 * and every matcher is positive (no `negate`, no `case_insensitive`) and one
 * of:
 * - `metric_field: name` with `exact` (or a string `equals`), `starts_with`
 *   (`literal*`), `ends_with` (`*literal`), or `contains` (`*literal*`, only
 *   with {@link DropViewsOptions.multiWildcard}), the literal non-empty and
 *   free of `*` and `?` — at most one such matcher;
 * - `metric_field: scope_name` with `exact` → `meterName`;
 * - `metric_field: unit` with `exact` → `instrumentUnit`.
 *
 * Everything else (attribute, type and temporality matchers, regexes, scope
 * version and schema URLs, which sdk-metrics ignores for meters that lack
 * them) is returned in `skipped`.
 *
 * The views are an optimization: keep the {@link PolicyMetricExporter} in
 * place. A drop policy always wins over a keep policy for metrics, so a view
 * drops exactly what the exporter would, whatever other policies say and
 * whatever other views rename; but points dropped by a view are never
 * evaluated, so they count no hits in the policy stats. Views are fixed when
 * the MeterProvider is built: build them from policies that do not change at
 * run time (a later update removing the policy would not bring the
 * instrument back).
 *
 * @param policies a parsed set, a policy document (`{ policies: [...] }`), or
 *   policy file text (JSON or YAML) — not a path or a {@link PolicyHandle}
 *   (either throws a TypeError that says so): read the file yourself.
 * @example
 * const { views } = dropViewsFor(readFileSync('policies.yaml', 'utf8'));
 * const meterProvider = new MeterProvider({ views, readers: [reader] });
 */
export function dropViewsFor(policies: PolicySet | { readonly policies: readonly unknown[] } | string, options: DropViewsOptions = {}): PolicyDropViews {
  if (policies instanceof PolicyHandle) {
    throw new TypeError(
      "dropViewsFor takes policy text or a parsed set, not a handle (views are fixed when the MeterProvider is built): pass the file's text, dropViewsFor(readFileSync(path, 'utf8'))",
    );
  }
  if (typeof policies === 'string' && /^[^\n{}[\]]+\.(ya?ml|json)$/i.test(policies.trim())) {
    throw new TypeError(`dropViewsFor takes policy text, not a path (${JSON.stringify(policies)}): pass dropViewsFor(readFileSync(${JSON.stringify(policies)}, 'utf8'))`);
  }
  const set = typeof policies === 'string' ? parsePolicyText(policies) : isParsed(policies) ? policies : parsePolicyDocument(policies);
  const aggregation = options.aggregation ?? DROP_AGGREGATION;
  const views: ViewOptions[] = [];
  const expressed: PolicyDropView[] = [];
  const skipped: SkippedPolicy[] = [];
  const seen = new Map<string, ViewOptions>();
  for (const policy of set.policies) {
    if (policy.metric === undefined) continue;
    const selector = viewSelector(policy, options.multiWildcard === true);
    if (typeof selector === 'string') {
      skipped.push({ policyId: policy.id, reason: selector });
      continue;
    }
    const key = JSON.stringify([selector.instrumentName, selector.meterName, selector.instrumentUnit]);
    let view = seen.get(key);
    if (view === undefined) {
      view = { ...selector, aggregation };
      seen.set(key, view);
      views.push(view);
    }
    expressed.push({ policyId: policy.id, view });
  }
  return { views, expressed, skipped };
}

/** A parsed set has policies with a `problems` list, which a raw document's policies lack. */
function isParsed(v: PolicySet | { readonly policies: readonly unknown[] }): v is PolicySet {
  return Array.isArray(v.policies) && v.policies.every((p) => typeof p === 'object' && p !== null && Array.isArray((p as Policy).problems));
}

type Selector = Pick<ViewOptions, 'instrumentName' | 'meterName' | 'instrumentUnit'>;

/** The view selector of a metric policy, or why there is none. */
function viewSelector(policy: Policy, multiWildcard: boolean): Selector | string {
  const target = policy.metric!;
  if (!policy.enabled) return 'disabled';
  if (policy.problems.length > 0) return `invalid: ${policy.problems.join('; ')}`;
  if (target.keep) return 'keep: true (drops nothing)';
  if (target.match.length === 0) return 'no matchers';
  let instrumentName: string | undefined;
  let meterName: string | undefined;
  let instrumentUnit: string | undefined;
  for (let i = 0; i < target.match.length; i++) {
    const m = target.match[i];
    const at = `match[${i}]`;
    const problem = matcherProblem(m);
    if (problem !== undefined) return `${at}: ${problem}`;
    const field = (m.field as { kind: 'field'; field: string }).field;
    switch (field) {
      case 'name': {
        if (instrumentName !== undefined) return `${at}: more than one metric name matcher`;
        const pattern = namePattern(m.match, multiWildcard);
        if (pattern.startsWith('!')) return `${at}: ${pattern.slice(1)}`;
        instrumentName = pattern;
        break;
      }
      case 'scope_name':
      case 'unit': {
        const literal = exactLiteral(m.match);
        if (literal === undefined) return `${at}: ${field} needs an exact match (views select meters and units exactly)`;
        if (literal === '') return `${at}: an empty literal never matches`;
        const previous = field === 'unit' ? instrumentUnit : meterName;
        if (previous !== undefined) return `${at}: more than one ${field} matcher`;
        if (field === 'unit') instrumentUnit = literal;
        else meterName = literal;
        break;
      }
      default:
        return `${at}: metric_field ${field} has no view selector` + (field === 'scope_version' || field === 'scope_schema_url' ? ' (sdk-metrics ignores it for meters without one)' : '');
    }
  }
  const selector: Selector = { instrumentName: instrumentName ?? '*' };
  if (meterName !== undefined) selector.meterName = meterName;
  if (instrumentUnit !== undefined) selector.instrumentUnit = instrumentUnit;
  return selector;
}

/** Why a matcher cannot be a view selector, if it cannot. */
function matcherProblem(m: Matcher): string | undefined {
  if (m.negate) return 'negate';
  if (m.caseInsensitive) return 'case_insensitive';
  const f = m.field;
  if (f === undefined || f.kind === 'invalid') return 'invalid field selector';
  switch (f.kind) {
    case 'field':
      return undefined;
    case 'datapoint_attribute':
      return 'datapoint_attribute selects data points, not instruments';
    case 'metric_type':
    case 'aggregation_temporality':
      return `${f.kind} depends on the aggregation, not only on the instrument`;
    default:
      return `${f.kind} has no view selector`;
  }
}

/** The literal of an exact string match (`exact`, or `equals` with a string). */
function exactLiteral(c: MatchCondition | undefined): string | undefined {
  if (c === undefined) return undefined;
  if (c.kind === 'exact') return c.value;
  if (c.kind === 'equals' && c.value.type === 'string') return c.value.value;
  return undefined;
}

/** The `instrumentName` pattern for a name condition, or `!reason`. */
function namePattern(c: MatchCondition | undefined, multiWildcard: boolean): string {
  if (c === undefined || c.kind === 'invalid') return '!invalid match condition';
  const literal = exactLiteral(c) ?? (c.kind === 'starts_with' || c.kind === 'ends_with' || c.kind === 'contains' ? c.value : undefined);
  if (literal === undefined) return `!${c.kind} has no instrument name pattern`;
  if (literal === '') return '!empty literal';
  if (literal.includes('*') || literal.includes('?')) return '!the literal holds a wildcard character (* or ?)';
  switch (c.kind) {
    case 'starts_with':
      return `${literal}*`;
    case 'ends_with':
      return `*${literal}`;
    case 'contains':
      return multiWildcard ? `*${literal}*` : '!contains needs two wildcards (*literal*); sdk-metrics expands only the first (see multiWildcard)';
    default:
      return literal;
  }
}
