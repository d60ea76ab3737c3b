import { EvalResult, type Matchable, type PolicyEngine } from '@otel-policy/core';
import { METRIC_POINT_KINDS } from '../shared/metric-kinds.js';
import { keyValueReads } from './any-value.js';
import { dataPointReads } from '../shared/data-point-reads.js';
import type { DataPoint, Metric, MetricsData, ResourceMetrics, ScopeMetrics } from './types.js';
import { BatchOutcome, countResult } from '../shared/outcome.js';
import { walkPayload } from './walk.js';

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

/** Accessor for metric data points in OTLP/JSON payloads (see {@link DataPointCursor}). */
export const otlpJsonDataPointAccessor: Matchable<DataPointCursor> = dataPointReads(keyValueReads, {
  recordAttributes: (c: DataPointCursor) => c.dataPoint?.attributes,
  resourceAttributes: (c) => c.resourceMetrics.resource?.attributes,
  scopeAttributes: (c) => c.scopeMetrics.scope?.attributes,
  name: (c) => c.metric.name,
  description: (c) => c.metric.description,
  unit: (c) => c.metric.unit,
  resourceSchemaUrl: (c) => c.resourceMetrics.schemaUrl,
  scopeSchemaUrl: (c) => c.scopeMetrics.schemaUrl,
  scopeName: (c) => c.scopeMetrics.scope?.name,
  scopeVersion: (c) => c.scopeMetrics.scope?.version,
  metricType: (c) => metricTypeName(c.metric),
  temporality: (c) => temporalityName(c.metric),
});

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
  const evaluate = (dp: DataPoint | undefined): boolean => {
    cursor.dataPoint = dp;
    const r = engine.evaluateMetric(cursor, otlpJsonDataPointAccessor);
    countResult(outcome, r);
    return r < EvalResult.Dropped;
  };
  data.resourceMetrics = walkPayload<ResourceMetrics, ScopeMetrics, Metric>(rms, {
    scopes: (rm) => rm.scopeMetrics,
    setScopes: (rm, sms) => (rm.scopeMetrics = sms),
    records: (sm) => sm.metrics,
    setRecords: (sm, metrics) => (sm.metrics = metrics),
    enterResource: (rm) => (cursor.resourceMetrics = rm),
    enterScope: (sm) => (cursor.scopeMetrics = sm),
    keep(metric) {
      cursor.metric = metric;
      const points = dataPointsOf(metric);
      if (!points || points.length === 0) return evaluate(undefined);
      const kept: DataPoint[] = [];
      for (const dp of points) if (evaluate(dp)) kept.push(dp);
      if (kept.length > 0 && kept.length !== points.length) {
        for (const k of DATA_CASES) if (metric[k]) metric[k]!.dataPoints = kept;
      }
      return kept.length > 0;
    },
  });
  return outcome;
}
