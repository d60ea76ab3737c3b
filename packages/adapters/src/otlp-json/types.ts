/**
 * OTLP/JSON shapes (proto3 JSON mapping of opentelemetry-proto, lowerCamelCase
 * keys). Loose on purpose: int64 may be a string or a number, enums a name or
 * a number, and any field may be absent.
 */

export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string;
}

export interface KeyValue {
  key: string;
  value?: AnyValue;
}

export interface Resource {
  attributes?: KeyValue[];
  droppedAttributesCount?: number;
  [k: string]: unknown;
}

export interface InstrumentationScope {
  name?: string;
  version?: string;
  attributes?: KeyValue[];
  droppedAttributesCount?: number;
}

export interface LogRecord {
  timeUnixNano?: string | number;
  observedTimeUnixNano?: string | number;
  severityNumber?: string | number;
  severityText?: string;
  body?: AnyValue;
  attributes?: KeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
  traceId?: string;
  spanId?: string;
  eventName?: string;
  [k: string]: unknown;
}

export interface ScopeLogs {
  scope?: InstrumentationScope;
  logRecords?: LogRecord[];
  schemaUrl?: string;
}

export interface ResourceLogs {
  resource?: Resource;
  scopeLogs?: ScopeLogs[];
  schemaUrl?: string;
}

/** An ExportLogsServiceRequest (or a LogsData). */
export interface LogsData {
  resourceLogs?: ResourceLogs[];
}

export interface SpanEvent {
  timeUnixNano?: string | number;
  name?: string;
  attributes?: KeyValue[];
  droppedAttributesCount?: number;
}

export interface SpanLink {
  traceId?: string;
  spanId?: string;
  traceState?: string;
  attributes?: KeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}

export interface Span {
  traceId?: string;
  spanId?: string;
  traceState?: string;
  parentSpanId?: string;
  flags?: number;
  name?: string;
  kind?: string | number;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: KeyValue[];
  events?: SpanEvent[];
  links?: SpanLink[];
  status?: { message?: string; code?: string | number };
  [k: string]: unknown;
}

export interface ScopeSpans {
  scope?: InstrumentationScope;
  spans?: Span[];
  schemaUrl?: string;
}

export interface ResourceSpans {
  resource?: Resource;
  scopeSpans?: ScopeSpans[];
  schemaUrl?: string;
}

/** An ExportTraceServiceRequest (or a TracesData). */
export interface TracesData {
  resourceSpans?: ResourceSpans[];
}

export interface DataPoint {
  attributes?: KeyValue[];
  [k: string]: unknown;
}

export interface Metric {
  name?: string;
  description?: string;
  unit?: string;
  gauge?: { dataPoints?: DataPoint[] };
  sum?: { dataPoints?: DataPoint[]; aggregationTemporality?: string | number; isMonotonic?: boolean };
  histogram?: { dataPoints?: DataPoint[]; aggregationTemporality?: string | number };
  exponentialHistogram?: { dataPoints?: DataPoint[]; aggregationTemporality?: string | number };
  summary?: { dataPoints?: DataPoint[] };
  metadata?: KeyValue[];
  [k: string]: unknown;
}

export interface ScopeMetrics {
  scope?: InstrumentationScope;
  metrics?: Metric[];
  schemaUrl?: string;
}

export interface ResourceMetrics {
  resource?: Resource;
  scopeMetrics?: ScopeMetrics[];
  schemaUrl?: string;
}

/** An ExportMetricsServiceRequest (or a MetricsData). */
export interface MetricsData {
  resourceMetrics?: ResourceMetrics[];
}
