/**
 * The sync protocol in proto3 JSON without a schema, for the browser entry:
 * protobufjs and the .proto files (which @otel-policy/proto reads from disk)
 * stay out of a page's bundle.
 *
 * Requests need no schema: the sync loop builds them in their proto3 JSON
 * form already (lowerCamelCase names, int64 counters as numbers, the
 * timestamp as a decimal string, enums by name), so `JSON.stringify` is the
 * encoding. Responses are parsed, their keys put in lowerCamelCase (servers
 * may send the proto names), and their top level checked: the policies go on
 * to the core's policy parser (through policyDocumentOf), which reads
 * either spelling of every field, enums by name or number and int64 values
 * as strings or numbers, and keeps what it cannot read as a problem of that
 * one policy. The tests hold
 * this decoder to the schema decoder's results on every conformance case.
 *
 * Where the two differ (input outside the schema): the schema decoder (codec.ts)
 * also checks the type of every field of every nested message, so a
 * malformed value deep in a policy fails the whole response there, where
 * here it is a problem of that policy (reported when the set is compiled,
 * the policy inert); and it coerces wrongly typed top-level scalars (a
 * numeric `hash`) where this one refuses them.
 */
import { camelKeys } from '@otel-policy/proto';
import type { HttpSyncCodec } from './http-exchange.js';
import { SyncDecodeError, type PolicyObject, type SyncRequestObject, type SyncResponseObject } from './messages.js';

/** A SyncRequest as proto3 JSON text. */
export function syncRequestToJson(request: SyncRequestObject): string {
  return JSON.stringify(request);
}

/**
 * A proto3 JSON SyncResponse (text or UTF-8 bytes) in the plain-object form
 * the sync loop reads: keys in lowerCamelCase, unknown top-level fields
 * dropped, `syncType` by name when the number is known.
 * @throws SyncDecodeError when the body is not JSON, not an object, or a
 * top-level field has the wrong type (`policies` not a list of objects, a
 * malformed timestamp, ...). The message says which field and why.
 */
export function syncResponseFromJson(body: string | Uint8Array): SyncResponseObject {
  let doc: unknown;
  try {
    // The BOM is kept (so JSON.parse refuses it), as the Node decoder does.
    doc = JSON.parse(typeof body === 'string' ? body : new TextDecoder('utf-8', { ignoreBOM: true }).decode(body));
  } catch (err) {
    throw fail((err as Error).message);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw fail('not an object');
  let camel: Record<string, unknown>;
  try {
    camel = camelKeys(doc) as Record<string, unknown>;
  } catch (err) {
    // A document nested deeper than the stack allows.
    throw fail((err as Error).message);
  }
  return checkResponse(camel);
}

/** Proto3 JSON requests, proto3 JSON answers (the Accept header says so). */
export const jsonCodec: HttpSyncCodec = {
  requestEncoding: 'json',
  responseEncodings: ['json'],
  encodeRequest: syncRequestToJson,
  decodeResponse: (body) => syncResponseFromJson(body),
};

const fail = (why: string) => new SyncDecodeError(`cannot decode SyncResponse (JSON): ${why}`);

/** How a JSON value reads in a message. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const SYNC_TYPES: readonly string[] = ['SYNC_TYPE_UNSPECIFIED', 'SYNC_TYPE_FULL'];
const UINT32_MAX = 2 ** 32 - 1;
const UINT64_MAX = 2n ** 64n - 1n;

/** The fields of a SyncResponse, checked (proto3 JSON: null is the field's absence). */
function checkResponse(doc: Record<string, unknown>): SyncResponseObject {
  const out: SyncResponseObject = {};
  const { policies, hash, syncTimestampUnixNano, recommendedSyncIntervalSeconds, syncType, errorMessage, extensionConfigs } = doc;
  // An empty list is left out, as the schema decoder does (proto3: it is the field's absence).
  if (policies !== undefined && policies !== null && nonEmpty(policies)) out.policies = objectList(policies, 'policies', 'a Policy') as PolicyObject[];
  if (hash !== undefined && hash !== null) out.hash = string(hash, 'hash');
  if (errorMessage !== undefined && errorMessage !== null) out.errorMessage = string(errorMessage, 'errorMessage');
  if (syncTimestampUnixNano !== undefined && syncTimestampUnixNano !== null) {
    const v = syncTimestampUnixNano;
    const n = typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : typeof v === 'string' && /^-?\d{1,20}$/.test(v) ? BigInt(v) : undefined;
    if (n === undefined || n < 0n || n > UINT64_MAX) throw fail(`syncTimestampUnixNano: expected an unsigned 64-bit integer (a decimal string or number), got ${preview(v)}`);
    out.syncTimestampUnixNano = String(n);
  }
  if (recommendedSyncIntervalSeconds !== undefined && recommendedSyncIntervalSeconds !== null) {
    const v = recommendedSyncIntervalSeconds;
    // proto3 JSON: a number or a string, exponent notation allowed, integral.
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?[\d.]+([eE][+-]?\d+)?$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > UINT32_MAX) throw fail(`recommendedSyncIntervalSeconds: expected an unsigned 32-bit integer, got ${preview(v)}`);
    out.recommendedSyncIntervalSeconds = n;
  }
  if (syncType !== undefined && syncType !== null) {
    if (typeof syncType === 'number' && Number.isInteger(syncType)) out.syncType = SYNC_TYPES[syncType] ?? syncType;
    else if (typeof syncType === 'string') out.syncType = syncType;
    else throw fail(`syncType: expected a SyncType name or number, got ${preview(syncType)}`);
  }
  if (extensionConfigs !== undefined && extensionConfigs !== null && nonEmpty(extensionConfigs)) out.extensionConfigs = objectList(extensionConfigs, 'extensionConfigs', 'an ExtensionConfig');
  return out;
}

const nonEmpty = (v: unknown): boolean => !Array.isArray(v) || v.length > 0;

function objectList(v: unknown, field: string, what: string): Record<string, unknown>[] {
  if (!Array.isArray(v)) throw fail(`${field}: expected a list, got ${kindOf(v)}`);
  const bad = v.findIndex((item) => !isObject(item));
  if (bad >= 0) throw fail(`${field}[${bad}]: expected an object (${what}), got ${kindOf(v[bad])}`);
  return v as Record<string, unknown>[];
}

function string(v: unknown, field: string): string {
  if (typeof v !== 'string') throw fail(`${field}: expected a string, got ${kindOf(v)}`);
  return v;
}

/** A value as a message shows it: JSON, at most 40 characters. */
const preview = (v: unknown): string => (JSON.stringify(v) ?? String(v)).slice(0, 40);
