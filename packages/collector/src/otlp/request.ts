/**
 * OTLP requests and responses decoded into OTLP/JSON objects (lowerCamelCase
 * keys, lowercase hex identifiers, int64 as decimal strings, enums as
 * numbers), and encoded back.
 *
 * Who decodes: OTLP/JSON requests (parsed, checked, then carried as these
 * objects), the parts of a protobuf request a policy rewrites
 * ({@link decodePart}; the rest of such a request is never decoded, see
 * wire-request.ts), the debug exporter, and sinks and tests that look at
 * what arrived.
 *
 * `Type.toObject` with `defaults: false` copies only the fields present on
 * the wire, which keeps "empty" and "missing" apart exactly as the spec
 * needs (decoded protobufjs messages carry proto3 defaults on their
 * prototypes). Identifiers are converted to hex on the way in and back to
 * bytes (swapped in place around the generated encoder, then restored) on
 * the way out.
 */
import protobuf, { type IConversionOptions } from 'protobufjs';
import { otlpSchema, type SignalType } from '@otel-policy/proto';
import { checkJsonRequest, JsonCheckError, MAX_MESSAGE_DEPTH } from './json-check.js';
import type { PartEncoder } from './wire-edit.js';
import { arr, CONTAINERS, filterInPlace, isObj, POINT_KINDS, type Encoding, type Obj, type OtlpData } from './shape.js';
import { base64ToHex, bufferToHex, hexToBytes, longToString, Rejections, u64Bits, walk, type IdFix, type TimeFix } from './ids.js';
import { countRecords } from './count.js';

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
 * AnyValue always converts with TO_OBJECT (see otlpSchema in @otel-policy/proto).
 */
const TO_OBJECT: IConversionOptions = { longs: String, enums: Number, bytes: String, json: true };
const TO_OBJECT_RAW: IConversionOptions = { enums: Number, json: true };

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
  if (raw) walk(signal, data, bufferToHex, rej, longToString);
  else walk(signal, data, base64ToHex, rej);
  if (rej.count > 0) pruneEmpty(signal, data);
  return { data: data as OtlpData, records: countRecords(signal, data as OtlpData), rejected: rej.count, rejectMessage: rej.message };
}

/** Swap a hex identifier for its bytes, remembering (holder, key, old value) in `swapped`. Empty means absent. */
function swapId(holder: Obj, key: string, swapped: unknown[]): void {
  const v = holder[key];
  if (typeof v === 'string' && v !== '') {
    swapped.push(holder, key, v);
    holder[key] = Buffer.from(v, 'hex');
  }
}

/** Swap a decimal timestamp for its {low, high} halves, remembering the old value in `swapped`. */
function swapTime(holder: Obj, key: string, swapped: unknown[]): void {
  const v = holder[key];
  if (typeof v !== 'string') return;
  const bits = u64Bits(v);
  if (bits === undefined) return;
  swapped.push(holder, key, v);
  holder[key] = bits;
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
    swapId(holder, key, swapped);
    return true;
  };
  const toBits: TimeFix = (holder, key) => swapTime(holder, key, swapped);
  walk(signal, data, toBytes, new Rejections(), toBits);
  try {
    return fn();
  } finally {
    for (let i = 0; i < swapped.length; i += 3) (swapped[i] as Obj)[swapped[i + 1] as string] = swapped[i + 2];
  }
}

/** Encodes one level's message (a record, or a resource or scope head). */
type LevelEncoder = (level: 'resource' | 'scope' | 'record', obj: Obj) => Uint8Array;
const levelEncoders: Partial<Record<SignalType, LevelEncoder>> = {};

/** Swap one record's identifiers and timestamps for the encoder (logs and spans), remembering how to restore them. */
function prepareRecord(signal: SignalType, r: Obj, swapped: unknown[]): void {
  const id = (h: Obj, key: string) => swapId(h, key, swapped);
  const time = (h: Obj, key: string) => swapTime(h, key, swapped);
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
    const [res, scope, rec] = CONTAINERS[signal];
    const wrapped = level === 'resource' ? { [res]: [obj] } : level === 'scope' ? { [res]: [{ [scope]: [obj] }] } : { [res]: [{ [scope]: [{ [rec]: [obj] }] }] };
    return withBinaryIds(signal, wrapped, () =>
      otlpSchema()
        [signal].levels[level].encode(obj as Obj)
        .finish(),
    );
  });
}

/**
 * Encode a payload as an Export request body (the generic encoder; a
 * protobuf request that was never decoded is spliced instead, see
 * wire-edit.ts). The payload is left as it was.
 */
export function encodeRequest(signal: SignalType, data: OtlpData, encoding: Encoding): Uint8Array {
  if (encoding === 'json') return Buffer.from(JSON.stringify(data));
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

/**
 * Decode one part of a located protobuf request into OTLP/JSON objects, for
 * a write: a record (identifiers as hex, times as decimal strings, as
 * {@link decodeRequest} gives them), or the head of a resource or scope
 * level (its Resource / InstrumentationScope and schema_url, without the
 * children).
 */
export function decodePart(signal: SignalType, part: 'resource' | 'scope' | 'record', bytes: Uint8Array, body: number, end: number): Obj {
  const type = otlpSchema()[signal].levels[part];
  if (part === 'record') {
    const raw = signal !== 'metrics';
    const obj = type.toObject(type.decode(bytes.subarray(body, end)), raw ? TO_OBJECT_RAW : TO_OBJECT) as Obj;
    const [res, scope, rec] = CONTAINERS[signal];
    const wrapped = { [res]: [{ [scope]: [{ [rec]: [obj] }] }] };
    if (raw) walk(signal, wrapped, bufferToHex, new Rejections(), longToString);
    else walk(signal, wrapped, base64ToHex, new Rejections());
    return obj;
  }
  // The head: every field of the level but its children (field 2).
  const head = headBytes(bytes, body, end);
  return type.toObject(type.decode(head), TO_OBJECT) as Obj;
}

/** The fields of a level message other than its children (field 2), concatenated. */
function headBytes(bytes: Uint8Array, body: number, end: number): Uint8Array {
  const r = protobuf.Reader.create(bytes);
  r.pos = body;
  const parts: Uint8Array[] = [];
  while (r.pos < end) {
    const at = r.pos;
    const tag = r.uint32();
    r.skipType(tag & 7);
    if (tag >>> 3 !== 2) parts.push(bytes.subarray(at, r.pos));
  }
  return Buffer.concat(parts);
}

/** Encode a part decoded by {@link decodePart} and rewritten (see wire-edit.ts). */
export const encodePart: PartEncoder = (signal, part, obj) => levelEncoder(signal)(part, obj);
