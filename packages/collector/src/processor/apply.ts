/**
 * Apply the engine to an OTLP/JSON-shaped payload in place, as the adapters'
 * applyToLogs/Traces/Metrics do (same pruning, same metric-without-points
 * rule), through the same otlp-json accessors, but remembering what was
 * written: a record a transform or the sampler changed, or the scope or
 * resource whose attributes a transform wrote, is marked {@link DIRTY} so the
 * exporter re-encodes exactly those parts and copies the rest (see
 * ../otlp/wire.ts). The accessors decide nothing; the engine decides.
 */
import {
  BatchOutcome,
  otlpJsonDataPointAccessor,
  otlpJsonLogAccessor,
  otlpJsonSpanAccessor,
  type DataPointCursor,
  type LogCursor,
  type LogsData,
  type MetricsData,
  type SpanCursor,
  type TracesData,
} from '@otel-policy/adapters';
import { EvalResult, LogField, RefKind, TraceField, type FieldRef, type PolicyEngine, type Transformable } from '@otel-policy/core';
import { DIRTY, hide } from '../otlp/wire.js';

type Marked = { [DIRTY]?: boolean };
type Holder = { resource: Marked; scope: Marked; record: Marked };

/** Mark an object modified (once). */
function mark(o: Marked): void {
  if (!o[DIRTY]) hide(o, DIRTY, true);
}

/** Which object a write through `ref` changes. */
function target(ref: FieldRef, h: Holder, resourceField: number, scopeField: number): Marked {
  if (ref.kind === RefKind.ResourceAttribute || (ref.kind === RefKind.Field && ref.code === resourceField)) return h.resource;
  if (ref.kind === RefKind.ScopeAttribute || (ref.kind === RefKind.Field && ref.code === scopeField)) return h.scope;
  return h.record;
}

/** An accessor that marks what it writes, then delegates. Reads go straight to the base accessor. */
function marking<C>(base: Transformable<C>, holder: (c: C) => Holder, resourceField: number, scopeField: number): Transformable<C> {
  return {
    getString: base.getString,
    getTyped: base.getTyped,
    exists: base.exists,
    elementCount: base.elementCount,
    remove(c, ref) {
      const existed = base.remove.call(this, c, ref);
      if (existed) mark(target(ref, holder(c), resourceField, scopeField));
      return existed;
    },
    set(c, ref, value) {
      mark(target(ref, holder(c), resourceField, scopeField));
      base.set.call(this, c, ref, value);
    },
    rename(c, from, to) {
      mark(target(from, holder(c), resourceField, scopeField));
      base.rename.call(this, c, from, to);
    },
  };
}

const logAccessor = marking<LogCursor>(
  otlpJsonLogAccessor,
  (c) => ({ resource: c.resourceLogs as Marked, scope: c.scopeLogs as Marked, record: c.record as Marked }),
  LogField.ResourceSchemaUrl,
  LogField.ScopeSchemaUrl,
);

const spanAccessor = marking<SpanCursor>(
  otlpJsonSpanAccessor,
  (c) => ({ resource: c.resourceSpans as Marked, scope: c.scopeSpans as Marked, record: c.span as Marked }),
  TraceField.ResourceSchemaUrl,
  TraceField.ScopeSchemaUrl,
);

function count(o: BatchOutcome, r: EvalResult): void {
  o.total++;
  switch (r) {
    case EvalResult.NoMatch:
      o.noMatch++;
      break;
    case EvalResult.Kept:
      o.kept++;
      break;
    case EvalResult.KeptModified:
      o.modified++;
      break;
    case EvalResult.Dropped:
      o.dropped++;
      break;
    case EvalResult.SampledOut:
      o.sampledOut++;
      break;
    case EvalResult.RateLimited:
      o.rateLimited++;
      break;
  }
}

export function applyLogs(engine: PolicyEngine, data: LogsData): BatchOutcome {
  const outcome = new BatchOutcome();
  const rls = data.resourceLogs;
  if (!Array.isArray(rls)) return outcome;
  const cursor = {} as LogCursor;
  const keptResources: typeof rls = [];
  for (const rl of rls) {
    if (!rl) continue;
    cursor.resourceLogs = rl;
    const keptScopes: NonNullable<typeof rl.scopeLogs> = [];
    for (const sl of rl.scopeLogs ?? []) {
      if (!sl) continue;
      cursor.scopeLogs = sl;
      const records = sl.logRecords ?? [];
      const kept: typeof records = [];
      for (const lr of records) {
        cursor.record = lr;
        const r = engine.evaluateLog(cursor, logAccessor);
        count(outcome, r);
        if (r < EvalResult.Dropped) kept.push(lr);
      }
      if (kept.length > 0) {
        if (kept.length !== records.length) sl.logRecords = kept;
        keptScopes.push(sl);
      }
    }
    if (keptScopes.length > 0) {
      rl.scopeLogs = keptScopes;
      keptResources.push(rl);
    }
  }
  data.resourceLogs = keptResources;
  return outcome;
}

export function applyTraces(engine: PolicyEngine, data: TracesData): BatchOutcome {
  const outcome = new BatchOutcome();
  const rss = data.resourceSpans;
  if (!Array.isArray(rss)) return outcome;
  const cursor = {} as SpanCursor;
  const keptResources: typeof rss = [];
  for (const rs of rss) {
    if (!rs) continue;
    cursor.resourceSpans = rs;
    const keptScopes: NonNullable<typeof rs.scopeSpans> = [];
    for (const ss of rs.scopeSpans ?? []) {
      if (!ss) continue;
      cursor.scopeSpans = ss;
      const spans = ss.spans ?? [];
      const kept: typeof spans = [];
      for (const span of spans) {
        cursor.span = span;
        const r = engine.evaluateTrace(cursor, spanAccessor);
        count(outcome, r);
        if (r < EvalResult.Dropped) kept.push(span);
      }
      if (kept.length > 0) {
        if (kept.length !== spans.length) ss.spans = kept;
        keptScopes.push(ss);
      }
    }
    if (keptScopes.length > 0) {
      rs.scopeSpans = keptScopes;
      keptResources.push(rs);
    }
  }
  data.resourceSpans = keptResources;
  return outcome;
}

const DATA_CASES = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

export function applyMetrics(engine: PolicyEngine, data: MetricsData): BatchOutcome {
  const outcome = new BatchOutcome();
  const rms = data.resourceMetrics;
  if (!Array.isArray(rms)) return outcome;
  const cursor = {} as DataPointCursor;
  const keptResources: typeof rms = [];
  for (const rm of rms) {
    if (!rm) continue;
    cursor.resourceMetrics = rm;
    const keptScopes: NonNullable<typeof rm.scopeMetrics> = [];
    for (const sm of rm.scopeMetrics ?? []) {
      if (!sm) continue;
      cursor.scopeMetrics = sm;
      const keptMetrics: NonNullable<typeof sm.metrics> = [];
      for (const metric of sm.metrics ?? []) {
        cursor.metric = metric;
        let points;
        for (const k of DATA_CASES) {
          const d = metric[k];
          if (d !== undefined && d !== null) {
            points = d.dataPoints;
            break;
          }
        }
        if (!points || points.length === 0) {
          cursor.dataPoint = undefined;
          const r = engine.evaluateMetric(cursor, otlpJsonDataPointAccessor);
          count(outcome, r);
          if (r < EvalResult.Dropped) keptMetrics.push(metric);
          continue;
        }
        const kept: typeof points = [];
        for (const dp of points) {
          cursor.dataPoint = dp;
          const r = engine.evaluateMetric(cursor, otlpJsonDataPointAccessor);
          count(outcome, r);
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
