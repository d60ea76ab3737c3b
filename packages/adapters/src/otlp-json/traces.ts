import { EvalResult, RefKind, TraceField, type PolicyEngine, type Transformable } from '@otel-policy/core';
import { keyValueReads, removeAttribute, renameAttribute, setAttribute } from './any-value.js';
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES } from '../shared/span-enums.js';
import { spanReads } from '../shared/span-reads.js';
import { attributesAt, type AttributeLevels } from '../shared/attribute-reads.js';
import type { KeyValue, ResourceSpans, ScopeSpans, Span, TracesData } from './types.js';
import { BatchOutcome, countResult } from '../shared/outcome.js';
import { walkPayload } from './walk.js';

/** Where one span sits in an OTLP/JSON payload (reused across spans). */
export interface SpanCursor {
  resourceSpans: ResourceSpans;
  scopeSpans: ScopeSpans;
  span: Span;
}

/** Map an OTLP enum (name or number) to its short lowercase name. */
function enumName(v: string | number | undefined, names: readonly string[], prefix: string): string {
  if (v === undefined || v === null) return names[0];
  if (typeof v === 'number') return names[v] ?? names[0];
  const s = v.startsWith(prefix) ? v.slice(prefix.length).toLowerCase() : v.toLowerCase();
  if (/^\d+$/.test(s)) return names[Number(s)] ?? names[0];
  return names.includes(s) ? s : names[0];
}

export const spanKindName = (v: string | number | undefined): string => enumName(v, SPAN_KIND_NAMES, 'SPAN_KIND_');
export const statusCodeName = (v: string | number | undefined): string => enumName(v, STATUS_CODE_NAMES, 'STATUS_CODE_');

/** The attribute lists of a span, its resource and its scope, as they are. */
const levels: AttributeLevels<SpanCursor, KeyValue[]> = {
  recordAttributes: (c) => c.span.attributes,
  resourceAttributes: (c) => c.resourceSpans.resource?.attributes,
  scopeAttributes: (c) => c.scopeSpans.scope?.attributes,
};

/** The same, created on the first write. */
const writable: AttributeLevels<SpanCursor, KeyValue[]> = {
  recordAttributes: (c) => (c.span.attributes ??= []),
  resourceAttributes: (c) => ((c.resourceSpans.resource ??= {}).attributes ??= []),
  scopeAttributes: (c) => ((c.scopeSpans.scope ??= {}).attributes ??= []),
};

const reads = spanReads(keyValueReads, {
  ...levels,
  name: (c) => c.span.name,
  traceId: (c) => c.span.traceId,
  spanId: (c) => c.span.spanId,
  parentSpanId: (c) => c.span.parentSpanId,
  traceState: (c) => c.span.traceState,
  resourceSchemaUrl: (c) => c.resourceSpans.schemaUrl,
  scopeSchemaUrl: (c) => c.scopeSpans.schemaUrl,
  scopeName: (c) => c.scopeSpans.scope?.name,
  scopeVersion: (c) => c.scopeSpans.scope?.version,
  kindName: (c) => spanKindName(c.span.kind),
  statusName: (c) => statusCodeName(c.span.status?.code),
  events: (c) => c.span.events,
  links: (c) => c.span.links,
  linkTraceId: (l) => l.traceId,
});

/** Accessor for spans in OTLP/JSON payloads (see {@link SpanCursor}). */
export const otlpJsonSpanAccessor: Transformable<SpanCursor> = {
  ...reads,
  remove(c, ref) {
    if (ref.kind === RefKind.Field) {
      if (ref.code === TraceField.TraceState) {
        const had = !!c.span.traceState;
        delete c.span.traceState;
        return had;
      }
      return false;
    }
    return removeAttribute(attributesAt(levels, c, ref.kind), ref.path);
  },
  set(c, ref, value) {
    if (ref.kind === RefKind.Field) {
      if (ref.code === TraceField.TraceState) c.span.traceState = value;
      else if (ref.code === TraceField.Name) c.span.name = value;
      return;
    }
    const attrs = attributesAt(writable, c, ref.kind);
    if (attrs) setAttribute(attrs, ref.path, value);
  },
  rename(c, from, to) {
    const attrs = attributesAt(levels, c, from.kind);
    if (attrs) renameAttribute(attrs, from.path, to);
  },
};

/** Apply the engine's trace policies to an OTLP/JSON traces payload in place (`accessor` may wrap the default one). */
export function applyToTraces(engine: PolicyEngine, data: TracesData, accessor: Transformable<SpanCursor> = otlpJsonSpanAccessor): BatchOutcome {
  const outcome = new BatchOutcome();
  const rss = data.resourceSpans;
  if (!Array.isArray(rss)) return outcome;
  const cursor = {} as SpanCursor;
  data.resourceSpans = walkPayload<ResourceSpans, ScopeSpans, Span>(rss, {
    scopes: (rs) => rs.scopeSpans,
    setScopes: (rs, sss) => (rs.scopeSpans = sss),
    records: (ss) => ss.spans,
    setRecords: (ss, spans) => (ss.spans = spans),
    enterResource: (rs) => (cursor.resourceSpans = rs),
    enterScope: (ss) => (cursor.scopeSpans = ss),
    keep(span) {
      cursor.span = span;
      const r = engine.evaluateTrace(cursor, accessor);
      countResult(outcome, r);
      return r < EvalResult.Dropped;
    },
  });
  return outcome;
}
