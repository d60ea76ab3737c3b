import { ValueKind, type TypedValue } from '@otel-policy/core';
import type { AttributeReads } from '../shared/attribute-reads.js';
import { bytesEqual, double, find, found, hex, highBits, leading, LEN, next, position, skip, utf8, utf8Bytes, varint, varint64, VARINT } from './wire.js';

/**
 * A list of `KeyValue`s on the wire: the occurrences of `field` in the
 * message `[start, end)` of `bytes` (a record's attributes, a resource's, a
 * kvlist's). Cursors keep one per level and move it, so reads allocate nothing.
 */
export class WireAttributes {
  bytes: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  field = 0;
  /** Point at the list; `field` 0 means "no list". */
  set(bytes: Uint8Array, start: number, end: number, field: number): this {
    this.bytes = bytes;
    this.start = start;
    this.end = end;
    this.field = field;
    return this;
  }
}

// AnyValue fields (opentelemetry.proto.common.v1).
const STRING = 1;
const BOOL = 2;
const INT = 3;
const DOUBLE = 4;
const ARRAY = 5;
const KVLIST = 6;
const BYTES = 7;
// KeyValue and KeyValueList.
const KEY = 1;
const VALUE = 2;
const VALUES = 1;

/**
 * A value on the wire: the bytes and the AnyValue message's `[start, end)`.
 * Values are read from one record at a time, so one slot serves every read.
 */
export interface WireValue {
  bytes: Uint8Array;
  start: number;
  end: number;
}
const slot: WireValue = { bytes: new Uint8Array(0), start: 0, end: 0 };

/** Point the value slot at an AnyValue. */
export function wireValue(bytes: Uint8Array, start: number, end: number): WireValue {
  slot.bytes = bytes;
  slot.start = start;
  slot.end = end;
  return slot;
}

let kvStart = 0;
let kvEnd = 0;
/**
 * Find the first KeyValue whose key is `key` in the list `[start, end)`
 * (occurrences of `field`), as the OTLP/JSON reads find it; sets
 * `kvStart`/`kvEnd`. A KeyValue's own key is its last occurrence, as a
 * decoder keeps it.
 */
function findKey(b: Uint8Array, start: number, end: number, field: number, key: Uint8Array): boolean {
  let from = start;
  while (next(b, from, end, field)) {
    const s = found.start;
    const e = found.end;
    from = e;
    if ((leading(b, s, e, KEY) || find(b, s, e, KEY, LEN)) && bytesEqual(b, found.start, found.end, key)) {
      kvStart = s;
      kvEnd = e;
      return true;
    }
  }
  return false;
}

/** The KeyValue at `path` (nested through kvlists): sets `kvStart`/`kvEnd`. */
function findPath(attrs: WireAttributes | undefined, path: readonly string[]): boolean {
  if (attrs === undefined || attrs.field === 0) return false;
  const b = attrs.bytes;
  let start = attrs.start;
  let end = attrs.end;
  let field = attrs.field;
  for (let i = 0; i < path.length; i++) {
    if (!findKey(b, start, end, field, utf8Bytes(path[i]))) return false;
    if (i === path.length - 1) return true;
    // Descend: the value must be a kvlist.
    if (!find(b, kvStart, kvEnd, VALUE, LEN)) return false;
    if (!find(b, found.start, found.end, KVLIST, LEN)) return false;
    start = found.start;
    end = found.end;
    field = VALUES;
  }
  return false;
}

/** Which AnyValue fields are present: a bit per field number. */
function presentFields(b: Uint8Array, start: number, end: number): number {
  let bits = 0;
  let pos = start;
  while (pos < end) {
    const tag = varint(b, pos);
    pos = position();
    const f = tag >>> 3;
    if (f >= 1 && f <= 7) bits |= 1 << f;
    pos = skip(b, pos, tag & 7, end);
  }
  return bits;
}

/** The string value of an AnyValue (undefined when it holds none). */
function stringOf(v: WireValue): string | undefined {
  if (!leading(v.bytes, v.start, v.end, STRING) && !find(v.bytes, v.start, v.end, STRING, LEN)) return undefined;
  return utf8(v.bytes, found.start, found.end);
}

/**
 * Attribute reads over `KeyValue` lists on the wire, with the same answers
 * as the OTLP/JSON reads of the same bytes decoded: the first KeyValue with
 * a key, a present-but-empty string kept apart from a missing value, and the
 * AnyValue cases tried in the same order (string, bool, int, double, bytes,
 * kvlist, array).
 */
export const wireAttributeReads: AttributeReads<WireAttributes, WireValue> = {
  value(attrs, path) {
    if (!findPath(attrs, path)) return undefined;
    if (!find(attrs!.bytes, kvStart, kvEnd, VALUE, LEN)) return undefined;
    return wireValue(attrs!.bytes, found.start, found.end);
  },
  has: (attrs, path) => findPath(attrs, path),
  string(v) {
    if (v === undefined) return undefined;
    const s = stringOf(v);
    return s === '' ? undefined : s;
  },
  typed(v, out: TypedValue) {
    if (v === undefined) return;
    const b = v.bytes;
    const bits = presentFields(b, v.start, v.end);
    if (bits & (1 << STRING)) out.setString(stringOf(v) ?? '');
    else if (bits & (1 << BOOL)) {
      find(b, v.start, v.end, BOOL, VARINT);
      out.setBool(varint(b, found.start) !== 0);
    } else if (bits & (1 << INT)) {
      find(b, v.start, v.end, INT, VARINT);
      const low = varint64(b, found.start);
      const hi = highBits();
      if (hi < 0x200000) out.setInt(hi * 4294967296 + low);
      else out.setInt(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(low)));
    } else if (bits & (1 << DOUBLE)) {
      find(b, v.start, v.end, DOUBLE, 1);
      out.setDouble(double(b, found.start));
    } else if (bits & (1 << BYTES)) {
      find(b, v.start, v.end, BYTES, LEN);
      out.setBytesHex(hex(b, found.start, found.end));
    } else if (bits & (1 << KVLIST)) out.setKind(ValueKind.KvList);
    else if (bits & (1 << ARRAY)) out.setKind(ValueKind.Array);
  },
  present(v) {
    if (v === undefined) return false;
    const bits = presentFields(v.bytes, v.start, v.end);
    if (bits & (1 << STRING)) return stringOf(v) !== '';
    return bits !== 0;
  },
};
