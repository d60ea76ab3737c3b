/**
 * Metric data points as the OpenTelemetry JS metrics SDK hands them to a
 * `PushMetricExporter` (`ResourceMetrics` of `@opentelemetry/sdk-metrics`).
 *
 * The shapes below are structural and minimal, so that this module imports
 * nothing from the SDK at run time and serves every SDK line whose export
 * data has this shape (2.x, and 3.x as long as it keeps it). The SDK's own
 * objects are never modified: it may reuse them across collections.
 *
 * Reading mirrors the OTLP/JSON adapter exactly, i.e. what the policy would
 * see if the same data had gone through the SDK's OTLP exporter first: string
 * matchers see non-empty strings only; an attribute exists when its key is
 * present, whatever its value; nested paths go through plain-object values
 * (OTLP kvlists); a JS number is an Int when integral, else a Double.
 */
import { EvalResult, type Matchable, type PolicyEngine } from '@otel-policy/core';
import { METRIC_POINT_KINDS, SdkDataPointType } from '../shared/metric-kinds.js';
import { BatchOutcome, countResult } from '../shared/outcome.js';
import { attributeMapReads } from './attributes.js';
import { dataPointReads } from '../shared/data-point-reads.js';

export { SdkDataPointType };

/**
 * Numeric values of sdk-metrics' `AggregationTemporality`, verified identical
 * in sdk-metrics 1.x and 2.x. Note that they differ from OTLP's (where DELTA
 * is 1 and CUMULATIVE 2).
 */
export const SdkAggregationTemporality = {
  DELTA: 0,
  CUMULATIVE: 1,
} as const;

/** Attributes as the SDK carries them (`Attributes` of `@opentelemetry/api`, or a log-style AnyValue map). */
type SdkAttributeMap = Readonly<Record<string, unknown>>;

/** The part of an SDK `Resource` policies read. */
export interface SdkMetricsResource {
  readonly attributes: SdkAttributeMap;
  readonly schemaUrl?: string;
}

/** The part of an SDK `InstrumentationScope` policies read (`attributes` when the SDK line has them). */
export interface SdkMetricsScope {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
  readonly attributes?: SdkAttributeMap;
}

/** The part of an SDK `DataPoint` policies read. */
export interface SdkDataPoint {
  readonly attributes: SdkAttributeMap;
}

/** The part of an SDK `MetricData` policies read. */
export interface SdkMetricData {
  readonly descriptor: { readonly name: string; readonly description?: string; readonly unit?: string };
  /** An {@link SdkDataPointType} value. */
  readonly dataPointType: number;
  /** An {@link SdkAggregationTemporality} value. */
  readonly aggregationTemporality: number;
  readonly isMonotonic?: boolean;
  readonly dataPoints: readonly SdkDataPoint[];
}

/** An SDK `ScopeMetrics`. */
export interface SdkScopeMetrics {
  readonly scope: SdkMetricsScope;
  readonly metrics: readonly SdkMetricData[];
}

/** An SDK `ResourceMetrics`: what one `PushMetricExporter.export` call receives. */
export interface SdkResourceMetrics {
  readonly resource: SdkMetricsResource;
  readonly scopeMetrics: readonly SdkScopeMetrics[];
}

/**
 * The data point being evaluated, with its metric, scope and resource. One
 * cursor is reused for every point of a batch. `dataPoint` is undefined for
 * a metric without data points (evaluated once on its own fields).
 */
export class SdkDataPointCursor {
  scopeMetrics: SdkScopeMetrics = EMPTY_SCOPE;
  metric: SdkMetricData = EMPTY_METRIC;
  dataPoint: SdkDataPoint | undefined = undefined;

  constructor(public resourceMetrics: SdkResourceMetrics) {}
}

const NONE: readonly never[] = Object.freeze([]);
const EMPTY_SCOPE: SdkScopeMetrics = Object.freeze({ scope: Object.freeze({ name: '' }), metrics: NONE });
const EMPTY_METRIC: SdkMetricData = Object.freeze({
  descriptor: Object.freeze({ name: '' }),
  dataPointType: -1,
  aggregationTemporality: -1,
  dataPoints: NONE,
});

/** Policy `metric_type` names, indexed by {@link SdkDataPointType}. */
const TYPE_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const k of METRIC_POINT_KINDS) if (k.sdk !== undefined) names[k.sdk] = k.metricType;
  return names;
})();

/** The metric's data point type as a policy `metric_type` name (a non-monotonic sum is still `sum`). */
export function sdkMetricTypeName(m: SdkMetricData): string | undefined {
  return TYPE_NAMES[m.dataPointType];
}

/**
 * The metric's aggregation temporality as `delta`/`cumulative`. Gauges have
 * none, as in OTLP (the SDK sets one on them anyway).
 */
export function sdkTemporalityName(m: SdkMetricData): string | undefined {
  const type = m.dataPointType;
  if (type !== SdkDataPointType.SUM && type !== SdkDataPointType.HISTOGRAM && type !== SdkDataPointType.EXPONENTIAL_HISTOGRAM) return undefined;
  const t = m.aggregationTemporality;
  return t === SdkAggregationTemporality.DELTA ? 'delta' : t === SdkAggregationTemporality.CUMULATIVE ? 'cumulative' : undefined;
}

// ---------------------------------------------------------------------------
// Accessor

/** Accessor for SDK metric data points (see {@link SdkDataPointCursor}). */
export const sdkDataPointAccessor: Matchable<SdkDataPointCursor> = dataPointReads(attributeMapReads, {
  recordAttributes: (c: SdkDataPointCursor) => c.dataPoint?.attributes,
  resourceAttributes: (c) => c.resourceMetrics.resource?.attributes,
  scopeAttributes: (c) => c.scopeMetrics.scope?.attributes,
  name: (c) => c.metric.descriptor.name,
  description: (c) => c.metric.descriptor.description,
  unit: (c) => c.metric.descriptor.unit,
  resourceSchemaUrl: (c) => c.resourceMetrics.resource?.schemaUrl,
  scopeSchemaUrl: (c) => c.scopeMetrics.scope?.schemaUrl,
  scopeName: (c) => c.scopeMetrics.scope?.name,
  scopeVersion: (c) => c.scopeMetrics.scope?.version,
  metricType: (c) => sdkMetricTypeName(c.metric),
  temporality: (c) => sdkTemporalityName(c.metric),
});

// ---------------------------------------------------------------------------
// Filtering

/** What {@link applyToResourceMetrics} returns. */
export interface SdkMetricsResult<T extends SdkResourceMetrics> {
  /**
   * The data to export: the input object itself when nothing was dropped,
   * else a copy of the containers that changed (possibly with no scopes left).
   */
  readonly resourceMetrics: T;
  /** What happened to the data points. */
  readonly outcome: BatchOutcome;
}

/**
 * Apply the engine's metric policies to one SDK `ResourceMetrics`, one data
 * point at a time (the metric's fields plus that point's attributes).
 *
 * Nothing is mutated. When a point is dropped its metric is shallow-copied
 * with the kept points; a metric left with no points is removed, and so is a
 * scope left with no metrics; only the containers on the path of a change are
 * copied. When nothing is dropped the input object is returned as is and
 * nothing is allocated per data point. A metric without data points is
 * evaluated once on its own fields and removed if dropped.
 */
export function applyToResourceMetrics<T extends SdkResourceMetrics>(engine: PolicyEngine, resourceMetrics: T): SdkMetricsResult<T> {
  const outcome = new BatchOutcome();
  const cursor = new SdkDataPointCursor(resourceMetrics);
  const scopes = resourceMetrics.scopeMetrics;
  let kept: SdkScopeMetrics[] | undefined;
  for (let i = 0; i < scopes.length; i++) {
    const sm = scopes[i];
    const next = filterScope(engine, cursor, sm, outcome);
    if (next !== sm && kept === undefined) kept = scopes.slice(0, i);
    if (kept !== undefined && next !== undefined) kept.push(next);
  }
  return { resourceMetrics: kept === undefined ? resourceMetrics : ({ ...resourceMetrics, scopeMetrics: kept } as T), outcome };
}

/** The scope unchanged, a copy with the kept metrics, or undefined when none is left. */
function filterScope(engine: PolicyEngine, cursor: SdkDataPointCursor, sm: SdkScopeMetrics, outcome: BatchOutcome): SdkScopeMetrics | undefined {
  cursor.scopeMetrics = sm;
  const metrics = sm.metrics;
  let kept: SdkMetricData[] | undefined;
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i];
    const next = filterMetric(engine, cursor, m, outcome);
    if (next !== m && kept === undefined) kept = metrics.slice(0, i);
    if (kept !== undefined && next !== undefined) kept.push(next);
  }
  if (kept === undefined) return sm;
  return kept.length === 0 ? undefined : { ...sm, metrics: kept };
}

/** The metric unchanged, a copy with the kept points, or undefined when none is left. */
function filterMetric(engine: PolicyEngine, cursor: SdkDataPointCursor, m: SdkMetricData, outcome: BatchOutcome): SdkMetricData | undefined {
  cursor.metric = m;
  const points = m.dataPoints;
  if (points.length === 0) {
    cursor.dataPoint = undefined;
    const r = engine.evaluateMetric(cursor, sdkDataPointAccessor);
    countResult(outcome, r);
    return r < EvalResult.Dropped ? m : undefined;
  }
  let kept: SdkDataPoint[] | undefined;
  for (let i = 0; i < points.length; i++) {
    const dp = points[i];
    cursor.dataPoint = dp;
    const r = engine.evaluateMetric(cursor, sdkDataPointAccessor);
    countResult(outcome, r);
    if (r >= EvalResult.Dropped) {
      if (kept === undefined) kept = points.slice(0, i);
    } else if (kept !== undefined) kept.push(dp);
  }
  cursor.dataPoint = undefined;
  if (kept === undefined) return m;
  return kept.length === 0 ? undefined : { ...m, dataPoints: kept };
}
