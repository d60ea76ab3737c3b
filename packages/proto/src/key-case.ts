/**
 * proto3 JSON key spelling: parsers accept the proto field name
 * (`time_unix_nano`) as well as its lowerCamelCase JSON name
 * (`timeUnixNano`); protobufjs knows only the latter.
 */

/** The lowerCamelCase JSON name of a snake_case proto field name. */
export const snakeToCamel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * A copy of a parsed JSON document with every object key in lowerCamelCase
 * (for protos without map fields, whose keys are data). An explicit
 * lowerCamelCase spelling wins over the snake_case one; `__proto__` is
 * dropped (not a field of any message; assigning it would set the object's
 * prototype).
 */
export function camelKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camelKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) {
      if (k === '__proto__') continue;
      const ck = snakeToCamel(k);
      if (ck !== k && Object.prototype.hasOwnProperty.call(v, ck)) continue;
      out[ck] = camelKeys(child);
    }
    return out;
  }
  return v;
}
