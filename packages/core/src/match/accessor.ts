import type { FieldRef } from './field-ref.js';

/** The type of a value read from a record. */
export const ValueKind = {
  None: 0,
  String: 1,
  Bool: 2,
  Int: 3,
  Double: 4,
  /** Raw bytes, carried as lowercase hex in `TypedValue.str`. */
  Bytes: 5,
  KvList: 6,
  Array: 7,
} as const;
export type ValueKind = (typeof ValueKind)[keyof typeof ValueKind];

/**
 * A reusable slot an accessor writes one typed value into, so that reading a
 * value allocates nothing. Only the members of the current `kind` are meaningful.
 */
export class TypedValue {
  kind: ValueKind = ValueKind.None;
  /** String value, or lowercase hex for Bytes. */
  str = '';
  /** Int (as a double, exact within 2^53) or Double value. */
  num = 0;
  /** Exact Int value when it is outside the safe-integer range, else null. */
  big: bigint | null = null;
  bool = false;

  /** Reset to "no value". */
  clear(): this {
    this.kind = ValueKind.None;
    this.big = null;
    return this;
  }
  setString(s: string): void {
    this.kind = ValueKind.String;
    this.str = s;
  }
  setBool(b: boolean): void {
    this.kind = ValueKind.Bool;
    this.bool = b;
  }
  /** Set an int64 given as a number, bigint or decimal string (proto JSON). */
  setInt(v: number | bigint | string): void {
    this.kind = ValueKind.Int;
    if (typeof v === 'number') {
      this.num = v;
      this.big = Number.isSafeInteger(v) ? null : BigInt(Math.trunc(v));
    } else if (typeof v === 'bigint') {
      this.num = Number(v);
      this.big = Number.isSafeInteger(this.num) ? null : v;
    } else {
      const n = Number(v);
      this.num = n;
      this.big = Number.isSafeInteger(n) ? null : safeBigInt(v);
    }
  }
  setDouble(d: number): void {
    this.kind = ValueKind.Double;
    this.num = d;
  }
  /** Set a bytes value from its lowercase hex rendering. */
  setBytesHex(hex: string): void {
    this.kind = ValueKind.Bytes;
    this.str = hex;
  }
  setKind(kind: ValueKind): void {
    this.kind = kind;
  }
}

function safeBigInt(s: string): bigint | null {
  try {
    return BigInt(s.trim());
  } catch {
    return null;
  }
}

/**
 * Read access to one kind of record, as the engine needs it. Adapters
 * implement it per record representation (OTLP JSON, protobuf, SDK objects).
 *
 * `element` selects one value of a multi-valued reference (`ref.multi`, span
 * event attributes); it is 0 otherwise.
 */
export interface Matchable<R> {
  /**
   * The value as a string for the string matchers: a non-empty string value,
   * or lowercase hex for byte-typed identifiers (`ref.bytes`); undefined when
   * the value is absent, empty, all-zero (identifiers) or not a string.
   */
  getString(record: R, ref: FieldRef, element: number): string | undefined;
  /** Write the typed value into `out` (kind None when absent). */
  getTyped(record: R, ref: FieldRef, out: TypedValue, element: number): void;
  /**
   * Whether the value exists: a well-known field when set and non-empty (an
   * all-zero identifier does not exist); an attribute when its key is present
   * whatever its value, through kvlists for nested paths.
   */
  exists(record: R, ref: FieldRef, element: number): boolean;
  /** How many values a multi-valued reference has on this record (span events). */
  elementCount(record: R, ref: FieldRef): number;
}

/**
 * Write access for transforms (logs) and sampling thresholds (spans). Writes
 * to resource or scope attributes follow the representation's sharing: in
 * OTLP they affect every record of that resource or scope.
 */
export interface Transformable<R> extends Matchable<R> {
  /** Remove the value; returns whether it existed. */
  remove(record: R, ref: FieldRef): boolean;
  /** Set a string value: an existing attribute is updated in place, a new one appended. */
  set(record: R, ref: FieldRef, value: string): void;
  /**
   * Move an attribute's value to the key `to` at the top level of the same
   * scope, removing the old key; an existing `to` is updated in place, else
   * it is appended. Callers check existence and upsert rules first.
   */
  rename(record: R, from: FieldRef, to: string): void;
}
