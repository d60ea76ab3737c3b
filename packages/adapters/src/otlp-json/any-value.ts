import { TypedValue, ValueKind } from '@otel-policy/core';
import type { AnyValue, KeyValue } from './types.js';
import type { AttributeReads } from '../shared/attribute-reads.js';

/** Find the key/value at an attribute path; nested segments go through kvlists. */
export function findAttribute(attrs: KeyValue[] | undefined, path: readonly string[]): KeyValue | undefined {
  let list = attrs;
  for (let i = 0; i < path.length; i++) {
    if (list === undefined) return undefined;
    const key = path[i];
    let found: KeyValue | undefined;
    for (let j = 0; j < list.length; j++) {
      if (list[j].key === key) {
        found = list[j];
        break;
      }
    }
    if (found === undefined) return undefined;
    if (i === path.length - 1) return found;
    const kv = found.value?.kvlistValue;
    if (kv === undefined || kv === null) return undefined;
    list = kv.values ?? [];
  }
  return undefined;
}

/** A non-empty string value, else undefined. */
export function anyValueString(v: AnyValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = v.stringValue;
  return typeof s === 'string' && s !== '' ? s : undefined;
}

const base64Hex = (b64: string): string => {
  let hex = '';
  const bin = atob(b64);
  for (let i = 0; i < bin.length; i++) hex += bin.charCodeAt(i).toString(16).padStart(2, '0');
  return hex;
};

/** Write an AnyValue's type and value into a slot. */
export function readAnyValue(v: AnyValue | undefined, out: TypedValue): void {
  if (v === undefined || v === null) return;
  if (v.stringValue !== undefined) out.setString(v.stringValue);
  else if (v.boolValue !== undefined) out.setBool(v.boolValue);
  else if (v.intValue !== undefined) out.setInt(v.intValue);
  else if (v.doubleValue !== undefined) {
    const d = v.doubleValue;
    out.setDouble(typeof d === 'number' ? d : Number(d));
  } else if (v.bytesValue !== undefined) {
    try {
      out.setBytesHex(base64Hex(v.bytesValue));
    } catch {
      out.setKind(ValueKind.None);
    }
  } else if (v.kvlistValue !== undefined) out.setKind(ValueKind.KvList);
  else if (v.arrayValue !== undefined) out.setKind(ValueKind.Array);
}

/** True when an AnyValue holds something (a body "exists"): a non-empty string or any other type. */
export function anyValuePresent(v: AnyValue | undefined): boolean {
  if (v === undefined || v === null) return false;
  if (v.stringValue !== undefined) return v.stringValue !== '';
  return v.boolValue !== undefined || v.intValue !== undefined || v.doubleValue !== undefined || v.bytesValue !== undefined || v.kvlistValue !== undefined || v.arrayValue !== undefined;
}

/**
 * Set a string attribute at a path: update in place, or append; nested
 * segments create kvlists where missing. Returns false when an intermediate
 * value exists and is not a kvlist.
 */
export function setAttribute(attrs: KeyValue[], path: readonly string[], value: string): boolean {
  let list = attrs;
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    let found = list.find((kv) => kv.key === key);
    if (i === path.length - 1) {
      if (found) found.value = { stringValue: value };
      else list.push({ key, value: { stringValue: value } });
      return true;
    }
    if (!found) {
      found = { key, value: { kvlistValue: { values: [] } } };
      list.push(found);
    }
    const kv = found.value?.kvlistValue;
    if (!kv) return false;
    kv.values ??= [];
    list = kv.values;
  }
  return false;
}

/** Remove the attribute at a path; returns whether it existed. */
export function removeAttribute(attrs: KeyValue[] | undefined, path: readonly string[]): boolean {
  const parent = path.length === 1 ? attrs : findAttribute(attrs, path.slice(0, -1))?.value?.kvlistValue?.values;
  if (!parent) return false;
  const key = path[path.length - 1];
  const i = parent.findIndex((kv) => kv.key === key);
  if (i < 0) return false;
  parent.splice(i, 1);
  return true;
}

/**
 * Move the value at `from` to the top-level key `to` of the same list: an
 * existing `to` is updated in place, else appended; `from` is removed.
 */
export function renameAttribute(attrs: KeyValue[], from: readonly string[], to: string): void {
  const src = findAttribute(attrs, from);
  if (!src) return;
  const value = src.value;
  removeAttribute(attrs, from);
  const existing = attrs.find((kv) => kv.key === to);
  if (existing) existing.value = value;
  else attrs.push(value === undefined ? { key: to } : { key: to, value });
}

/** Attribute reads over OTLP/JSON `KeyValue` lists (see {@link AttributeReads}). */
export const keyValueReads: AttributeReads<KeyValue[], AnyValue> = {
  value: (attrs, path) => findAttribute(attrs, path)?.value,
  has: (attrs, path) => findAttribute(attrs, path) !== undefined,
  string: anyValueString,
  typed: readAnyValue,
  present: anyValuePresent,
};
