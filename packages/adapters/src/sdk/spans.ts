/**
 * Accessor for ended spans of the OpenTelemetry JS SDK (`ReadableSpan`, as a
 * `SpanProcessor` sees it in `onEnd`). Reads mirror the OTLP/JSON accessor.
 *
 * An ended span is read-only and may be shared with other processors, so the
 * accessor never writes to it: it works on a {@link SdkSpanCursor}, which
 * holds the span and the tracestate the engine wrote (consistent probability
 * sampling's `ot=th:...`). The caller forwards a view of the span carrying
 * that tracestate when there is one.
 */
import { RefKind, TraceField, type FieldRef, type Transformable, type TypedValue } from '@otel-policy/core';
import { normalizeId } from '../otlp-json/any-value.js';
import { attributeString, attributeValue, hasAttribute, readValue, valueString, type AttributeMap, type InstrumentationScopeLike, type ResourceLike } from './attributes.js';
import type { SpanContextLike } from './logs.js';

/** A span event, as the SDK records it (`TimedEvent`). */
export interface SpanEventLike {
  readonly name: string;
  readonly attributes?: AttributeMap;
}

/** A span link, as the SDK records it (API `Link`). */
export interface SpanLinkLike {
  readonly context: { readonly traceId: string };
}

/**
 * The parts of an SDK `ReadableSpan` the accessor reads: SDK 2.x
 * (`instrumentationScope`, `parentSpanContext`) and 1.x
 * (`instrumentationLibrary`, `parentSpanId`) spans both fit. Defined
 * structurally so that no SDK version is imported.
 */
export interface ReadableSpanLike {
  readonly name: string;
  /** API `SpanKind`: 0 INTERNAL, 1 SERVER, 2 CLIENT, 3 PRODUCER, 4 CONSUMER. */
  readonly kind?: number;
  spanContext(): SpanContextLike;
  readonly parentSpanContext?: { readonly spanId: string };
  /** SDK 1.x. */
  readonly parentSpanId?: string;
  /** API `SpanStatusCode`: 0 UNSET, 1 OK, 2 ERROR. */
  readonly status?: { readonly code?: number };
  readonly attributes?: AttributeMap;
  readonly events?: readonly SpanEventLike[];
  readonly links?: readonly SpanLinkLike[];
  readonly resource?: ResourceLike;
  readonly instrumentationScope?: InstrumentationScopeLike;
  /** SDK 1.x. */
  readonly instrumentationLibrary?: InstrumentationScopeLike;
}

/**
 * One span under evaluation plus the tracestate written to it. Reuse one
 * cursor for all spans ({@link SdkSpanCursor.reset}) so that evaluating a
 * span allocates nothing unless the engine writes.
 */
export class SdkSpanCursor {
  /** The span being evaluated. */
  span: ReadableSpanLike = undefined as unknown as ReadableSpanLike;
  /**
   * The tracestate written by the engine (`''` when removed), or undefined
   * when it wrote none: the span's own tracestate then stands.
   */
  traceState: string | undefined = undefined;

  /** Point the cursor at `span`, forgetting any write made for the previous span. */
  reset(span: ReadableSpanLike): this {
    this.span = span;
    this.traceState = undefined;
    return this;
  }

  /** Drop the reference to the last span (so that the cursor keeps nothing alive). */
  clear(): void {
    this.span = undefined as unknown as ReadableSpanLike;
    this.traceState = undefined;
  }
}

const SPAN_KINDS = ['internal', 'server', 'client', 'producer', 'consumer'];
const STATUS_CODES = ['unset', 'ok', 'error'];

/** Short lowercase name of an API `SpanKind` (`'unspecified'` when missing or out of range). */
export const sdkSpanKindName = (kind: number | undefined): string => (kind === undefined ? undefined : SPAN_KINDS[kind]) ?? 'unspecified';

/** Short lowercase name of an API `SpanStatusCode` (`'unset'` when missing or out of range). */
export const sdkStatusCodeName = (code: number | undefined): string => (code === undefined ? undefined : STATUS_CODES[code]) ?? 'unset';

const scopeOf = (s: ReadableSpanLike): InstrumentationScopeLike | undefined => s.instrumentationScope ?? s.instrumentationLibrary;

function attrsOf(s: ReadableSpanLike, kind: number): AttributeMap | undefined {
  switch (kind) {
    case RefKind.RecordAttribute:
      return s.attributes;
    case RefKind.ResourceAttribute:
      return s.resource?.attributes;
    case RefKind.ScopeAttribute:
      return scopeOf(s)?.attributes;
    default:
      return undefined;
  }
}

function traceStateOf(c: SdkSpanCursor): string | undefined {
  if (c.traceState !== undefined) return c.traceState || undefined;
  return valueString(c.span.spanContext().traceState?.serialize());
}

function fieldString(c: SdkSpanCursor, code: number): string | undefined {
  const s = c.span;
  switch (code) {
    case TraceField.Name:
      return valueString(s.name);
    case TraceField.TraceId:
      return normalizeId(s.spanContext().traceId);
    case TraceField.SpanId:
      return normalizeId(s.spanContext().spanId);
    case TraceField.ParentSpanId:
      return normalizeId(s.parentSpanContext?.spanId ?? s.parentSpanId);
    case TraceField.TraceState:
      return traceStateOf(c);
    case TraceField.ResourceSchemaUrl:
      return valueString(s.resource?.schemaUrl);
    case TraceField.ScopeSchemaUrl:
      return valueString(scopeOf(s)?.schemaUrl);
    case TraceField.ScopeName:
      return valueString(scopeOf(s)?.name);
    case TraceField.ScopeVersion:
      return valueString(scopeOf(s)?.version);
    default:
      return undefined;
  }
}

function eventNamed(s: ReadableSpanLike, name: string): string | undefined {
  const events = s.events;
  if (!events) return undefined;
  for (let i = 0; i < events.length; i++) {
    const n = events[i]?.name;
    if (!n) continue;
    if (name === '' || n === name) return n;
  }
  return undefined;
}

function linkTo(s: ReadableSpanLike, traceId: string): string | undefined {
  const links = s.links;
  if (!links) return undefined;
  for (let i = 0; i < links.length; i++) {
    const id = normalizeId(links[i]?.context?.traceId);
    if (id !== undefined && (traceId === '' || id === traceId)) return id;
  }
  return undefined;
}

function valueOf(c: SdkSpanCursor, ref: FieldRef, element: number): string | undefined {
  switch (ref.kind) {
    case RefKind.Field:
      return fieldString(c, ref.code);
    case RefKind.SpanKind:
      return sdkSpanKindName(c.span.kind);
    case RefKind.SpanStatus:
      return sdkStatusCodeName(c.span.status?.code);
    case RefKind.EventName:
      return eventNamed(c.span, ref.name);
    case RefKind.LinkTraceId:
      return linkTo(c.span, ref.name);
    case RefKind.EventAttribute:
      return attributeString(c.span.events?.[element]?.attributes, ref.path);
    default:
      return attributeString(attrsOf(c.span, ref.kind), ref.path);
  }
}

/**
 * Accessor for SDK spans through a {@link SdkSpanCursor}.
 *
 * Reads: IDs as lowercase hex (all-zero means absent), span kind and status
 * as short lowercase names, attributes present when their key is, nested
 * paths through maps, event attributes per event (`ref.multi`).
 *
 * Writes: only the tracestate, into the cursor (the span is not touched).
 * Spans have no transforms in the policy spec, so other writes are ignored.
 */
export const sdkSpanAccessor: Transformable<SdkSpanCursor> = {
  getString: valueOf,
  getTyped(c, ref, out: TypedValue, element) {
    switch (ref.kind) {
      case RefKind.RecordAttribute:
      case RefKind.ResourceAttribute:
      case RefKind.ScopeAttribute:
        return readValue(attributeValue(attrsOf(c.span, ref.kind), ref.path), out);
      case RefKind.EventAttribute:
        return readValue(attributeValue(c.span.events?.[element]?.attributes, ref.path), out);
      default: {
        const s = valueOf(c, ref, element);
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
        return hasAttribute(attrsOf(c.span, ref.kind), ref.path);
      case RefKind.EventAttribute:
        return hasAttribute(c.span.events?.[element]?.attributes, ref.path);
      case RefKind.SpanKind:
        return sdkSpanKindName(c.span.kind) !== 'unspecified';
      case RefKind.SpanStatus:
        return true;
      default:
        return valueOf(c, ref, element) !== undefined;
    }
  },
  elementCount(c, ref) {
    return ref.kind === RefKind.EventAttribute ? (c.span.events?.length ?? 0) : 0;
  },
  remove(c, ref) {
    if (ref.kind !== RefKind.Field || ref.code !== TraceField.TraceState) return false;
    const had = traceStateOf(c) !== undefined;
    c.traceState = '';
    return had;
  },
  set(c, ref, value) {
    if (ref.kind === RefKind.Field && ref.code === TraceField.TraceState) c.traceState = value;
  },
  rename() {
    // Spans have no transforms: nothing to rename.
  },
};
