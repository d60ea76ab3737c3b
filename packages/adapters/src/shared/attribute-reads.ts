import { RefKind, type FieldRef, type Matchable, type TypedValue } from '@otel-policy/core';

/**
 * How one representation stores attributes and values, for reading: OTLP/JSON
 * `KeyValue` lists of `AnyValue`s, or the SDK's attribute maps of plain
 * values. Each adapter family supplies one; the reads of each record shape
 * (log-reads, span-reads, data-point-reads) are written once on top of it.
 */
export interface AttributeReads<A, V> {
  /** The value at `path` (nested through maps), or undefined. */
  value(attrs: A | undefined, path: readonly string[]): V | undefined;
  /** Whether `path` names a present key (its value may be empty). */
  has(attrs: A | undefined, path: readonly string[]): boolean;
  /** A value as string matchers see it (undefined when empty or not a scalar). */
  string(value: V | undefined): string | undefined;
  /** A value into the typed slot of `equals` and the numeric comparisons. */
  typed(value: V | undefined, out: TypedValue): void;
  /** Whether a value is there at all (set, and not an empty `AnyValue`). */
  present(value: V | undefined): boolean;
}

/** The read half of an accessor, as the record-shape reads build it. */
export type RecordReads<C> = Pick<Matchable<C>, 'getString' | 'getTyped' | 'exists' | 'elementCount'>;

/** A string-valued field into the typed slot: identifiers as bytes, the rest as strings. */
export function stringInto(s: string | undefined, ref: FieldRef, out: TypedValue): void {
  if (s === undefined) return;
  if (ref.bytes) out.setBytesHex(s);
  else out.setString(s);
}

/** Where a record shape keeps attributes: on the record, its resource and its scope. */
export interface AttributeLevels<C, A> {
  recordAttributes(c: C): A | undefined;
  resourceAttributes(c: C): A | undefined;
  scopeAttributes(c: C): A | undefined;
}

/** Whether a reference names an attribute of the record, its resource or its scope. */
export const isLevelAttribute = (kind: number): boolean => kind === RefKind.RecordAttribute || kind === RefKind.ResourceAttribute || kind === RefKind.ScopeAttribute;

/** The attribute list an attribute reference (`RefKind.*Attribute`) names, or undefined for any other reference. */
export function attributesAt<C, A>(levels: AttributeLevels<C, A>, c: C, kind: number): A | undefined {
  switch (kind) {
    case RefKind.RecordAttribute:
      return levels.recordAttributes(c);
    case RefKind.ResourceAttribute:
      return levels.resourceAttributes(c);
    case RefKind.ScopeAttribute:
      return levels.scopeAttributes(c);
    default:
      return undefined;
  }
}

/** A string field as matchers see it: a non-empty string, else absent. */
export const nonEmpty = (v: string | undefined | null): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
