/**
 * Reading one record through an accessor, every way the engine reads it:
 * for the tests that show two representations of the same record read
 * alike (the adapter families, and protobuf read in place against decoded).
 */
import { RefKind, TypedValue, type FieldRef, type Matchable } from '@otel-policy/core';

/** A field reference as the compiler makes them. */
export function ref(kind: number, opts: { code?: number; path?: string[]; name?: string; bytes?: boolean } = {}): FieldRef {
  const r = { kind, code: opts.code ?? 0, path: opts.path ?? [], name: opts.name ?? '', bytes: opts.bytes ?? false, multi: kind === RefKind.EventAttribute };
  return { ...r, key: JSON.stringify(r) } as FieldRef;
}

/** Everything an accessor says about one reference, for element 0 and 1. */
export function reading<R>(acc: Matchable<R>, record: R, f: FieldRef): unknown {
  const out: unknown[] = [acc.elementCount(record, f)];
  for (const element of [0, 1]) {
    const t = new TypedValue();
    acc.getTyped(record, f, t, element);
    out.push(acc.getString(record, f, element), acc.exists(record, f, element), t.kind, [t.str, t.num, String(t.big), t.bool]);
  }
  return out;
}
