/**
 * The sync protocol's two encodings, binary protobuf and proto3 JSON, over
 * the schema of @otel-policy/proto: each message encoded and decoded in its
 * plain-object form, with proto3 JSON's rules that protobufjs leaves out.
 */
import protobuf from 'protobufjs';
import { camelKeys, syncSchema } from '@otel-policy/proto';
import { SyncDecodeError, type SyncRequestObject, type SyncResponseObject } from './messages.js';
import { checkBinaryLimits, checkJsonLimits, type DecodeLimits } from './decode-limits.js';
import type { SyncEncoding } from './encoding.js';

export { encodingOf, type SyncEncoding } from './encoding.js';
export { int64ToNumber, nowUnixNano } from './int64.js';

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

function toBinary(type: protobuf.Type, obj: object): Uint8Array {
  return type.encode(type.fromObject(obj as Record<string, unknown>)).finish();
}

function toJson(type: protobuf.Type, obj: object): string {
  return JSON.stringify(type.toObject(type.fromObject(obj as Record<string, unknown>), OBJECT_OPTIONS));
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
