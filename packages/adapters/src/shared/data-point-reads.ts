import { MetricField, RefKind } from '@otel-policy/core';
import { attributesAt, isLevelAttribute, nonEmpty, type AttributeLevels, type AttributeReads, type RecordReads } from './attribute-reads.js';

/** What an adapter family reads of a metric data point in its representation (raw values; the reads normalize them). */
export interface DataPointShape<C, A> extends AttributeLevels<C, A> {
  name(c: C): string | undefined;
  description(c: C): string | undefined;
  unit(c: C): string | undefined;
  resourceSchemaUrl(c: C): string | undefined;
  scopeSchemaUrl(c: C): string | undefined;
  scopeName(c: C): string | undefined;
  scopeVersion(c: C): string | undefined;
  /** The metric's `metric_type` name. */
  metricType(c: C): string | undefined;
  /** The metric's aggregation temporality as `delta`/`cumulative`, when it has one. */
  temporality(c: C): string | undefined;
}

/** The reads of a metric data point (the metric's fields plus the point's attributes), the same for every representation. */
export function dataPointReads<C, A, V>(attrs: AttributeReads<A, V>, shape: DataPointShape<C, A>): RecordReads<C> {
  const field = (c: C, code: number): string | undefined => {
    switch (code) {
      case MetricField.Name:
        return nonEmpty(shape.name(c));
      case MetricField.Description:
        return nonEmpty(shape.description(c));
      case MetricField.Unit:
        return nonEmpty(shape.unit(c));
      case MetricField.ResourceSchemaUrl:
        return nonEmpty(shape.resourceSchemaUrl(c));
      case MetricField.ScopeSchemaUrl:
        return nonEmpty(shape.scopeSchemaUrl(c));
      case MetricField.ScopeName:
        return nonEmpty(shape.scopeName(c));
      case MetricField.ScopeVersion:
        return nonEmpty(shape.scopeVersion(c));
      default:
        return undefined;
    }
  };
  const getString = (c: C, ref: { kind: number; code: number; path: readonly string[] }): string | undefined => {
    switch (ref.kind) {
      case RefKind.Field:
        return field(c, ref.code);
      case RefKind.MetricType:
        return shape.metricType(c);
      case RefKind.AggregationTemporality:
        return shape.temporality(c);
      default:
        return attrs.string(attrs.value(attributesAt(shape, c, ref.kind), ref.path));
    }
  };
  return {
    getString,
    getTyped(c, ref, out) {
      if (isLevelAttribute(ref.kind)) return attrs.typed(attrs.value(attributesAt(shape, c, ref.kind), ref.path), out);
      const s = getString(c, ref);
      if (s !== undefined) out.setString(s);
    },
    exists(c, ref) {
      if (isLevelAttribute(ref.kind)) return attrs.has(attributesAt(shape, c, ref.kind), ref.path);
      return getString(c, ref) !== undefined;
    },
    elementCount: () => 0,
  };
}
