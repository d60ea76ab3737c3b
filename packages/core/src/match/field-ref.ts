import type { FieldSelector, Signal } from '../policy/types.js';
import { LOG_FIELDS, METRIC_FIELDS, TRACE_FIELDS } from '../policy/enums.js';

/**
 * What a {@link FieldRef} points at. Adapters switch on it to read a record.
 */
export const RefKind = {
  /** A well-known field of the signal; `FieldRef.code` holds the proto enum number. */
  Field: 0,
  /** An attribute of the record itself (log record, span or metric data point). */
  RecordAttribute: 1,
  ResourceAttribute: 2,
  ScopeAttribute: 3,
  /** An attribute of any of a span's events (multi-valued: see `Matchable.elementCount`). */
  EventAttribute: 4,
  /** The metric's data case, read as `gauge`, `sum`, `histogram`, `exponential_histogram` or `summary`. */
  MetricType: 5,
  /** The metric's aggregation temporality, read as `delta` or `cumulative`. */
  AggregationTemporality: 6,
  /** The span kind, read as `internal`, `server`, `client`, `producer`, `consumer` (or `unspecified`). */
  SpanKind: 7,
  /** The span status code, read as `unset`, `ok` or `error`. */
  SpanStatus: 8,
  /** Present (reads as `FieldRef.name`) when the span has an event of that name. */
  EventName: 9,
  /** Present (reads as `FieldRef.name`, lowercase hex) when the span has a link to that trace ID. */
  LinkTraceId: 10,
} as const;
export type RefKind = (typeof RefKind)[keyof typeof RefKind];

/** Proto numbers of the log fields, for adapters. */
export const LogField = {
  Body: 1,
  SeverityText: 2,
  TraceId: 3,
  SpanId: 4,
  EventName: 5,
  ResourceSchemaUrl: 10,
  ScopeSchemaUrl: 11,
} as const;

/** Proto numbers of the metric fields, for adapters. */
export const MetricField = {
  Name: 1,
  Description: 2,
  Unit: 3,
  ResourceSchemaUrl: 10,
  ScopeSchemaUrl: 11,
  ScopeName: 12,
  ScopeVersion: 13,
} as const;

/** Proto numbers of the trace fields, for adapters. */
export const TraceField = {
  Name: 1,
  TraceId: 2,
  SpanId: 3,
  ParentSpanId: 4,
  TraceState: 5,
  ResourceSchemaUrl: 10,
  ScopeSchemaUrl: 11,
  ScopeName: 12,
  ScopeVersion: 13,
} as const;

/**
 * A compiled reference to one value of a record: a well-known field, an
 * attribute path in one scope, or a derived value. Built once per policy set;
 * equal references are shared, so adapters may cache by identity.
 */
export interface FieldRef {
  readonly kind: RefKind;
  /** Proto enum number of the well-known field when kind is Field, else 0. */
  readonly code: number;
  /** Attribute path (kind *Attribute); one key per nesting level. */
  readonly path: readonly string[];
  /** Event name or link trace ID (lowercase hex) for EventName / LinkTraceId. */
  readonly name: string;
  /** True for byte-typed identifiers, which read as lowercase hex strings. */
  readonly bytes: boolean;
  /** True when the reference has one value per span event. */
  readonly multi: boolean;
  /** Canonical identity, used to group matchers that read the same value. */
  readonly key: string;
}

const BYTES_FIELDS: Record<Signal, ReadonlySet<string>> = {
  log: new Set(['trace_id', 'span_id']),
  metric: new Set(),
  trace: new Set(['trace_id', 'span_id', 'parent_span_id']),
};

const FIELD_CODES = { log: LOG_FIELDS.values, metric: METRIC_FIELDS.values, trace: TRACE_FIELDS.values };

/** Interns references so that equal selectors share one object. */
export class FieldRefTable {
  private readonly refs = new Map<string, FieldRef>();

  /** All references handed out, in creation order. */
  all(): FieldRef[] {
    return [...this.refs.values()];
  }

  private intern(ref: Omit<FieldRef, 'key'>): FieldRef {
    const key = `${ref.kind}|${ref.code}|${ref.name}|${JSON.stringify(ref.path)}`;
    let found = this.refs.get(key);
    if (!found) {
      found = Object.freeze({ ...ref, key });
      this.refs.set(key, found);
    }
    return found;
  }

  /**
   * Resolve a selector. Returns an error message (without location prefix)
   * when the selector cannot be compiled.
   */
  resolve(signal: Signal, sel: FieldSelector | undefined): FieldRef | string {
    if (sel === undefined) return 'no field selector';
    const base = { code: 0, path: [] as readonly string[], name: '', bytes: false, multi: false };
    switch (sel.kind) {
      case 'invalid':
        return sel.reason;
      case 'field':
        return this.intern({ ...base, kind: RefKind.Field, code: FIELD_CODES[signal][sel.field], bytes: BYTES_FIELDS[signal].has(sel.field) });
      case 'log_attribute':
      case 'span_attribute':
      case 'datapoint_attribute':
      case 'resource_attribute':
      case 'scope_attribute':
      case 'event_attribute': {
        if (sel.path.length === 0) return 'attribute has empty path';
        const kind =
          sel.kind === 'resource_attribute'
            ? RefKind.ResourceAttribute
            : sel.kind === 'scope_attribute'
              ? RefKind.ScopeAttribute
              : sel.kind === 'event_attribute'
                ? RefKind.EventAttribute
                : RefKind.RecordAttribute;
        return this.intern({ ...base, kind, path: Object.freeze([...sel.path]), multi: kind === RefKind.EventAttribute });
      }
      case 'metric_type':
        return this.intern({ ...base, kind: RefKind.MetricType });
      case 'aggregation_temporality':
        return this.intern({ ...base, kind: RefKind.AggregationTemporality });
      case 'span_kind':
        return this.intern({ ...base, kind: RefKind.SpanKind });
      case 'span_status':
        return this.intern({ ...base, kind: RefKind.SpanStatus });
      case 'event_name':
        return this.intern({ ...base, kind: RefKind.EventName, name: sel.name });
      case 'link_trace_id': {
        const hex = sel.hex.trim().toLowerCase();
        if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) return `invalid link_trace_id ${JSON.stringify(sel.hex)}: not hexadecimal`;
        return this.intern({ ...base, kind: RefKind.LinkTraceId, name: hex, bytes: true });
      }
    }
  }
}

/** The span's tracestate, which trace sampling writes through `Transformable.set`. */
export const TRACE_STATE_REF: FieldRef = Object.freeze({
  kind: RefKind.Field,
  code: TraceField.TraceState,
  path: Object.freeze([]) as readonly string[],
  name: '',
  bytes: false,
  multi: false,
  key: `${RefKind.Field}|${TraceField.TraceState}||[]`,
});

/** The span's trace ID (lowercase hex), which trace sampling reads. */
export const TRACE_ID_REF: FieldRef = Object.freeze({
  kind: RefKind.Field,
  code: TraceField.TraceId,
  path: Object.freeze([]) as readonly string[],
  name: '',
  bytes: true,
  multi: false,
  key: `${RefKind.Field}|${TraceField.TraceId}||[]`,
});
