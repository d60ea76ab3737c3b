import { EvalResult, MetricField, RefKind, type Matchable, type PolicyEngine, type TypedValue } from '@otel-policy/core';
import { METRIC_POINT_KINDS } from '../shared/metric-kinds.js';
import { anyValueString, findAttribute, readAnyValue } from './any-value.js';
import type { DataPoint, KeyValue, Metric, MetricsData, ResourceMetrics, ScopeMetrics } from './types.js';
import { BatchOutcome, countResult } from './outcome.js';

/**
 * One metric data point in an OTLP/JSON payload (reused across points).
 * `dataPoint` is undefined for a metric that has no data points.
 */
export interface DataPointCursor {
  resourceMetrics: ResourceMetrics;
  scopeMetrics: ScopeMetrics;
  metric: Metric;
  dataPoint: DataPoint | undefined;
}

const DATA_CASES = METRIC_POINT_KINDS.map((k) => k.json);
const TYPE_NAMES = METRIC_POINT_KINDS.map((k) => k.metricType);

/** The metric's data case as a policy metric_type name. */
export function metricTypeName(m: Metric): string | undefined {
  for (let i = 0; i < DATA_CASES.length; i++) if (m[DATA_CASES[i]] !== undefined && m[DATA_CASES[i]] !== null) return TYPE_NAMES[i];
  return undefined;
}

/** The metric's aggregation temporality as `delta`/`cumulative`, when it has one. */
export function temporalityName(m: Metric): string | undefined {
  const t = (m.sum ?? m.histogram ?? m.exponentialHistogram)?.aggregationTemporality;
  if (t === undefined || t === null) return undefined;
  if (t === 1 || t === 'AGGREGATION_TEMPORALITY_DELTA' || t === '1') return 'delta';
  if (t === 2 || t === 'AGGREGATION_TEMPORALITY_CUMULATIVE' || t === '2') return 'cumulative';
  return undefined;
}

function attrsOf(c: DataPointCursor, kind: number): KeyValue[] | undefined {
  switch (kind) {
    case RefKind.RecordAttribute:
      return c.dataPoint?.attributes;
    case RefKind.ResourceAttribute:
      return c.resourceMetrics.resource?.attributes;
    case RefKind.ScopeAttribute:
      return c.scopeMetrics.scope?.attributes;
    default:
      return undefined;
  }
}

function valueString(c: DataPointCursor, ref: { kind: number; code: number; path: readonly string[] }): string | undefined {
  switch (ref.kind) {
    case RefKind.Field:
      switch (ref.code) {
        case MetricField.Name:
          return c.metric.name || undefined;
        case MetricField.Description:
          return c.metric.description || undefined;
        case MetricField.Unit:
          return c.metric.unit || undefined;
        case MetricField.ResourceSchemaUrl:
          return c.resourceMetrics.schemaUrl || undefined;
        case MetricField.ScopeSchemaUrl:
          return c.scopeMetrics.schemaUrl || undefined;
        case MetricField.ScopeName:
          return c.scopeMetrics.scope?.name || undefined;
        case MetricField.ScopeVersion:
          return c.scopeMetrics.scope?.version || undefined;
        default:
          return undefined;
      }
    case RefKind.MetricType:
      return metricTypeName(c.metric);
    case RefKind.AggregationTemporality:
      return temporalityName(c.metric);
    default:
      return anyValueString(findAttribute(attrsOf(c, ref.kind), ref.path)?.value);
  }
}

/** Accessor for metric data points in OTLP/JSON payloads (see {@link DataPointCursor}). */
export const otlpJsonDataPointAccessor: Matchable<DataPointCursor> = {
  getString: valueString,
  getTyped(c, ref, out: TypedValue) {
    if (ref.kind === RefKind.RecordAttribute || ref.kind === RefKind.ResourceAttribute || ref.kind === RefKind.ScopeAttribute) {
      readAnyValue(findAttribute(attrsOf(c, ref.kind), ref.path)?.value, out);
      return;
    }
    const s = valueString(c, ref);
    if (s !== undefined) out.setString(s);
  },
  exists(c, ref) {
    if (ref.kind === RefKind.RecordAttribute || ref.kind === RefKind.ResourceAttribute || ref.kind === RefKind.ScopeAttribute) {
      return findAttribute(attrsOf(c, ref.kind), ref.path) !== undefined;
    }
    return valueString(c, ref) !== undefined;
  },
  elementCount() {
    return 0;
  },
};

/** The data point list of a metric, whatever its type. */
export function dataPointsOf(m: Metric): DataPoint[] | undefined {
  for (const k of DATA_CASES) {
    const d = m[k];
    if (d !== undefined && d !== null) return d.dataPoints;
  }
  return undefined;
}

/**
 * Apply the engine's metric policies to an OTLP/JSON metrics payload in
 * place, one data point at a time: dropped points are removed, and metrics,
 * scopes and resources left empty are pruned. A metric without data points is
 * evaluated once on its own fields.
 */
export function applyToMetrics(engine: PolicyEngine, data: MetricsData): BatchOutcome {
  const outcome = new BatchOutcome();
  const rms = data.resourceMetrics;
  if (!Array.isArray(rms)) return outcome;
  const cursor = {} as DataPointCursor;
  const keptResources: ResourceMetrics[] = [];
  for (const rm of rms) {
    if (!rm) continue;
    cursor.resourceMetrics = rm;
    const keptScopes: ScopeMetrics[] = [];
    for (const sm of rm.scopeMetrics ?? []) {
      if (!sm) continue;
      cursor.scopeMetrics = sm;
      const keptMetrics: Metric[] = [];
      for (const metric of sm.metrics ?? []) {
        cursor.metric = metric;
        const points = dataPointsOf(metric);
        if (!points || points.length === 0) {
          cursor.dataPoint = undefined;
          const r = engine.evaluateMetric(cursor, otlpJsonDataPointAccessor);
          countResult(outcome, r);
          if (r < EvalResult.Dropped) keptMetrics.push(metric);
          continue;
        }
        const kept: DataPoint[] = [];
        for (const dp of points) {
          cursor.dataPoint = dp;
          const r = engine.evaluateMetric(cursor, otlpJsonDataPointAccessor);
          countResult(outcome, r);
          if (r < EvalResult.Dropped) kept.push(dp);
        }
        if (kept.length > 0) {
          if (kept.length !== points.length) {
            for (const k of DATA_CASES) if (metric[k]) metric[k]!.dataPoints = kept;
          }
          keptMetrics.push(metric);
        }
      }
      if (keptMetrics.length > 0) {
        sm.metrics = keptMetrics;
        keptScopes.push(sm);
      }
    }
    if (keptScopes.length > 0) {
      rm.scopeMetrics = keptScopes;
      keptResources.push(rm);
    }
  }
  data.resourceMetrics = keptResources;
  return outcome;
}
