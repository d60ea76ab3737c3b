/**
 * Counting the records of a request: on the wire (without decoding it) and
 * in the pipeline's shape.
 */
import protobuf from 'protobufjs';
import type { SignalType } from '@otel-policy/proto';
import { arr, isObj, POINT_KINDS, POINT_KIND_FIELDS, type Obj, type OtlpData } from './shape.js';

// ---------------------------------------------------------------------------

// Field numbers on the path to the records (opentelemetry-proto): request ->
// resource_* (1) -> scope_* (2) -> records (2); a Metric's data kinds hold
// their points in field 1.
/** Visit the length-delimited occurrences of `field` in a message; returns the count for leaves. */
function wireCount(bytes: Uint8Array, start: number, end: number, depth: number, metrics: boolean): number {
  const r = protobuf.Reader.create(bytes);
  r.pos = start;
  let n = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire !== 2) {
      r.skipType(wire);
      continue;
    }
    const len = r.uint32();
    const at = r.pos;
    r.pos = at + len;
    if (depth < 2) {
      if (field === (depth === 0 ? 1 : 2)) n += wireCount(bytes, at, at + len, depth + 1, metrics);
    } else if (field === 2) {
      // A record; for metrics, a Metric whose data kinds hold the points.
      n += metrics ? wireCount(bytes, at, at + len, 3, metrics) : 1;
    } else if (depth === 3 && POINT_KIND_FIELDS.has(field)) {
      n += wireCount(bytes, at, at + len, 4, metrics);
    } else if (depth === 4 && field === 1) {
      n++;
    }
  }
  return n;
}

/**
 * Count the records of a protobuf Export request without decoding it (a
 * wire-level walk; for sinks and load generators that only count).
 */
export function countRecordsProto(signal: SignalType, bytes: Uint8Array): number {
  return wireCount(bytes, 0, bytes.length, 0, signal === 'metrics');
}

/** Count the records of a payload: log records, spans, or metric data points. */
export function countRecords(signal: SignalType, data: OtlpData): number {
  let n = 0;
  const d = data as Obj;
  if (signal === 'logs') {
    for (const rl of arr(d.resourceLogs) ?? []) for (const sl of arr((rl as Obj)?.scopeLogs) ?? []) n += arr((sl as Obj)?.logRecords)?.length ?? 0;
  } else if (signal === 'traces') {
    for (const rs of arr(d.resourceSpans) ?? []) for (const ss of arr((rs as Obj)?.scopeSpans) ?? []) n += arr((ss as Obj)?.spans)?.length ?? 0;
  } else {
    for (const rm of arr(d.resourceMetrics) ?? [])
      for (const sm of arr((rm as Obj)?.scopeMetrics) ?? [])
        for (const m of arr((sm as Obj)?.metrics) ?? []) {
          if (!isObj(m)) continue;
          for (const kind of POINT_KINDS) {
            const body = m[kind];
            if (isObj(body)) n += arr(body.dataPoints)?.length ?? 0;
          }
        }
  }
  return n;
}
