/**
 * A structural check of an OTLP/JSON payload before the accessors read it:
 * the accessors trust the proto3 JSON shape (lists are lists, records are
 * objects, ids are strings), so a payload of the wrong shape would otherwise
 * be skipped silently or fail deep inside evaluation. Each problem names its
 * JSON path (`resourceLogs[0].scopeLogs[0].logRecords[3].body: ...`).
 *
 * Driven by a table of the OTLP messages (lowerCamelCase keys, as the
 * accessors read them); the values of unknown keys are accepted, as OTLP
 * receivers must, and `null` reads as the default. A known field under its
 * snake_case name is refused (the accessors would skip it silently; the
 * OTLP/JSON rules allow lowerCamelCase only), and so is another signal's
 * top-level key (`resourceSpans` in a logs payload). Iterative, so hostile
 * nesting cannot overflow the stack; nesting deeper than {@link MAX_DEPTH},
 * under known keys or not, is refused (the accessors and JSON.stringify
 * recurse over it).
 */
import type { Signal } from '@otel-policy/core';

/** Deepest message nesting accepted (the Collector's protobuf limit is 100; AnyValues nest in it). */
export const MAX_DEPTH = 1000;

type Leaf = 'string' | 'bool' | 'int64' | 'double' | 'enum' | 'uint32';
/** `any`: a field this table does not know (ignored, but its nesting still counts). */
type Shape = Leaf | 'any' | { message: string } | { list: Shape };

const list = (item: Shape): Shape => ({ list: item });
const msg = (message: string): Shape => ({ message });
const attrs = list(msg('KeyValue'));
const times = { startTimeUnixNano: 'int64', timeUnixNano: 'int64' } as const;

const MESSAGES: Record<string, Record<string, Shape>> = {
  AnyValue: {
    stringValue: 'string',
    boolValue: 'bool',
    intValue: 'int64',
    doubleValue: 'double',
    bytesValue: 'string',
    arrayValue: msg('ArrayValue'),
    kvlistValue: msg('KeyValueList'),
  },
  ArrayValue: { values: list(msg('AnyValue')) },
  KeyValueList: { values: attrs },
  KeyValue: { key: 'string', value: msg('AnyValue') },
  Resource: { attributes: attrs, droppedAttributesCount: 'uint32' },
  Scope: { name: 'string', version: 'string', attributes: attrs, droppedAttributesCount: 'uint32' },
  LogsData: { resourceLogs: list(msg('ResourceLogs')) },
  ResourceLogs: { resource: msg('Resource'), scopeLogs: list(msg('ScopeLogs')), schemaUrl: 'string' },
  ScopeLogs: { scope: msg('Scope'), logRecords: list(msg('LogRecord')), schemaUrl: 'string' },
  LogRecord: {
    timeUnixNano: 'int64',
    observedTimeUnixNano: 'int64',
    severityNumber: 'enum',
    severityText: 'string',
    body: msg('AnyValue'),
    attributes: attrs,
    droppedAttributesCount: 'uint32',
    flags: 'uint32',
    traceId: 'string',
    spanId: 'string',
    eventName: 'string',
  },
  TracesData: { resourceSpans: list(msg('ResourceSpans')) },
  ResourceSpans: { resource: msg('Resource'), scopeSpans: list(msg('ScopeSpans')), schemaUrl: 'string' },
  ScopeSpans: { scope: msg('Scope'), spans: list(msg('Span')), schemaUrl: 'string' },
  Span: {
    traceId: 'string',
    spanId: 'string',
    traceState: 'string',
    parentSpanId: 'string',
    flags: 'uint32',
    name: 'string',
    kind: 'enum',
    startTimeUnixNano: 'int64',
    endTimeUnixNano: 'int64',
    attributes: attrs,
    droppedAttributesCount: 'uint32',
    events: list(msg('Event')),
    droppedEventsCount: 'uint32',
    links: list(msg('Link')),
    droppedLinksCount: 'uint32',
    status: msg('Status'),
  },
  Event: { timeUnixNano: 'int64', name: 'string', attributes: attrs, droppedAttributesCount: 'uint32' },
  Link: { traceId: 'string', spanId: 'string', traceState: 'string', attributes: attrs, droppedAttributesCount: 'uint32', flags: 'uint32' },
  Status: { message: 'string', code: 'enum' },
  MetricsData: { resourceMetrics: list(msg('ResourceMetrics')) },
  ResourceMetrics: { resource: msg('Resource'), scopeMetrics: list(msg('ScopeMetrics')), schemaUrl: 'string' },
  ScopeMetrics: { scope: msg('Scope'), metrics: list(msg('Metric')), schemaUrl: 'string' },
  Metric: {
    name: 'string',
    description: 'string',
    unit: 'string',
    metadata: attrs,
    gauge: msg('Gauge'),
    sum: msg('Sum'),
    histogram: msg('Histogram'),
    exponentialHistogram: msg('ExponentialHistogram'),
    summary: msg('Summary'),
  },
  Gauge: { dataPoints: list(msg('NumberDataPoint')) },
  Sum: { dataPoints: list(msg('NumberDataPoint')), aggregationTemporality: 'enum', isMonotonic: 'bool' },
  Histogram: { dataPoints: list(msg('HistogramDataPoint')), aggregationTemporality: 'enum' },
  ExponentialHistogram: { dataPoints: list(msg('ExponentialHistogramDataPoint')), aggregationTemporality: 'enum' },
  Summary: { dataPoints: list(msg('SummaryDataPoint')) },
  NumberDataPoint: { attributes: attrs, ...times, asDouble: 'double', asInt: 'int64', exemplars: list(msg('Exemplar')), flags: 'uint32' },
  HistogramDataPoint: {
    attributes: attrs,
    ...times,
    count: 'int64',
    sum: 'double',
    bucketCounts: list('int64'),
    explicitBounds: list('double'),
    exemplars: list(msg('Exemplar')),
    flags: 'uint32',
    min: 'double',
    max: 'double',
  },
  ExponentialHistogramDataPoint: {
    attributes: attrs,
    ...times,
    count: 'int64',
    sum: 'double',
    scale: 'int64',
    zeroCount: 'int64',
    positive: msg('Buckets'),
    negative: msg('Buckets'),
    flags: 'uint32',
    exemplars: list(msg('Exemplar')),
    min: 'double',
    max: 'double',
    zeroThreshold: 'double',
  },
  Buckets: { offset: 'int64', bucketCounts: list('int64') },
  SummaryDataPoint: { attributes: attrs, ...times, count: 'int64', sum: 'double', quantileValues: list(msg('ValueAtQuantile')), flags: 'uint32' },
  ValueAtQuantile: { quantile: 'double', value: 'double' },
  Exemplar: { filteredAttributes: attrs, timeUnixNano: 'int64', asDouble: 'double', asInt: 'int64', spanId: 'string', traceId: 'string' },
};

const ROOT: Record<Signal, string> = { log: 'LogsData', trace: 'TracesData', metric: 'MetricsData' };
/** The top-level key of each signal's payload. */
const ROOT_KEY: Record<Signal, string> = { log: 'resourceLogs', trace: 'resourceSpans', metric: 'resourceMetrics' };
const SIGNAL_NAME: Record<Signal, string> = { log: 'logs', trace: 'traces', metric: 'metrics' };

const camel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A payload holds one signal: another signal's key (which would pass through unevaluated) is refused. */
function rootProblem(keys: readonly string[], signal: Signal): void {
  for (const key of keys) {
    const other = (Object.keys(ROOT_KEY) as Signal[]).find((s) => s !== signal && (ROOT_KEY[s] === key || ROOT_KEY[s] === camel(key)));
    if (other) throw new OtlpShapeError(key, `a ${SIGNAL_NAME[signal]} payload (${ROOT_KEY[signal]}) cannot hold ${SIGNAL_NAME[other]}; one signal per payload`);
  }
}

const INT64 = /^-?\d+$/;
const DOUBLE_WORDS = new Set(['NaN', 'Infinity', '-Infinity']);

/** What a JSON value is, in a message: "a string", "a list", "null". */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** Why `v` is not a valid `leaf`, or undefined when it is. */
function leafProblem(leaf: Leaf, v: unknown): string | undefined {
  switch (leaf) {
    case 'string':
      return typeof v === 'string' ? undefined : `expected a string, got ${kindOf(v)}`;
    case 'bool':
      return typeof v === 'boolean' ? undefined : `expected true or false, got ${kindOf(v)}`;
    case 'int64':
      if (typeof v === 'number') return Number.isInteger(v) ? undefined : `expected an integer, got ${v}`;
      return typeof v === 'string' && INT64.test(v) ? undefined : `expected an integer (a number or a decimal string), got ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : kindOf(v)}`;
    case 'uint32':
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? undefined : `expected a non-negative integer, got ${typeof v === 'number' ? v : kindOf(v)}`;
    case 'double':
      if (typeof v === 'number') return undefined;
      return typeof v === 'string' && (DOUBLE_WORDS.has(v) || (v.trim() !== '' && Number.isFinite(Number(v)))) ? undefined : `expected a number, got ${kindOf(v)}`;
    case 'enum':
      return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'string' ? undefined : `expected an enum name or number, got ${kindOf(v)}`;
  }
}

/** An OTLP/JSON payload of the wrong shape; the message names the JSON path. */
export class OtlpShapeError extends Error {
  override readonly name = 'OtlpShapeError';
  constructor(
    /** The JSON path of the offending value (`resourceLogs[0].scopeLogs`). */
    readonly path: string,
    /** What is wrong with it. */
    readonly reason: string,
  ) {
    super(path ? `${path}: ${reason}` : reason);
  }
}

/**
 * Check that `payload` has the shape of an OTLP/JSON export request (or
 * `*Data`) of `signal`; throws an {@link OtlpShapeError} naming the first
 * offending JSON path.
 */
export function checkOtlpJsonShape(payload: unknown, signal: Signal): void {
  const stack: { value: unknown; shape: Shape; path: string; depth: number; element?: boolean }[] = [{ value: payload, shape: msg(ROOT[signal]), path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, shape, path, depth, element } = stack.pop()!;
    if (value === null || value === undefined) {
      // A field may be null (the default); an element of a list of known shape may not.
      if (element && shape !== 'any') throw new OtlpShapeError(path, `expected ${typeof shape === 'object' && 'message' in shape ? `an object (${shape.message})` : 'a value'}, got null`);
      continue;
    }
    if (shape === 'any') {
      if (typeof value !== 'object') continue;
      if (depth > MAX_DEPTH) throw new OtlpShapeError(path, `nested more than ${MAX_DEPTH} levels deep`);
      for (const [key, child] of Object.entries(value as object)) stack.push({ value: child, shape: 'any', path: Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`, depth: depth + 1 });
      continue;
    }
    if (typeof shape === 'string') {
      const problem = leafProblem(shape, value);
      if (problem) throw new OtlpShapeError(path, problem);
      continue;
    }
    if (depth > MAX_DEPTH) throw new OtlpShapeError(path, `nested more than ${MAX_DEPTH} levels deep`);
    if ('list' in shape) {
      if (!Array.isArray(value)) throw new OtlpShapeError(path, `expected a list, got ${kindOf(value)}`);
      // Pushed in reverse so that the first problem found is the first in the document.
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], shape: shape.list, path: `${path}[${i}]`, depth: depth + 1, element: true });
      continue;
    }
    if (typeof value !== 'object' || Array.isArray(value)) throw new OtlpShapeError(path, `expected an object (${shape.message}), got ${kindOf(value)}`);
    const fields = MESSAGES[shape.message];
    const keys = Object.keys(value);
    if (depth === 0) rootProblem(keys, signal);
    for (let k = keys.length - 1; k >= 0; k--) {
      const key = keys[k];
      const at = path ? `${path}.${key}` : key;
      // Own properties only: a key such as "__proto__" or "constructor" is an unknown key, not Object.prototype's.
      const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
      if (field === undefined && key.includes('_') && Object.hasOwn(fields, camel(key))) {
        // The accessors read lowerCamelCase only, as the OTLP/JSON rules say: a snake_case key would be skipped silently.
        throw new OtlpShapeError(at, `OTLP/JSON keys are lowerCamelCase: write "${camel(key)}"`);
      }
      stack.push({ value: (value as Record<string, unknown>)[key], shape: field ?? 'any', path: at, depth: depth + 1 });
    }
  }
}
