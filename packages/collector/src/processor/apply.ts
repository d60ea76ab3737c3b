/**
 * Apply the engine to an OTLP/JSON-shaped payload in place with the adapters'
 * applyToLogs/Traces/Metrics, through the otlp-json accessors wrapped so as to
 * remember what was
 * written: a record a transform or the sampler changed, or the scope or
 * resource whose attributes a transform wrote, is marked {@link DIRTY} so the
 * exporter re-encodes exactly those parts and copies the rest (see
 * ../otlp/wire.ts). The accessors decide nothing; the engine decides.
 */
import {
  applyToLogs,
  applyToMetrics,
  applyToTraces,
  BatchOutcome,
  otlpJsonLogAccessor,
  otlpJsonSpanAccessor,
  type LogCursor,
  type LogsData,
  type MetricsData,
  type SpanCursor,
  type TracesData,
} from '@otel-policy/adapters';
import { LogField, RefKind, TraceField, type FieldRef, type PolicyEngine, type Transformable } from '@otel-policy/core';
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

/** Logs through the shared OTLP/JSON walker, with the marking accessor. */
export function applyLogs(engine: PolicyEngine, data: LogsData): BatchOutcome {
  return applyToLogs(engine, data, logAccessor);
}

/** Spans through the shared OTLP/JSON walker, with the marking accessor. */
export function applyTraces(engine: PolicyEngine, data: TracesData): BatchOutcome {
  return applyToTraces(engine, data, spanAccessor);
}

/**
 * Metrics need no marking: metric policies only drop data points, and a
 * metric whose points changed gets a new list, which the exporter re-encodes.
 */
export function applyMetrics(engine: PolicyEngine, data: MetricsData): BatchOutcome {
  return applyToMetrics(engine, data);
}
