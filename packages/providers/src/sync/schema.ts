/**
 * The sync protocol's schema (tero.policy.v1, loaded from the .proto files
 * shipped in this package with protobufjs at run time), its two encodings
 * (binary protobuf and proto3 JSON), and the conversions between its Policy
 * messages and our parsed policy model.
 */
import { createHash } from 'node:crypto';
import protobuf from 'protobufjs';
import { camelKeys, mediaTypeOf, snakeToCamel, syncSchema } from '@otel-policy/proto';
import {
  parsePolicyDocument,
  type FieldSelector,
  type LogTarget,
  type MatchCondition,
  type Matcher,
  type MetricTarget,
  type NumericLiteral,
  type Policy,
  type PolicySet,
  type Signal,
  type TraceSamplingConfig,
  type TraceTarget,
  type ValueLiteral,
} from '@otel-policy/core';

export { PROTO_DIR, syncSchema, SYNC_METHOD_PATH, JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE, type SyncSchema } from '@otel-policy/proto';

// ---------------------------------------------------------------------------
// Plain-object forms of the messages (proto3 JSON field names, lowerCamelCase)

/** An OTLP `KeyValue` with a string value (the only kind this package writes). */
export interface KeyValueObject {
  key: string;
  value?: { stringValue?: string; [k: string]: unknown };
}

export interface TransformStageStatusObject {
  /** int64: a string when decoded, a number or string when encoding. */
  hits?: number | string;
  misses?: number | string;
}

export interface PolicySyncStatusObject {
  id?: string;
  matchHits?: number | string;
  matchMisses?: number | string;
  errors?: string[];
  remove?: TransformStageStatusObject;
  redact?: TransformStageStatusObject;
  rename?: TransformStageStatusObject;
  add?: TransformStageStatusObject;
}

export interface ClientMetadataObject {
  /** PolicyStage enum names (or numbers). */
  supportedPolicyStages?: (string | number)[];
  labels?: KeyValueObject[];
  resourceAttributes?: KeyValueObject[];
  supportedExtensions?: { type?: string; minVersion?: string; config?: string[] }[];
}

export interface SyncRequestObject {
  clientMetadata?: ClientMetadataObject;
  fullSync?: boolean;
  /** fixed64 */
  lastSyncTimestampUnixNano?: number | string;
  lastSuccessfulHash?: string;
  policyStatuses?: PolicySyncStatusObject[];
}

/** A `tero.policy.v1.Policy` in object form (see {@link policyToProto}). */
export type PolicyObject = Record<string, unknown>;

export interface SyncResponseObject {
  policies?: PolicyObject[];
  hash?: string;
  /** fixed64 */
  syncTimestampUnixNano?: number | string;
  recommendedSyncIntervalSeconds?: number;
  /** SyncType enum name (or number). */
  syncType?: string | number;
  errorMessage?: string;
  extensionConfigs?: { type?: string; config?: string[] }[];
}

// ---------------------------------------------------------------------------
// Encodings

/** How decoded messages are turned into plain objects: proto3 JSON value forms, only fields present on the wire. */
const OBJECT_OPTIONS: protobuf.IConversionOptions = {
  enums: String,
  longs: String,
  bytes: String,
  oneofs: false,
  defaults: false,
  json: true,
};

/** A body that cannot be decoded as the expected message. */
export class SyncDecodeError extends Error {
  override readonly name = 'SyncDecodeError';
}

export type SyncEncoding = 'json' | 'protobuf';

/** The encoding a Content-Type names (`application/json`, `application/x-protobuf`, `application/protobuf`), or undefined. */
export function encodingOf(contentType: string | null | undefined): SyncEncoding | undefined {
  const media = mediaTypeOf(contentType);
  if (media === 'application/json' || media.endsWith('+json')) return 'json';
  if (media === 'application/x-protobuf' || media === 'application/protobuf' || media === 'application/vnd.google.protobuf') return 'protobuf';
  return undefined;
}

function toBinary(type: protobuf.Type, obj: object): Uint8Array {
  return type.encode(type.fromObject(obj as Record<string, unknown>)).finish();
}

function toJson(type: protobuf.Type, obj: object): string {
  return JSON.stringify(type.toObject(type.fromObject(obj as Record<string, unknown>), OBJECT_OPTIONS));
}

/**
 * Bounds on a message to decode, checked before it is decoded (a cheap pass
 * that allocates nothing per value): how deeply messages (JSON: objects and
 * lists) nest, and how many values it holds (fields present, list elements;
 * a packed list counts one per byte). Decoding costs time and memory per
 * value, far more than the few bytes a value takes on the wire.
 */
export interface DecodeLimits {
  maxDepth: number;
  maxValues: number;
}

/** Walk a binary message by its schema without decoding it. @throws SyncDecodeError */
function checkBinaryLimits(root: protobuf.Type, bytes: Uint8Array, limits: DecodeLimits): void {
  const fail = (why: string) => new SyncDecodeError(`cannot decode ${root.name} (protobuf): ${why}`);
  const reader = protobuf.Reader.create(bytes);
  const stack: { type: protobuf.Type; end: number }[] = [{ type: root, end: bytes.length }];
  let values = 0;
  try {
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (reader.pos >= top.end) {
        if (reader.pos > top.end) throw fail('a field runs past the end of its message');
        stack.pop();
        continue;
      }
      const tag = reader.uint32();
      if (++values > limits.maxValues) throw fail(`more than ${limits.maxValues} values`);
      const field = top.type.fieldsById[tag >>> 3] as protobuf.Field | undefined;
      if ((tag & 7) !== 2) {
        reader.skipType(tag & 7);
        continue;
      }
      const len = reader.uint32();
      const end = reader.pos + len;
      if (end > top.end) throw fail('a length runs past the end of its message');
      if (field?.resolvedType instanceof protobuf.Type) {
        if (stack.length >= limits.maxDepth) throw fail(`nested deeper than ${limits.maxDepth} levels`);
        stack.push({ type: field.resolvedType, end });
        continue;
      }
      // A packed list: at least one byte per element.
      if (field?.repeated && field.type !== 'string' && field.type !== 'bytes') {
        values += len;
        if (values > limits.maxValues) throw fail(`more than ${limits.maxValues} values`);
      }
      reader.pos = end;
    }
  } catch (err) {
    if (err instanceof SyncDecodeError) throw err;
    throw fail((err as Error).message);
  }
}

/**
 * Scan JSON text before parsing it (parsing is what costs): the nesting of
 * objects and lists, and the values in them (each comma, each object or
 * list), outside strings. @throws SyncDecodeError
 */
function checkJsonLimits(type: protobuf.Type, text: string | Uint8Array, limits: DecodeLimits): void {
  const n = text.length;
  const at = typeof text === 'string' ? (i: number) => text.charCodeAt(i) : (i: number) => text[i];
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < n; i++) {
    const c = at(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      // { [
      if (++depth > limits.maxDepth) throw new SyncDecodeError(`cannot decode ${type.name} (JSON): nested deeper than ${limits.maxDepth} levels`);
      if (++values > limits.maxValues) break;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && ++values > limits.maxValues) break;
  }
  if (values > limits.maxValues) throw new SyncDecodeError(`cannot decode ${type.name} (JSON): more than ${limits.maxValues} values`);
}

function fromBinary<T>(type: protobuf.Type, bytes: Uint8Array, limits?: DecodeLimits): T {
  if (limits) checkBinaryLimits(type, bytes, limits);
  try {
    return type.toObject(type.decode(bytes), OBJECT_OPTIONS) as T;
  } catch (err) {
    throw new SyncDecodeError(`cannot decode ${type.name} (protobuf): ${(err as Error).message}`);
  }
}

const INT64_TYPES = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);
const UNSIGNED = new Set(['uint64', 'fixed64']);
const JSON_INT64_MAX = 2n ** 63n - 1n;
const JSON_UINT64_MAX = 2n ** 64n - 1n;

/**
 * The proto3 JSON rules for 64-bit integers, which protobufjs's `fromObject`
 * does not apply (it wraps `"999999999999999999999999"`, turns `"-1"` into
 * 2^64-1 in an unsigned field and reads `"12abc"` as 12): a decimal string
 * or an integral number within the type's range. Iterative.
 */
function checkInt64Fields(type: protobuf.Type, doc: unknown): void {
  const stack: { type: protobuf.Type; value: unknown; path: string }[] = [{ type, value: doc, path: '' }];
  while (stack.length > 0) {
    const { type: t, value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    for (const field of t.fieldsArray) {
      const v = (value as Record<string, unknown>)[field.name];
      if (v === undefined || v === null) continue;
      const at = path ? `${path}.${field.name}` : field.name;
      const items = field.repeated && Array.isArray(v) ? v : [v];
      items.forEach((item, i) => {
        const where = field.repeated && Array.isArray(v) ? `${at}[${i}]` : at;
        if (field.resolvedType instanceof protobuf.Type) stack.push({ type: field.resolvedType, value: item, path: where });
        else if (INT64_TYPES.has(field.type)) {
          let n: bigint | undefined;
          if (typeof item === 'number' && Number.isInteger(item)) n = BigInt(item);
          else if (typeof item === 'string' && /^-?\d{1,20}$/.test(item)) n = BigInt(item);
          const unsigned = UNSIGNED.has(field.type);
          if (n === undefined || n > (unsigned ? JSON_UINT64_MAX : JSON_INT64_MAX) || n < (unsigned ? 0n : -JSON_INT64_MAX - 1n)) {
            throw new SyncDecodeError(`${where}: expected ${unsigned ? 'an unsigned' : 'a'} 64-bit integer (a decimal string or number), got ${JSON.stringify(item)?.slice(0, 40)}`);
          }
        }
      });
    }
  }
}

function fromJson<T>(type: protobuf.Type, text: string | Uint8Array, limits?: DecodeLimits): T {
  if (limits) checkJsonLimits(type, text, limits);
  let doc: unknown;
  try {
    doc = JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
  } catch (err) {
    throw new SyncDecodeError(`cannot decode ${type.name} (JSON): ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new SyncDecodeError(`cannot decode ${type.name} (JSON): not an object`);
  try {
    const camel = camelKeys(doc) as Record<string, unknown>;
    checkInt64Fields(type, camel);
    // fromObject checks the structure (throws on a non-object message or a non-list repeated field).
    return type.toObject(type.fromObject(camel), OBJECT_OPTIONS) as T;
  } catch (err) {
    throw new SyncDecodeError(`cannot decode ${type.name} (JSON): ${(err as Error).message}`);
  }
}

export const encodeSyncRequestBinary = (req: SyncRequestObject): Uint8Array => toBinary(syncSchema().SyncRequest, req);
export const encodeSyncRequestJson = (req: SyncRequestObject): string => toJson(syncSchema().SyncRequest, req);
/** `limits`: see {@link DecodeLimits} (a server decoding what any client may send should pass them). */
export const decodeSyncRequestBinary = (bytes: Uint8Array, limits?: DecodeLimits): SyncRequestObject => fromBinary(syncSchema().SyncRequest, bytes, limits);
export const decodeSyncRequestJson = (text: string | Uint8Array, limits?: DecodeLimits): SyncRequestObject => fromJson(syncSchema().SyncRequest, text, limits);
export const encodeSyncResponseBinary = (res: SyncResponseObject): Uint8Array => toBinary(syncSchema().SyncResponse, res);
export const encodeSyncResponseJson = (res: SyncResponseObject): string => toJson(syncSchema().SyncResponse, res);
export const decodeSyncResponseBinary = (bytes: Uint8Array): SyncResponseObject => fromBinary(syncSchema().SyncResponse, bytes);
export const decodeSyncResponseJson = (text: string | Uint8Array): SyncResponseObject => fromJson(syncSchema().SyncResponse, text);

/** Encode a SyncRequest in either encoding. */
export function encodeSyncRequest(req: SyncRequestObject, encoding: SyncEncoding): Uint8Array {
  return encoding === 'json' ? Buffer.from(encodeSyncRequestJson(req), 'utf8') : encodeSyncRequestBinary(req);
}
/** Decode a SyncRequest in either encoding, within `limits` when given. @throws SyncDecodeError */
export function decodeSyncRequest(body: Uint8Array, encoding: SyncEncoding, limits?: DecodeLimits): SyncRequestObject {
  return encoding === 'json' ? decodeSyncRequestJson(body, limits) : decodeSyncRequestBinary(body, limits);
}
/** Encode a SyncResponse in either encoding. */
export function encodeSyncResponse(res: SyncResponseObject, encoding: SyncEncoding): Uint8Array {
  return encoding === 'json' ? Buffer.from(encodeSyncResponseJson(res), 'utf8') : encodeSyncResponseBinary(res);
}
/** Decode a SyncResponse in either encoding. @throws SyncDecodeError */
export function decodeSyncResponse(body: Uint8Array, encoding: SyncEncoding): SyncResponseObject {
  return encoding === 'json' ? decodeSyncResponseJson(body) : decodeSyncResponseBinary(body);
}

/** An int64 of a decoded message (a string, or a number) as a number; 0 when absent or malformed. */
export function int64ToNumber(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : 0;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  if (typeof v === 'bigint') return Number(v);
  return 0;
}

/** The current time as a fixed64 nanosecond timestamp string. */
export function nowUnixNano(now: number = Date.now()): string {
  return (BigInt(Math.floor(now)) * 1_000_000n).toString();
}

/** A stable hash of a list of Policy messages (their binary encoding). */
export function hashPolicies(policies: readonly PolicyObject[]): string {
  const { Policy: P } = syncSchema();
  const h = createHash('sha256');
  for (const p of policies) {
    const bytes = P.encode(P.fromObject(p)).finish();
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    h.update(len).update(bytes);
  }
  return h.digest('hex').slice(0, 32);
}

// ---------------------------------------------------------------------------
// Wire -> our model

const EXTENSION_MODE_PREFIX = 'EXTENSION_MODE_';

/**
 * Turn one decoded Policy message (plain-object form, as the decoders here
 * return) into the policy-document shape {@link parsePolicyDocument} reads.
 * Proto semantics the document form lacks are made explicit: an absent
 * `enabled` is false, and an extension's bytes `config` holding JSON is
 * parsed back (other bytes stay base64).
 */
export function policyDocumentOf(p: PolicyObject): Record<string, unknown> {
  const doc: Record<string, unknown> = { ...p };
  // proto3: a bool that is false is not on the wire.
  if (doc.enabled === undefined || doc.enabled === null) doc.enabled = false;
  if (Array.isArray(doc.extensions)) {
    doc.extensions = doc.extensions.map((e) => {
      if (e === null || typeof e !== 'object') return e;
      const ext = { ...(e as Record<string, unknown>) };
      const mode = ext.mode;
      if (typeof mode === 'string') {
        const short = mode.startsWith(EXTENSION_MODE_PREFIX) ? mode.slice(EXTENSION_MODE_PREFIX.length).toLowerCase() : mode.toLowerCase();
        ext.mode = short === 'unspecified' ? 'matched' : short;
      } else if (mode === undefined) ext.mode = 'matched';
      if (typeof ext.config === 'string') ext.config = decodeExtensionConfig(ext.config);
      return ext;
    });
  }
  return doc;
}

function decodeExtensionConfig(b64: string): unknown {
  if (b64 === '') return undefined;
  try {
    return JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
  } catch {
    return b64;
  }
}

/**
 * The policies of a decoded SyncResponse as our parsed policy set. Invalid
 * pieces are kept (as {@link parsePolicyDocument} does) so that compiling
 * reports them.
 */
export function policySetFromSyncResponse(res: SyncResponseObject, source = 'sync response'): PolicySet {
  const policies = Array.isArray(res.policies) ? res.policies : [];
  return parsePolicyDocument({ policies: policies.map(policyDocumentOf) }, source);
}

// ---------------------------------------------------------------------------
// Our model -> wire

const FIELD_ENUM_PREFIX: Record<Signal, string> = { log: 'LOG_FIELD_', metric: 'METRIC_FIELD_', trace: 'TRACE_FIELD_' };

const ENUM_SELECTOR_PREFIX: Record<string, string> = {
  metric_type: 'METRIC_TYPE_',
  aggregation_temporality: 'AGGREGATION_TEMPORALITY_',
  span_kind: 'SPAN_KIND_',
  span_status: 'SPAN_STATUS_CODE_',
};

const SELECTOR_KEYS: Record<Signal, readonly string[]> = {
  log: ['log_field', 'log_attribute', 'resource_attribute', 'scope_attribute'],
  metric: ['metric_field', 'datapoint_attribute', 'resource_attribute', 'scope_attribute', 'metric_type', 'aggregation_temporality'],
  trace: ['trace_field', 'span_attribute', 'resource_attribute', 'scope_attribute', 'span_kind', 'span_status', 'event_name', 'event_attribute', 'link_trace_id'],
};

/** An enum value that names nothing (proto3 enums are open): the receiver reports it as unknown. */
const UNKNOWN_ENUM = 0x7fffffff;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Write a field selector into a message object. Returns false when the
 * selector cannot be expressed in the schema (the message is then left
 * without one, which the receiver reports as an error).
 */
function putSelector(out: Record<string, unknown>, sel: FieldSelector | undefined, signal: Signal, prefix = ''): boolean {
  if (sel === undefined) return true;
  const key = (snake: string) => snakeToCamel(prefix + snake);
  switch (sel.kind) {
    case 'field':
      out[key(`${signal}_field`)] = FIELD_ENUM_PREFIX[signal] + sel.field.toUpperCase();
      return true;
    case 'log_attribute':
    case 'span_attribute':
    case 'datapoint_attribute':
    case 'resource_attribute':
    case 'scope_attribute':
    case 'event_attribute':
      if (!SELECTOR_KEYS[signal].includes(sel.kind)) return false;
      out[key(sel.kind)] = { path: [...sel.path] };
      return true;
    case 'metric_type':
    case 'aggregation_temporality':
    case 'span_kind':
    case 'span_status': {
      if (!SELECTOR_KEYS[signal].includes(sel.kind)) return false;
      // The proto calls "status not set" SPAN_STATUS_CODE_UNSPECIFIED (0).
      const short = sel.kind === 'span_status' && sel.value === 'unset' ? 'UNSPECIFIED' : sel.value.toUpperCase();
      out[key(sel.kind)] = ENUM_SELECTOR_PREFIX[sel.kind] + short;
      return true;
    }
    case 'event_name':
      if (signal !== 'trace') return false;
      out[key('event_name')] = sel.name;
      return true;
    case 'link_trace_id':
      if (signal !== 'trace') return false;
      out[key('link_trace_id')] = sel.hex;
      return true;
    case 'invalid': {
      // "<selector> is unspecified": the proto can say that (enum value 0), and the receiver reports the same error.
      const m = /^([a-z_]+) is unspecified$/.exec(sel.reason);
      if (m && SELECTOR_KEYS[signal].includes(m[1]) && (m[1].endsWith('_field') || m[1] in ENUM_SELECTOR_PREFIX)) {
        out[key(m[1])] = 0;
        return true;
      }
      return false;
    }
  }
}

function int64String(v: bigint): string | undefined {
  return v >= INT64_MIN && v <= INT64_MAX ? v.toString() : undefined;
}

/** Decode base64 (standard or URL-safe) exactly as the engine accepts it, or undefined. */
function decodeBase64(b64: string): Buffer | undefined {
  const s = b64.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  try {
    const bin = atob(s.length % 4 === 0 ? s : s + '='.repeat(4 - (s.length % 4)));
    return Buffer.from(bin, 'latin1');
  } catch {
    return undefined;
  }
}

function valueToProto(v: ValueLiteral): Record<string, unknown> {
  switch (v.type) {
    case 'string':
      return { stringValue: v.value };
    case 'bool':
      return { boolValue: v.value };
    case 'int': {
      const s = int64String(v.value);
      return s === undefined ? {} : { intValue: s };
    }
    case 'double':
      return { doubleValue: v.value };
    case 'bytes': {
      // Bytes that are not base64 cannot travel; an unset Value is reported by the receiver instead.
      const bytes = decodeBase64(v.base64);
      return bytes === undefined ? {} : { bytesValue: bytes.toString('base64') };
    }
    case 'hex':
      return { hexValue: v.hex };
    case 'unset':
      return {};
  }
}

function numericToProto(v: NumericLiteral): Record<string, unknown> {
  switch (v.type) {
    case 'int': {
      const s = int64String(v.value);
      return s === undefined ? {} : { intValue: s };
    }
    case 'double':
      return { doubleValue: v.value };
    case 'unset':
      return {};
  }
}

/** Write a match condition; an invalid one is left out (the receiver reports "no match condition"). */
function putCondition(out: Record<string, unknown>, cond: MatchCondition | undefined): void {
  if (cond === undefined || cond.kind === 'invalid') return;
  switch (cond.kind) {
    case 'exact':
    case 'regex':
    case 'starts_with':
    case 'ends_with':
    case 'contains':
      out[snakeToCamel(cond.kind)] = cond.value;
      return;
    case 'exists':
      out.exists = cond.value;
      return;
    case 'equals':
      out.equals = valueToProto(cond.value);
      return;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      out[cond.kind] = numericToProto(cond.value);
      return;
  }
}

function matcherToProto(m: Matcher, signal: Signal): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  putSelector(out, m.field, signal);
  putCondition(out, m.match);
  if (m.negate) out.negate = true;
  if (m.caseInsensitive) out.caseInsensitive = true;
  return out;
}

/** A field selector of a transform or sample key; one that cannot travel becomes an empty attribute path (an error the receiver reports at the same place). */
function selectorObject(sel: FieldSelector | undefined, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!putSelector(out, sel, 'log', prefix)) out[snakeToCamel(`${prefix}log_attribute`)] = { path: [] };
  return out;
}

function logTargetToProto(t: LogTarget): Record<string, unknown> {
  const out: Record<string, unknown> = { match: t.match.map((m) => matcherToProto(m, 'log')), keep: t.keep };
  if (t.sampleKey !== undefined) out.sampleKey = selectorObject(t.sampleKey);
  if (t.transform !== undefined) {
    out.transform = {
      remove: t.transform.remove.map((r) => selectorObject(r.field)),
      redact: t.transform.redact.map((r) => ({
        ...selectorObject(r.field),
        replacement: r.replacement,
        ...(r.regex === undefined ? {} : { regex: r.regex }),
      })),
      rename: t.transform.rename.map((r) => ({ ...selectorObject(r.from, 'from_'), to: r.to, upsert: r.upsert })),
      add: t.transform.add.map((a) => ({ ...selectorObject(a.field), value: a.value, upsert: a.upsert })),
    };
  }
  return out;
}

function metricTargetToProto(t: MetricTarget): Record<string, unknown> {
  return { match: t.match.map((m) => matcherToProto(m, 'metric')), keep: t.keep };
}

const SAMPLING_MODES = ['unspecified', 'hash_seed', 'proportional', 'equalizing'];

/** As the engine resolves a sampling mode: the short name or the proto name, any case. */
function samplingModeToProto(mode: string): string | number {
  let upper = mode.trim().toUpperCase();
  if (upper.startsWith('SAMPLING_MODE_')) upper = upper.slice('SAMPLING_MODE_'.length);
  return SAMPLING_MODES.includes(upper.toLowerCase()) ? `SAMPLING_MODE_${upper}` : UNKNOWN_ENUM;
}

const isUint32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

function samplingToProto(k: TraceSamplingConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { percentage: k.percentage };
  // A value a uint32 cannot hold would silently change meaning on the wire;
  // an invalid percentage keeps the policy inert (and reported) instead.
  let unrepresentable = false;
  if (k.mode !== undefined) out.mode = samplingModeToProto(k.mode);
  if (k.samplingPrecision !== undefined) {
    const p = k.samplingPrecision;
    // The engine caps precision at 14, so any larger integer means the same.
    if (Number.isInteger(p) && p > 0xffffffff) out.samplingPrecision = 0xffffffff;
    else if (isUint32(p)) out.samplingPrecision = p;
    else unrepresentable = true;
  }
  if (k.hashSeed !== undefined) {
    if (isUint32(k.hashSeed)) out.hashSeed = k.hashSeed;
    else unrepresentable = true;
  }
  if (k.failClosed !== undefined) out.failClosed = k.failClosed;
  if (unrepresentable) out.percentage = Number.NaN;
  return out;
}

function traceTargetToProto(t: TraceTarget): Record<string, unknown> {
  const out: Record<string, unknown> = { match: t.match.map((m) => matcherToProto(m, 'trace')) };
  if (t.keep !== undefined) out.keep = samplingToProto(t.keep);
  return out;
}

/** JSON.stringify replacer for YAML's big integers. */
const jsonSafe = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v);

const EXTENSION_MODES = ['unspecified', 'kept', 'dropped', 'unmatched', 'matched', 'all'];

/**
 * Build a `tero.policy.v1.Policy` (object form, for `Policy.fromObject` and
 * the encoders here) from one of our parsed policies. Authoring shorthands
 * are already resolved by parsing; what the proto cannot express is written
 * so that the receiving engine still finds the policy invalid (and reports
 * it): an invalid regex or keep string travels as is, an unusable field
 * selector or match condition is left out, and a policy whose structure was
 * broken (no target, several targets) travels without a target.
 */
export function policyToProto(p: Policy): PolicyObject {
  const out: PolicyObject = {
    id: p.problems.includes('policy has no id') ? '' : p.id,
    name: p.name,
    description: p.description,
    enabled: p.enabled,
  };
  const broken = p.problems.some((x) => x !== 'policy has no id');
  if (!broken) {
    if (p.log) out.log = logTargetToProto(p.log);
    else if (p.metric) out.metric = metricTargetToProto(p.metric);
    else if (p.trace) out.trace = traceTargetToProto(p.trace);
  }
  if (p.extensions.length > 0) {
    out.extensions = p.extensions.map((e) => {
      const mode = e.mode
        .trim()
        .toLowerCase()
        .replace(/^extension_mode_/, '');
      const ext: Record<string, unknown> = {
        type: e.type,
        version: e.version,
        mode: EXTENSION_MODES.includes(mode) ? `EXTENSION_MODE_${mode.toUpperCase()}` : UNKNOWN_ENUM,
      };
      if (e.config !== undefined) ext.config = Buffer.from(JSON.stringify(e.config, jsonSafe), 'utf8').toString('base64');
      return ext;
    });
  }
  return out;
}

/** {@link policyToProto} over a set. */
export function policySetToProto(set: PolicySet): PolicyObject[] {
  return set.policies.map(policyToProto);
}
