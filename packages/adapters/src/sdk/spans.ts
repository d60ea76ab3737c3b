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
import { RefKind, TraceField, type Transformable } from '@otel-policy/core';
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES } from '../shared/span-enums.js';
import { spanReads } from '../shared/span-reads.js';
import { attributeMapReads, valueString, type AttributeMap, type InstrumentationScopeLike, type ResourceLike } from './attributes.js';
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

/** Short lowercase name of an API `SpanKind` (`'unspecified'` when missing or out of range; API kinds start at INTERNAL = 0). */
export const sdkSpanKindName = (kind: number | undefined): string => (kind === undefined || kind < 0 ? undefined : SPAN_KIND_NAMES[kind + 1]) ?? 'unspecified';

/** Short lowercase name of an API `SpanStatusCode` (`'unset'` when missing or out of range). */
export const sdkStatusCodeName = (code: number | undefined): string => (code === undefined ? undefined : STATUS_CODE_NAMES[code]) ?? 'unset';

const scopeOf = (s: ReadableSpanLike): InstrumentationScopeLike | undefined => s.instrumentationScope ?? s.instrumentationLibrary;

function traceStateOf(c: SdkSpanCursor): string | undefined {
  if (c.traceState !== undefined) return c.traceState || undefined;
  return valueString(c.span.spanContext().traceState?.serialize());
}

const reads = spanReads(attributeMapReads, {
  recordAttributes: (c: SdkSpanCursor) => c.span.attributes,
  resourceAttributes: (c) => c.span.resource?.attributes,
  scopeAttributes: (c) => scopeOf(c.span)?.attributes,
  name: (c) => c.span.name,
  traceId: (c) => c.span.spanContext().traceId,
  spanId: (c) => c.span.spanContext().spanId,
  parentSpanId: (c) => c.span.parentSpanContext?.spanId ?? c.span.parentSpanId,
  traceState: traceStateOf,
  resourceSchemaUrl: (c) => c.span.resource?.schemaUrl,
  scopeSchemaUrl: (c) => scopeOf(c.span)?.schemaUrl,
  scopeName: (c) => scopeOf(c.span)?.name,
  scopeVersion: (c) => scopeOf(c.span)?.version,
  kindName: (c) => sdkSpanKindName(c.span.kind),
  statusName: (c) => sdkStatusCodeName(c.span.status?.code),
  events: (c) => c.span.events,
  links: (c) => c.span.links,
  linkTraceId: (l) => l.context?.traceId,
});

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
  ...reads,
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
