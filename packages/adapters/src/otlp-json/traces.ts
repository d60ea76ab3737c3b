import { EvalResult, RefKind, TraceField, type PolicyEngine, type Transformable, type TypedValue } from '@otel-policy/core';
import { anyValueString, findAttribute, normalizeId, readAnyValue, removeAttribute, renameAttribute, setAttribute } from './any-value.js';
import type { KeyValue, ResourceSpans, ScopeSpans, Span, TracesData } from './types.js';
import { BatchOutcome, countResult } from './outcome.js';

/** Where one span sits in an OTLP/JSON payload (reused across spans). */
export interface SpanCursor {
  resourceSpans: ResourceSpans;
  scopeSpans: ScopeSpans;
  span: Span;
}

const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS_CODES = ['unset', 'ok', 'error'];

/** Map an OTLP enum (name or number) to its short lowercase name. */
function enumName(v: string | number | undefined, names: readonly string[], prefix: string): string {
  if (v === undefined || v === null) return names[0];
  if (typeof v === 'number') return names[v] ?? names[0];
  const s = v.startsWith(prefix) ? v.slice(prefix.length).toLowerCase() : v.toLowerCase();
  if (/^\d+$/.test(s)) return names[Number(s)] ?? names[0];
  return names.includes(s) ? s : names[0];
}

export const spanKindName = (v: string | number | undefined): string => enumName(v, SPAN_KINDS, 'SPAN_KIND_');
export const statusCodeName = (v: string | number | undefined): string => enumName(v, STATUS_CODES, 'STATUS_CODE_');

function attrsOf(c: SpanCursor, kind: number, create: boolean): KeyValue[] | undefined {
  switch (kind) {
    case RefKind.RecordAttribute:
      if (create) c.span.attributes ??= [];
      return c.span.attributes;
    case RefKind.ResourceAttribute:
      if (create) (c.resourceSpans.resource ??= {}).attributes ??= [];
      return c.resourceSpans.resource?.attributes;
    case RefKind.ScopeAttribute:
      if (create) (c.scopeSpans.scope ??= {}).attributes ??= [];
      return c.scopeSpans.scope?.attributes;
    default:
      return undefined;
  }
}

function fieldString(c: SpanCursor, code: number): string | undefined {
  const s = c.span;
  switch (code) {
    case TraceField.Name:
      return s.name || undefined;
    case TraceField.TraceId:
      return normalizeId(s.traceId);
    case TraceField.SpanId:
      return normalizeId(s.spanId);
    case TraceField.ParentSpanId:
      return normalizeId(s.parentSpanId);
    case TraceField.TraceState:
      return s.traceState || undefined;
    case TraceField.ResourceSchemaUrl:
      return c.resourceSpans.schemaUrl || undefined;
    case TraceField.ScopeSchemaUrl:
      return c.scopeSpans.schemaUrl || undefined;
    case TraceField.ScopeName:
      return c.scopeSpans.scope?.name || undefined;
    case TraceField.ScopeVersion:
      return c.scopeSpans.scope?.version || undefined;
    default:
      return undefined;
  }
}

function eventNamed(c: SpanCursor, name: string): string | undefined {
  const events = c.span.events;
  if (!events) return undefined;
  for (const e of events) {
    if (!e || !e.name) continue;
    if (name === '' || e.name === name) return e.name;
  }
  return undefined;
}

function linkTo(c: SpanCursor, traceId: string): string | undefined {
  const links = c.span.links;
  if (!links) return undefined;
  for (const l of links) {
    const id = normalizeId(l?.traceId);
    if (id !== undefined && (traceId === '' || id === traceId)) return id;
  }
  return undefined;
}

function valueString(c: SpanCursor, ref: { kind: number; code: number; path: readonly string[]; name: string }, element: number): string | undefined {
  switch (ref.kind) {
    case RefKind.Field:
      return fieldString(c, ref.code);
    case RefKind.SpanKind:
      return spanKindName(c.span.kind);
    case RefKind.SpanStatus:
      return statusCodeName(c.span.status?.code);
    case RefKind.EventName:
      return eventNamed(c, ref.name);
    case RefKind.LinkTraceId:
      return linkTo(c, ref.name);
    case RefKind.EventAttribute:
      return anyValueString(findAttribute(c.span.events?.[element]?.attributes, ref.path)?.value);
    default:
      return anyValueString(findAttribute(attrsOf(c, ref.kind, false), ref.path)?.value);
  }
}

/** Accessor for spans in OTLP/JSON payloads (see {@link SpanCursor}). */
export const otlpJsonSpanAccessor: Transformable<SpanCursor> = {
  getString: valueString,
  getTyped(c, ref, out: TypedValue, element) {
    switch (ref.kind) {
      case RefKind.RecordAttribute:
      case RefKind.ResourceAttribute:
      case RefKind.ScopeAttribute:
        return readAnyValue(findAttribute(attrsOf(c, ref.kind, false), ref.path)?.value, out);
      case RefKind.EventAttribute:
        return readAnyValue(findAttribute(c.span.events?.[element]?.attributes, ref.path)?.value, out);
      default: {
        const s = valueString(c, ref, element);
        if (s === undefined) return;
        if (ref.bytes) out.setBytesHex(s);
        else out.setString(s);
      }
    }
  },
  exists(c, ref, element) {
    switch (ref.kind) {
      case RefKind.RecordAttribute:
      case RefKind.ResourceAttribute:
      case RefKind.ScopeAttribute:
        return findAttribute(attrsOf(c, ref.kind, false), ref.path) !== undefined;
      case RefKind.EventAttribute:
        return findAttribute(c.span.events?.[element]?.attributes, ref.path) !== undefined;
      case RefKind.SpanKind:
        return spanKindName(c.span.kind) !== 'unspecified';
      case RefKind.SpanStatus:
        return true;
      default:
        return valueString(c, ref, element) !== undefined;
    }
  },
  elementCount(c, ref) {
    return ref.kind === RefKind.EventAttribute ? (c.span.events?.length ?? 0) : 0;
  },
  remove(c, ref) {
    if (ref.kind === RefKind.Field) {
      if (ref.code === TraceField.TraceState) {
        const had = !!c.span.traceState;
        delete c.span.traceState;
        return had;
      }
      return false;
    }
    return removeAttribute(attrsOf(c, ref.kind, false), ref.path);
  },
  set(c, ref, value) {
    if (ref.kind === RefKind.Field) {
      if (ref.code === TraceField.TraceState) c.span.traceState = value;
      else if (ref.code === TraceField.Name) c.span.name = value;
      return;
    }
    const attrs = attrsOf(c, ref.kind, true);
    if (attrs) setAttribute(attrs, ref.path, value);
  },
  rename(c, from, to) {
    const attrs = attrsOf(c, from.kind, false);
    if (attrs) renameAttribute(attrs, from.path, to);
  },
};

/** Apply the engine's trace policies to an OTLP/JSON traces payload in place (`accessor` may wrap the default one). */
export function applyToTraces(engine: PolicyEngine, data: TracesData, accessor: Transformable<SpanCursor> = otlpJsonSpanAccessor): BatchOutcome {
  const outcome = new BatchOutcome();
  const rss = data.resourceSpans;
  if (!Array.isArray(rss)) return outcome;
  const cursor = {} as SpanCursor;
  const keptResources: ResourceSpans[] = [];
  for (const rs of rss) {
    if (!rs) continue;
    cursor.resourceSpans = rs;
    const keptScopes: ScopeSpans[] = [];
    for (const ss of rs.scopeSpans ?? []) {
      if (!ss) continue;
      cursor.scopeSpans = ss;
      const spans = ss.spans ?? [];
      const kept: Span[] = [];
      for (const span of spans) {
        cursor.span = span;
        const r = engine.evaluateTrace(cursor, accessor);
        countResult(outcome, r);
        if (r < EvalResult.Dropped) kept.push(span);
      }
      if (kept.length > 0) {
        // Untouched lists keep their identity (the collector re-encodes only what changed).
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
