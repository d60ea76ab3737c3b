/**
 * The one shape the pipeline carries, OTLP/JSON objects, and the few facts
 * about its layout the codec needs: the containers on the way to the records
 * and the kinds of metric data point (the repository's one table, from the
 * adapters).
 */
import { METRIC_POINT_KINDS, type LogsData, type MetricsData, type TracesData } from '@otel-policy/adapters';
import type { SignalType } from '@otel-policy/proto';

/** Wire encodings: binary protobuf or OTLP/JSON. */
export type Encoding = 'proto' | 'json';

export { PROTOBUF_CONTENT_TYPE, JSON_CONTENT_TYPE } from '@otel-policy/proto';

/** An OTLP request (or XData) payload in the pipeline's shape. */
export type OtlpData = LogsData | TracesData | MetricsData;

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const arr = (v: unknown): unknown[] | undefined => (Array.isArray(v) ? v : undefined);

/** Keep the elements of `list` for which `keep` holds, in place; returns how many were removed. */
export function filterInPlace(list: unknown[], keep: (v: unknown) => boolean): number {
  let w = 0;
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (keep(v)) list[w++] = v;
  }
  const removed = list.length - w;
  list.length = w;
  return removed;
}

/** The containers on the way to the records: resource, scope, record lists by signal. */
export const CONTAINERS: Record<SignalType, readonly [string, string, string]> = {
  logs: ['resourceLogs', 'scopeLogs', 'logRecords'],
  traces: ['resourceSpans', 'scopeSpans', 'spans'],
  metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'],
};

/** The OTLP/JSON keys of a Metric's data cases (`gauge`, `sum`, ...). */
export const POINT_KINDS = METRIC_POINT_KINDS.map((k) => k.json);

/** The Metric message's field numbers of its data cases. */
export const POINT_KIND_FIELDS: ReadonlySet<number> = new Set(METRIC_POINT_KINDS.map((k) => k.field));
