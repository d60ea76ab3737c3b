import { LogField, RefKind } from '@otel-policy/core';
import { attributesAt, nonEmpty, stringInto, type AttributeLevels, type AttributeReads, type RecordReads } from './attribute-reads.js';
import { normalizeId } from './ids.js';

/** What an adapter family reads of a log record in its representation (raw values; the reads normalize them). */
export interface LogShape<C, A, V> extends AttributeLevels<C, A> {
  body(c: C): V | undefined;
  severityText(c: C): string | undefined;
  traceId(c: C): string | undefined;
  spanId(c: C): string | undefined;
  eventName(c: C): string | undefined;
  resourceSchemaUrl(c: C): string | undefined;
  scopeSchemaUrl(c: C): string | undefined;
}

/**
 * The reads of a log record, the same for every representation: the body
 * keeps its type, other fields read as non-empty strings, IDs as lowercase
 * hex (all-zero is absent), attributes through {@link AttributeReads}. Log
 * records have no multi-valued references.
 */
export function logReads<C, A, V>(attrs: AttributeReads<A, V>, shape: LogShape<C, A, V>): RecordReads<C> {
  const field = (c: C, code: number): string | undefined => {
    switch (code) {
      case LogField.Body:
        return attrs.string(shape.body(c));
      case LogField.SeverityText:
        return nonEmpty(shape.severityText(c));
      case LogField.TraceId:
        return normalizeId(shape.traceId(c));
      case LogField.SpanId:
        return normalizeId(shape.spanId(c));
      case LogField.EventName:
        return nonEmpty(shape.eventName(c));
      case LogField.ResourceSchemaUrl:
        return nonEmpty(shape.resourceSchemaUrl(c));
      case LogField.ScopeSchemaUrl:
        return nonEmpty(shape.scopeSchemaUrl(c));
      default:
        return undefined;
    }
  };
  return {
    getString(c, ref) {
      if (ref.kind !== RefKind.Field) return attrs.string(attrs.value(attributesAt(shape, c, ref.kind), ref.path));
      return field(c, ref.code);
    },
    getTyped(c, ref, out) {
      if (ref.kind !== RefKind.Field) return attrs.typed(attrs.value(attributesAt(shape, c, ref.kind), ref.path), out);
      if (ref.code === LogField.Body) return attrs.typed(shape.body(c), out);
      stringInto(field(c, ref.code), ref, out);
    },
    exists(c, ref) {
      if (ref.kind !== RefKind.Field) return attrs.has(attributesAt(shape, c, ref.kind), ref.path);
      return ref.code === LogField.Body ? attrs.present(shape.body(c)) : field(c, ref.code) !== undefined;
    },
    elementCount: () => 0,
  };
}
