/**
 * Helpers over OpenTelemetry JS SDK attribute maps: the plain objects the SDK
 * keeps on log records, spans, resources and instrumentation scopes.
 *
 * Values follow the SDK's `AnyValue`: string, number, boolean, `Uint8Array`,
 * arrays, nested plain objects (maps; log attributes only), `null` or
 * `undefined`. They read as OTLP would encode them (the OTLP exporter's
 * `toAnyValue`): an integral number is an Int, any other number a Double.
 *
 * Existence mirrors OTLP: an attribute exists when its key is an own property
 * of the map, whatever its value (even `undefined` or `''`); a nested path
 * walks through maps only.
 *
 * Order: JavaScript objects keep string keys in insertion order, so updating
 * an existing key leaves it in place and a new key is appended, as in OTLP.
 * The one exception is keys that look like array indices (`"0"`, `"42"`),
 * which objects always enumerate first in ascending numeric order.
 *
 * Writes never mutate a nested map that the caller did not create: nested
 * maps on a written path are copied first (copy-on-write), because they may
 * be shared with application code. Copies are tracked (see {@link isOwned})
 * so that one record's successive writes copy each map at most once.
 */
import { TypedValue, ValueKind } from '@otel-policy/core';
import type { AttributeReads } from '../shared/attribute-reads.js';

/** An SDK attribute map (`Attributes`, `LogAttributes`, a nested map value). */
export type AttributeMap = Record<string, unknown>;

const hasOwn = Object.prototype.hasOwnProperty;

/** True for a map value: a plain object, not an array, byte array, or null. */
export function isAttributeMap(v: unknown): v is AttributeMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

const owned = new WeakSet<object>();

/**
 * Whether the adapters created `o` on a record's behalf (a copy of a nested
 * map, resource or scope), so that it may be written in place. Membership
 * never keeps an object alive.
 */
export function isOwned(o: object): boolean {
  return owned.has(o);
}

/** Mark `o` as created on a record's behalf (see {@link isOwned}); returns `o`. */
export function markOwned<T extends object>(o: T): T {
  owned.add(o);
  return o;
}

/**
 * Give up ownership of the maps nested in `map` (recursively), so that the
 * next write copies them again instead of writing in place. Used before
 * snapshotting a record, so that a rollback can restore what it references.
 */
export function disownNested(map: AttributeMap | undefined): void {
  if (map === undefined) return;
  for (const key in map) {
    if (!hasOwn.call(map, key)) continue;
    const v = map[key];
    if (isAttributeMap(v) && owned.delete(v)) disownNested(v);
  }
}

/** Give up ownership of a resource or scope copy and of the maps nested in its attributes (see {@link disownNested}). */
export function disownHolder(holder: { readonly attributes?: AttributeMap }): void {
  if (owned.delete(holder)) disownNested(holder.attributes);
}

/**
 * The map that holds the last key of `path`, walking nested maps; undefined
 * when an intermediate key is missing or its value is not a map. The last
 * key itself need not exist.
 */
export function attributeParent(attrs: AttributeMap | undefined, path: readonly string[]): AttributeMap | undefined {
  let map = attrs;
  const last = path.length - 1;
  for (let i = 0; i < last; i++) {
    if (map === undefined || !hasOwn.call(map, path[i])) return undefined;
    const next = map[path[i]];
    if (!isAttributeMap(next)) return undefined;
    map = next;
  }
  return map;
}

/** Whether the attribute at `path` exists (its key is present, whatever the value). */
export function hasAttribute(attrs: AttributeMap | undefined, path: readonly string[]): boolean {
  if (path.length === 0) return false;
  const parent = attributeParent(attrs, path);
  return parent !== undefined && hasOwn.call(parent, path[path.length - 1]);
}

/** The value at `path`, or undefined when absent (or present with an undefined value). */
export function attributeValue(attrs: AttributeMap | undefined, path: readonly string[]): unknown {
  if (path.length === 0) return undefined;
  const parent = attributeParent(attrs, path);
  const key = path[path.length - 1];
  return parent !== undefined && hasOwn.call(parent, key) ? parent[key] : undefined;
}

/** The value at `path` when it is a non-empty string (the string matchers' view). */
export function attributeString(attrs: AttributeMap | undefined, path: readonly string[]): string | undefined {
  const v = attributeValue(attrs, path);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A non-empty string value, else undefined. */
export function valueString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of a byte array. */
export function bytesToHex(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] & 0xff];
  return s;
}

/**
 * Write an SDK value's type and value into a slot, as OTLP would encode it:
 * integral numbers are Int, other numbers Double, byte arrays Bytes (hex),
 * arrays Array, maps KvList; null and undefined leave the slot empty.
 */
export function readValue(v: unknown, out: TypedValue): void {
  switch (typeof v) {
    case 'string':
      out.setString(v);
      return;
    case 'number':
      if (Number.isInteger(v)) out.setInt(v);
      else out.setDouble(v);
      return;
    case 'boolean':
      out.setBool(v);
      return;
    case 'bigint':
      out.setInt(v);
      return;
    case 'object':
      if (v === null) return;
      if (Array.isArray(v)) out.setKind(ValueKind.Array);
      else if (v instanceof Uint8Array) out.setBytesHex(bytesToHex(v));
      else if (!ArrayBuffer.isView(v)) out.setKind(ValueKind.KvList);
      return;
    default:
      return;
  }
}

/**
 * True when a value "exists" as a well-known field (a log body): a non-empty
 * string, or any other non-null value.
 */
export function valuePresent(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  return typeof v !== 'string' || v !== '';
}

/** Attribute reads over SDK attribute maps (see {@link AttributeReads}). */
export const attributeMapReads: AttributeReads<AttributeMap, unknown> = {
  value: attributeValue,
  has: hasAttribute,
  string: valueString,
  typed: readValue,
  present: valuePresent,
};

/**
 * Return `map[key]` as a map this module may write in place: an owned map as
 * is, a foreign map copied (keeping its key order) and stored back under
 * `key` (in place), a missing key created as an empty map (appended).
 * Undefined when the existing value is not a map.
 */
function ownedChild(map: AttributeMap, key: string): AttributeMap | undefined {
  if (!hasOwn.call(map, key)) {
    const created = markOwned({} as AttributeMap);
    map[key] = created;
    return created;
  }
  const v = map[key];
  if (!isAttributeMap(v)) return undefined;
  if (isOwned(v)) return v;
  const copy = markOwned({ ...v });
  map[key] = copy;
  return copy;
}

/**
 * Set a string attribute at `path` in a map the caller owns: an existing key
 * is updated in place, a new key appended; missing nested maps are created,
 * foreign nested maps copied. Returns false (and changes nothing) when an
 * intermediate value exists and is not a map.
 */
export function setAttribute(attrs: AttributeMap, path: readonly string[], value: unknown): boolean {
  if (path.length === 0) return false;
  // Check first, so that a failing write leaves no copies or new maps behind.
  let probe: unknown = attrs;
  for (let i = 0; i < path.length - 1; i++) {
    const m = probe as AttributeMap;
    if (!hasOwn.call(m, path[i])) break;
    probe = m[path[i]];
    if (!isAttributeMap(probe)) return false;
  }
  let map = attrs;
  for (let i = 0; i < path.length - 1; i++) map = ownedChild(map, path[i])!;
  map[path[path.length - 1]] = value;
  return true;
}

/**
 * Remove the attribute at `path` from a map the caller owns (nested maps on
 * the path are copied first); returns whether it existed.
 */
export function removeAttribute(attrs: AttributeMap, path: readonly string[]): boolean {
  if (!hasAttribute(attrs, path)) return false;
  let map = attrs;
  for (let i = 0; i < path.length - 1; i++) map = ownedChild(map, path[i])!;
  delete map[path[path.length - 1]];
  return true;
}

/**
 * Move the value at `from` to the top-level key `to` of the same map (which
 * the caller owns): `from` is removed, an existing `to` updated in place,
 * else `to` is appended. No-op when `from` does not exist.
 */
export function renameAttribute(attrs: AttributeMap, from: readonly string[], to: string): void {
  if (!hasAttribute(attrs, from)) return;
  const value = attributeValue(attrs, from);
  removeAttribute(attrs, from);
  attrs[to] = value;
}

/**
 * Assign `obj[key] = value` even when `key` is a getter-only or read-only
 * property (then an own data property shadows it). Used to give a record its
 * own copy of a shared resource or scope.
 */
export function replaceProperty(obj: object, key: PropertyKey, value: unknown): void {
  if (Reflect.set(obj, key, value)) return;
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** The parts of an SDK `Resource` the adapters read (`@opentelemetry/resources` 2.x). */
export interface ResourceLike {
  readonly attributes: AttributeMap;
  readonly schemaUrl?: string;
}

/**
 * The parts of an SDK `InstrumentationScope` the adapters read. Log scopes
 * carry `attributes` (sdk-logs 0.2xx); span scopes may not.
 */
export interface InstrumentationScopeLike {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
  readonly attributes?: AttributeMap;
}

/**
 * A record-private copy of a shared resource: an object whose prototype is
 * the original (so methods, getters and async-attribute state still work)
 * with its own shallow copy of the attributes. The original is not touched.
 * Note: if the resource's async attributes are still pending, the copy holds
 * the attributes settled so far.
 */
export function copyResource<R extends ResourceLike>(resource: R): R {
  const attributes: AttributeMap = { ...resource.attributes };
  const copy = Object.create(resource, {
    attributes: { value: attributes, writable: true, enumerable: true, configurable: true },
  }) as R;
  if (typeof (resource as { getRawAttributes?: unknown }).getRawAttributes === 'function') {
    // Resource.merge() reads the raw attributes: make it see the copy's.
    Object.defineProperty(copy, 'getRawAttributes', {
      value: () => Object.entries(copy.attributes),
      writable: true,
      configurable: true,
    });
  }
  return markOwned(copy);
}

/** A record-private copy of a shared instrumentation scope, with its own attribute map. */
export function copyScope<S extends InstrumentationScopeLike>(scope: S): S {
  return markOwned({ ...scope, attributes: { ...(scope.attributes ?? {}) } });
}

/**
 * Deep equality of two attribute maps, key order included (maps, arrays and
 * byte arrays compared by content, everything else with `Object.is`).
 */
export function sameAttributes(a: AttributeMap | undefined, b: AttributeMap | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i] || !sameValue(a[ka[i]], b[kb[i]])) return false;
  }
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Uint8Array) {
    if (!(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  return isAttributeMap(a) && isAttributeMap(b) && sameAttributes(a, b);
}
