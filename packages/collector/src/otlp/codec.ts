/**
 * OTLP requests and responses, in both encodings, to and from the one shape
 * the pipeline carries: OTLP/JSON objects (lowerCamelCase keys, lowercase hex
 * identifiers, int64 as decimal strings, enums as numbers).
 *
 * Why that shape rather than an accessor over protobufjs messages: the
 * otlp-json adapter (packages/adapters) already implements every field,
 * attribute path, transform and sampling write the engine needs and passes the
 * conformance corpus; reusing it keeps all record access in one audited
 * place. Decoded protobufjs messages carry proto3 defaults and oneof virtual
 * fields on their prototypes (`stringValue` reads "" on every AnyValue), so
 * they are never handed to the adapter directly: `Type.toObject` with
 * `defaults: false` copies only the fields present on the wire, which keeps
 * "empty" and "missing" apart exactly as the spec needs. Identifiers are the
 * only bytes fields the engine reads; they are converted to hex on the way in
 * and back to bytes (swapped in place around the generated encoder, then
 * restored) on the way out.
 *
 * A protobuf request keeps its bytes: each decoded object is mapped to its
 * byte range (wire.ts), and on the way out whatever the processors did not
 * touch is copied rather than re-encoded. The passthrough pipeline carries
 * the same shape and pays the same decoding, so the policy processor's cost
 * is measured against the same codec work.
 */
import protobuf, { type IConversionOptions } from 'protobufjs';
import type { LogsData, MetricsData, TracesData } from '@otel-policy/adapters';
import { checkJsonRequest, JsonCheckError, MAX_MESSAGE_DEPTH } from './json-check.js';
import { otlpSchema, type SignalType } from '@otel-policy/proto';
import { attachWire, spliceRequest, type LevelEncoder } from './wire.js';

/** Wire encodings: binary protobuf or OTLP/JSON. */
export type Encoding = 'proto' | 'json';

export { PROTOBUF_CONTENT_TYPE, JSON_CONTENT_TYPE } from '@otel-policy/proto';

/** An OTLP request (or XData) payload in the pipeline's shape. */
export type OtlpData = LogsData | TracesData | MetricsData;

/** A body that is not a valid OTLP request: answered 400 / INVALID_ARGUMENT with this message. */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

/** A decoded request. */
export interface DecodedRequest {
  data: OtlpData;
  /** Records accepted into `data` (log records, spans, metric data points). */
  records: number;
  /** Records rejected as invalid (reported as partial success). */
  rejected: number;
  /** Why records were rejected (the first reason). */
  rejectMessage?: string;
}

/**
 * toObject options. Metrics: int64 as decimal strings, bytes as base64 (then
 * identifiers to hex). Logs and traces take a faster route for their hot
 * fields: identifiers stay Buffers and timestamps stay Long objects, and the
 * walk below turns them into hex and decimal strings natively (protobufjs's
 * base64 and Long.toString cost more than the rest of the conversion);
 * AnyValue always converts with TO_OBJECT (see schema.ts).
 */
const TO_OBJECT: IConversionOptions = { longs: String, enums: Number, bytes: String, json: true };
const TO_OBJECT_RAW: IConversionOptions = { enums: Number, json: true };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] | undefined => (Array.isArray(v) ? v : undefined);

/** Identifier fields: byte length by key. */
const TRACE_ID = 16;
const SPAN_ID = 8;

/** Fixes one identifier field in place; false when it is invalid (the record is rejected). */
type IdFix = (holder: Obj, key: string, len: number) => boolean;
/** Converts one timestamp field in place (logs and traces). */
type TimeFix = (holder: Obj, key: string) => void;

class Rejections {
  count = 0;
  message: string | undefined;
  reject(what: string, why: string): void {
    this.count++;
    this.message ??= `${what} rejected: ${why}`;
  }
}

// ---------------------------------------------------------------------------
// Walkers over the records that carry identifiers. Each calls `fix` on every
// identifier and removes (counting) the records where it fails.

function idsOk(holder: Obj, fix: IdFix, keys: readonly (readonly [string, number])[]): boolean {
  for (const [key, len] of keys) {
    if (holder[key] !== undefined && !fix(holder, key, len)) return false;
  }
  return true;
}

const LOG_IDS = [
  ['traceId', TRACE_ID],
  ['spanId', SPAN_ID],
] as const;
const SPAN_IDS = [
  ['traceId', TRACE_ID],
  ['spanId', SPAN_ID],
  ['parentSpanId', SPAN_ID],
] as const;
const LINK_IDS = LOG_IDS;
const EXEMPLAR_IDS = LOG_IDS;

/** Keep the elements of `list` for which `keep` holds, in place; returns how many were removed. */
function filterInPlace(list: unknown[], keep: (v: unknown) => boolean): number {
  let w = 0;
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (keep(v)) list[w++] = v;
  }
  const removed = list.length - w;
  list.length = w;
  return removed;
}

function walkLogs(data: Obj, fix: IdFix, rej: Rejections, time?: TimeFix): void {
  for (const rl of arr(data.resourceLogs) ?? []) {
    if (!isObj(rl)) continue;
    for (const sl of arr(rl.scopeLogs) ?? []) {
      if (!isObj(sl)) continue;
      const records = arr(sl.logRecords);
      if (!records) continue;
      filterInPlace(records, (r) => {
        if (!isObj(r)) return true;
        if (time) {
          time(r, 'timeUnixNano');
          time(r, 'observedTimeUnixNano');
        }
        if (idsOk(r, fix, LOG_IDS)) return true;
        rej.reject('log record', 'invalid trace_id or span_id');
        return false;
      });
    }
  }
}

function walkTraces(data: Obj, fix: IdFix, rej: Rejections, time?: TimeFix): void {
  for (const rs of arr(data.resourceSpans) ?? []) {
    if (!isObj(rs)) continue;
    for (const ss of arr(rs.scopeSpans) ?? []) {
      if (!isObj(ss)) continue;
      const spans = arr(ss.spans);
      if (!spans) continue;
      filterInPlace(spans, (s) => {
        if (!isObj(s)) return true;
        if (time) {
          time(s, 'startTimeUnixNano');
          time(s, 'endTimeUnixNano');
          for (const e of arr(s.events) ?? []) if (isObj(e)) time(e, 'timeUnixNano');
        }
        let ok = idsOk(s, fix, SPAN_IDS);
        if (ok) {
          for (const l of arr(s.links) ?? []) {
            if (isObj(l) && !idsOk(l, fix, LINK_IDS)) {
              ok = false;
              break;
            }
          }
        }
        if (!ok) rej.reject('span', 'invalid trace_id, span_id or parent_span_id (of the span or a link)');
        return ok;
      });
    }
  }
}

const POINT_KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

function walkMetrics(data: Obj, fix: IdFix, rej: Rejections): void {
  for (const rm of arr(data.resourceMetrics) ?? []) {
    if (!isObj(rm)) continue;
    for (const sm of arr(rm.scopeMetrics) ?? []) {
      if (!isObj(sm)) continue;
      for (const m of arr(sm.metrics) ?? []) {
        if (!isObj(m)) continue;
        for (const kind of POINT_KINDS) {
          const body = m[kind];
          if (!isObj(body)) continue;
          const points = arr(body.dataPoints);
          if (!points) continue;
          filterInPlace(points, (p) => {
            if (!isObj(p)) return true;
            for (const e of arr(p.exemplars) ?? []) {
              if (isObj(e) && !idsOk(e, fix, EXEMPLAR_IDS)) {
                rej.reject('metric data point', 'an exemplar has an invalid trace_id or span_id');
                return false;
              }
            }
            return true;
          });
        }
      }
    }
  }
}

function walk(signal: SignalType, data: Obj, fix: IdFix, rej: Rejections, time?: TimeFix): void {
  if (signal === 'logs') walkLogs(data, fix, rej, time);
  else if (signal === 'traces') walkTraces(data, fix, rej, time);
  else walkMetrics(data, fix, rej);
}

const HEX = /^[0-9a-fA-F]*$/;

/** OTLP/JSON hex identifier -> bytes (before `fromObject`). Empty means absent. */
const hexToBytes: IdFix = (holder, key, len) => {
  const v = holder[key];
  if (v === null || v === '') {
    delete holder[key];
    return true;
  }
  if (typeof v !== 'string' || v.length !== len * 2 || !HEX.test(v)) return false;
  holder[key] = Buffer.from(v, 'hex');
  return true;
};

/** A Buffer (from `toObject` without `bytes`) -> lowercase hex, checking the length. Empty means absent. */
const bufferToHex: IdFix = (holder, key, len) => {
  const v = holder[key] as Uint8Array;
  if (v.length === 0) {
    delete holder[key];
    return true;
  }
  if (v.length !== len) return false;
  holder[key] = Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex');
  return true;
};

/** An unsigned 64-bit value from its 32-bit halves, as a decimal string. */
export function u64String(low: number, high: number): string {
  return high < 0x200000 ? String(high * 4294967296 + low) : ((BigInt(high) << 32n) | BigInt(low)).toString();
}

/** A decimal string as the {low, high} halves protobufjs's writer accepts, or undefined when it is not a uint64. */
function u64Bits(s: string): { low: number; high: number } | undefined {
  if (s.length < 16) {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 0 || s.trim() !== s || s === '') return undefined;
    return { low: n >>> 0, high: Math.floor(n / 4294967296) >>> 0 };
  }
  if (!/^\d+$/.test(s)) return undefined;
  const b = BigInt(s);
  if (b >= 1n << 64n) return undefined;
  return { low: Number(b & 0xffffffffn), high: Number(b >> 32n) };
}

/** A Long (from `toObject` without `longs`) -> decimal string. */
const longToString: TimeFix = (holder, key) => {
  const v = holder[key] as { low: number; high: number } | string | number | undefined;
  if (typeof v === 'object' && v !== null) holder[key] = u64String(v.low >>> 0, v.high >>> 0);
};

/** base64 (from `toObject`) -> lowercase hex, checking the length. Empty means absent. */
const base64ToHex: IdFix = (holder, key, len) => {
  const v = holder[key] as string;
  if (v === '') {
    delete holder[key];
    return true;
  }
  const bytes = Buffer.from(v, 'base64');
  if (bytes.length !== len) return false;
  holder[key] = bytes.toString('hex');
  return true;
};

// ---------------------------------------------------------------------------

// Field numbers on the path to the records (opentelemetry-proto): request ->
// resource_* (1) -> scope_* (2) -> records (2); a Metric's data kinds hold
// their points in field 1.
const METRIC_KINDS = new Set([5, 7, 9, 10, 11]);

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
    } else if (depth === 3 && METRIC_KINDS.has(field)) {
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

const CONTAINERS: Record<SignalType, readonly [string, string, string]> = {
  logs: ['resourceLogs', 'scopeLogs', 'logRecords'],
  traces: ['resourceSpans', 'scopeSpans', 'spans'],
  metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'],
};

/** Remove scopes without records and resources without scopes (after rejections). */
function pruneEmpty(signal: SignalType, data: Obj): void {
  const [res, scope, rec] = CONTAINERS[signal];
  const resources = arr(data[res]);
  if (!resources) return;
  filterInPlace(resources, (r) => {
    const scopes = arr((r as Obj)[scope]);
    if (!scopes) return false;
    filterInPlace(scopes, (s) => {
      const records = arr((s as Obj)[rec]);
      if (!records || records.length === 0) return false;
      if (signal !== 'metrics') return true;
      // A metric whose every point was rejected goes too.
      filterInPlace(records, (m) => POINT_KINDS.some((k) => isObj((m as Obj)[k]) && (arr(((m as Obj)[k] as Obj).dataPoints)?.length ?? 0) > 0));
      return records.length > 0;
    });
    return scopes.length > 0;
  });
}

/** The reason for a decoder error, with nesting limits (protobufjs's or the stack's) said plainly. */
function reasonOf(err: unknown): string {
  const message = (err as Error)?.message ?? String(err);
  if (/max(imum)? (nesting )?depth exceeded|call stack/i.test(message)) return `nested deeper than ${MAX_MESSAGE_DEPTH} messages (attribute values in kvlistValue / arrayValue)`;
  return message;
}

/**
 * Decode an Export request body. Throws {@link OtlpDecodeError} (and nothing
 * else: whatever the body is, the caller answers 400 / INVALID_ARGUMENT)
 * when the body is not a valid request; records with invalid identifiers are
 * removed and counted as rejected (partial success) rather than failing the
 * request.
 */
export function decodeRequest(signal: SignalType, body: Uint8Array, encoding: Encoding): DecodedRequest {
  try {
    return decode(signal, body, encoding);
  } catch (err) {
    if (err instanceof OtlpDecodeError) throw err;
    throw new OtlpDecodeError(`cannot decode the ${encoding === 'json' ? 'JSON' : 'protobuf'} ${otlpSchema()[signal].request.name}: ${reasonOf(err)}`);
  }
}

function decode(signal: SignalType, body: Uint8Array, encoding: Encoding): DecodedRequest {
  const s = otlpSchema()[signal];
  const rej = new Rejections();
  let message: object;
  if (encoding === 'proto') {
    try {
      message = s.request.decode(body);
    } catch (err) {
      throw new OtlpDecodeError(`cannot decode the protobuf ${s.request.name}: ${reasonOf(err)}`);
    }
  } else {
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new OtlpDecodeError(`invalid JSON: ${(err as Error).message}`);
    }
    if (!isObj(json)) throw new OtlpDecodeError(`the body must be a JSON object (an ${s.request.name})`);
    try {
      checkJsonRequest(json, s.request);
    } catch (err) {
      if (err instanceof JsonCheckError) throw new OtlpDecodeError(`invalid ${s.request.name}: ${err.message}`);
      throw err;
    }
    walk(signal, json, hexToBytes, rej);
    try {
      message = s.request.fromObject(json);
    } catch (err) {
      throw new OtlpDecodeError(`invalid ${s.request.name}: ${reasonOf(err)}`);
    }
  }
  const raw = signal !== 'metrics';
  const data = s.request.toObject(message as never, raw ? TO_OBJECT_RAW : TO_OBJECT) as Obj;
  // Protobuf in: remember where each part came from, so that what the
  // processors leave alone is written back byte for byte (see wire.ts).
  if (encoding === 'proto') attachWire(signal, data, body);
  if (raw) walk(signal, data, bufferToHex, rej, longToString);
  else walk(signal, data, base64ToHex, rej);
  if (rej.count > 0) pruneEmpty(signal, data);
  return { data: data as OtlpData, records: countRecords(signal, data as OtlpData), rejected: rej.count, rejectMessage: rej.message };
}

/**
 * Run `fn` with the payload's hex identifiers swapped for bytes (as the
 * generated encoders need) and, for logs and traces, its timestamps for
 * {low, high} halves (protobufjs parses decimal strings slowly), then
 * restore them.
 */
function withBinaryIds<T>(signal: SignalType, data: Obj, fn: () => T): T {
  const swapped: unknown[] = [];
  const toBytes: IdFix = (holder, key) => {
    const v = holder[key];
    if (typeof v === 'string' && v !== '') {
      swapped.push(holder, key, v);
      holder[key] = Buffer.from(v, 'hex');
    }
    return true;
  };
  const toBits: TimeFix = (holder, key) => {
    const v = holder[key];
    if (typeof v !== 'string') return;
    const bits = u64Bits(v);
    if (bits === undefined) return;
    swapped.push(holder, key, v);
    holder[key] = bits;
  };
  walk(signal, data, toBytes, new Rejections(), toBits);
  try {
    return fn();
  } finally {
    for (let i = 0; i < swapped.length; i += 3) (swapped[i] as Obj)[swapped[i + 1] as string] = swapped[i + 2];
  }
}

const KEYS: Record<SignalType, readonly [string, string, string]> = {
  logs: ['resourceLogs', 'scopeLogs', 'logRecords'],
  traces: ['resourceSpans', 'scopeSpans', 'spans'],
  metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'],
};

const levelEncoders: Partial<Record<SignalType, LevelEncoder>> = {};

/** Swap one record's identifiers and timestamps for the encoder (logs and spans), remembering how to restore them. */
function prepareRecord(signal: SignalType, r: Obj, swapped: unknown[]): void {
  const id = (h: Obj, key: string) => {
    const v = h[key];
    if (typeof v === 'string' && v !== '') {
      swapped.push(h, key, v);
      h[key] = Buffer.from(v, 'hex');
    }
  };
  const time = (h: Obj, key: string) => {
    const v = h[key];
    if (typeof v !== 'string') return;
    const bits = u64Bits(v);
    if (bits === undefined) return;
    swapped.push(h, key, v);
    h[key] = bits;
  };
  id(r, 'traceId');
  id(r, 'spanId');
  if (signal === 'logs') {
    time(r, 'timeUnixNano');
    time(r, 'observedTimeUnixNano');
    return;
  }
  id(r, 'parentSpanId');
  time(r, 'startTimeUnixNano');
  time(r, 'endTimeUnixNano');
  for (const e of arr(r.events) ?? []) if (isObj(e)) time(e, 'timeUnixNano');
  for (const l of arr(r.links) ?? []) {
    if (!isObj(l)) continue;
    id(l, 'traceId');
    id(l, 'spanId');
  }
}

/** The generic encoder of one level's message, for the parts a splice must re-encode. */
function levelEncoder(signal: SignalType): LevelEncoder {
  return (levelEncoders[signal] ??= (level, obj) => {
    if (level === 'record' && signal !== 'metrics') {
      // The common case (a transformed log record, a sampled span): swap in place, no wrapping.
      const swapped: unknown[] = [];
      prepareRecord(signal, obj as Obj, swapped);
      try {
        return otlpSchema()
          [signal].levels.record.encode(obj as Obj)
          .finish();
      } finally {
        for (let i = 0; i < swapped.length; i += 3) (swapped[i] as Obj)[swapped[i + 1] as string] = swapped[i + 2];
      }
    }
    const [res, scope, rec] = KEYS[signal];
    const wrapped = level === 'resource' ? { [res]: [obj] } : level === 'scope' ? { [res]: [{ [scope]: [obj] }] } : { [res]: [{ [scope]: [{ [rec]: [obj] }] }] };
    return withBinaryIds(signal, wrapped, () =>
      otlpSchema()
        [signal].levels[level].encode(obj as Obj)
        .finish(),
    );
  });
}

/**
 * Encode a payload as an Export request body. A payload decoded from
 * protobuf is spliced: the original bytes of everything unchanged, only the
 * modified parts re-encoded (see wire.ts). The payload is left as it was.
 */
export function encodeRequest(signal: SignalType, data: OtlpData, encoding: Encoding): Uint8Array {
  if (encoding === 'json') return Buffer.from(JSON.stringify(data));
  const spliced = spliceRequest(signal, data as Obj, levelEncoder(signal));
  if (spliced !== undefined) return spliced;
  return withBinaryIds(signal, data as Obj, () =>
    otlpSchema()
      [signal].request.encode(data as Obj)
      .finish(),
  );
}

/** Encode an Export response; `rejected` > 0 or a message makes it a partial success. */
export function encodeResponse(signal: SignalType, rejected: number, errorMessage: string | undefined, encoding: Encoding): Uint8Array {
  const s = otlpSchema()[signal];
  const partial = rejected > 0 || errorMessage ? { partialSuccess: { [s.rejectedField]: String(rejected), errorMessage: errorMessage ?? '' } } : {};
  if (encoding === 'json') return Buffer.from(JSON.stringify(partial));
  return s.response.encode(s.response.fromObject(partial)).finish();
}

/** Read an Export response (what a downstream server answered): its partial success, if any. */
export function decodeResponse(signal: SignalType, body: Uint8Array, encoding: Encoding): { rejected: number; errorMessage: string } {
  const s = otlpSchema()[signal];
  let obj: Obj;
  if (body.length === 0) return { rejected: 0, errorMessage: '' };
  if (encoding === 'json') {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as unknown;
    obj = isObj(parsed) ? parsed : {};
  } else {
    obj = s.response.toObject(s.response.decode(body), TO_OBJECT) as Obj;
  }
  const p = (isObj(obj.partialSuccess) ? obj.partialSuccess : isObj(obj.partial_success) ? obj.partial_success : {}) as Obj;
  const snake = s.rejectedField.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const rejected = Number(p[s.rejectedField] ?? p[snake] ?? 0) || 0;
  const errorMessage = String(p.errorMessage ?? p.error_message ?? '');
  return { rejected, errorMessage };
}

/** gRPC status codes OTLP uses. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * A google.rpc.Status (the body of OTLP/HTTP error responses; the
 * `grpc-status-details-bin` trailer of gRPC ones), with a RetryInfo detail
 * when a retry delay is given.
 */
export function encodeStatus(code: number, message: string, encoding: Encoding, retryDelaySecs?: number): Uint8Array {
  const { Status, RetryInfo } = otlpSchema();
  if (encoding === 'json') {
    const status: Obj = { code, message };
    if (retryDelaySecs !== undefined) status.details = [{ '@type': RETRY_INFO_TYPE, retryDelay: `${retryDelaySecs}s` }];
    return Buffer.from(JSON.stringify(status));
  }
  const details = retryDelaySecs === undefined ? [] : [{ typeUrl: RETRY_INFO_TYPE, value: RetryInfo.encode({ retryDelay: { seconds: retryDelaySecs } }).finish() }];
  return Status.encode({ code, message, details }).finish();
}

/** The retry delay (ms) of a binary google.rpc.Status's RetryInfo detail, if any. */
export function retryDelayOfStatus(bytes: Uint8Array): number | undefined {
  try {
    const { Status, RetryInfo } = otlpSchema();
    const status = Status.toObject(Status.decode(bytes), { longs: Number }) as { details?: { typeUrl: string; value: Uint8Array }[] };
    for (const d of status.details ?? []) {
      if (d.typeUrl !== RETRY_INFO_TYPE) continue;
      const info = RetryInfo.toObject(RetryInfo.decode(d.value), { longs: Number }) as { retryDelay?: { seconds?: number; nanos?: number } };
      if (info.retryDelay) return (info.retryDelay.seconds ?? 0) * 1000 + Math.floor((info.retryDelay.nanos ?? 0) / 1e6);
    }
  } catch {
    // Not a Status: no hint.
  }
  return undefined;
}

/** The message of an error response body (a google.rpc.Status in either encoding, else text), for logs. */
export function statusMessageOf(body: Uint8Array, contentType: string | undefined): string {
  if (body.length === 0) return '';
  try {
    if (contentType?.includes('protobuf')) {
      const { Status } = otlpSchema();
      const s = Status.toObject(Status.decode(body)) as { message?: string };
      if (s.message) return s.message;
    } else if (contentType?.includes('json')) {
      const s = JSON.parse(Buffer.from(body).toString('utf8')) as { message?: string };
      if (typeof s?.message === 'string') return s.message;
    }
  } catch {
    // fall through to text
  }
  return Buffer.from(body).toString('utf8').slice(0, 300);
}
