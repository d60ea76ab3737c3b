import { RefKind, TraceField, type FieldRef } from '@otel-policy/core';
import { attributesAt, isLevelAttribute, nonEmpty, stringInto, type AttributeLevels, type AttributeReads, type RecordReads } from './attribute-reads.js';
import { normalizeId } from './ids.js';

/** A span event: both representations store its name and attributes alike. */
export interface SpanEvent<A> {
  readonly name?: string;
  readonly attributes?: A;
}

/** What an adapter family reads of a span in its representation (raw values; the reads normalize them). */
export interface SpanShape<C, A, L> extends AttributeLevels<C, A> {
  name(c: C): string | undefined;
  traceId(c: C): string | undefined;
  spanId(c: C): string | undefined;
  parentSpanId(c: C): string | undefined;
  traceState(c: C): string | undefined;
  resourceSchemaUrl(c: C): string | undefined;
  scopeSchemaUrl(c: C): string | undefined;
  scopeName(c: C): string | undefined;
  scopeVersion(c: C): string | undefined;
  /** The span kind's name (see span-enums). */
  kindName(c: C): string;
  /** The status code's name (see span-enums). */
  statusName(c: C): string;
  events(c: C): readonly (SpanEvent<A> | null | undefined)[] | undefined;
  links(c: C): readonly (L | null | undefined)[] | undefined;
  /** The linked trace's ID as stored (normalized here). */
  linkTraceId(link: L): string | undefined;
}

/**
 * The reads of a span, the same for every representation: kind and status as
 * names, the first event with a name (or any, for `''`), the first link to a
 * trace (or any), event attributes per event (`ref.multi`).
 */
export function spanReads<C, A, V, L>(attrs: AttributeReads<A, V>, shape: SpanShape<C, A, L>): RecordReads<C> {
  const field = (c: C, code: number): string | undefined => {
    switch (code) {
      case TraceField.Name:
        return nonEmpty(shape.name(c));
      case TraceField.TraceId:
        return normalizeId(shape.traceId(c));
      case TraceField.SpanId:
        return normalizeId(shape.spanId(c));
      case TraceField.ParentSpanId:
        return normalizeId(shape.parentSpanId(c));
      case TraceField.TraceState:
        return nonEmpty(shape.traceState(c));
      case TraceField.ResourceSchemaUrl:
        return nonEmpty(shape.resourceSchemaUrl(c));
      case TraceField.ScopeSchemaUrl:
        return nonEmpty(shape.scopeSchemaUrl(c));
      case TraceField.ScopeName:
        return nonEmpty(shape.scopeName(c));
      case TraceField.ScopeVersion:
        return nonEmpty(shape.scopeVersion(c));
      default:
        return undefined;
    }
  };
  const eventNamed = (c: C, name: string): string | undefined => {
    const events = shape.events(c);
    if (!events) return undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]?.name;
      if (e && (name === '' || e === name)) return e;
    }
    return undefined;
  };
  const linkTo = (c: C, traceId: string): string | undefined => {
    const links = shape.links(c);
    if (!links) return undefined;
    for (let i = 0; i < links.length; i++) {
      const link = links[i];
      const id = link ? normalizeId(shape.linkTraceId(link)) : undefined;
      if (id !== undefined && (traceId === '' || id === traceId)) return id;
    }
    return undefined;
  };
  /** The attribute list a reference reads, or undefined for a non-attribute reference. */
  const attributesFor = (c: C, ref: FieldRef, element: number): A | undefined => (ref.kind === RefKind.EventAttribute ? shape.events(c)?.[element]?.attributes : attributesAt(shape, c, ref.kind));
  const isAttribute = (kind: number): boolean => isLevelAttribute(kind) || kind === RefKind.EventAttribute;
  const getString = (c: C, ref: FieldRef, element: number): string | undefined => {
    switch (ref.kind) {
      case RefKind.Field:
        return field(c, ref.code);
      case RefKind.SpanKind:
        return shape.kindName(c);
      case RefKind.SpanStatus:
        return shape.statusName(c);
      case RefKind.EventName:
        return eventNamed(c, ref.name);
      case RefKind.LinkTraceId:
        return linkTo(c, ref.name);
      default:
        return attrs.string(attrs.value(attributesFor(c, ref, element), ref.path));
    }
  };
  return {
    getString,
    getTyped(c, ref, out, element) {
      if (isAttribute(ref.kind)) return attrs.typed(attrs.value(attributesFor(c, ref, element), ref.path), out);
      stringInto(getString(c, ref, element), ref, out);
    },
    exists(c, ref, element) {
      if (isAttribute(ref.kind)) return attrs.has(attributesFor(c, ref, element), ref.path);
      if (ref.kind === RefKind.SpanKind) return shape.kindName(c) !== 'unspecified';
      if (ref.kind === RefKind.SpanStatus) return true;
      return getString(c, ref, element) !== undefined;
    },
    elementCount: (c, ref) => (ref.kind === RefKind.EventAttribute ? (shape.events(c)?.length ?? 0) : 0),
  };
}
