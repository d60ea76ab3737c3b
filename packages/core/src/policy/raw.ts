/**
 * Readers for a policy document already turned into plain values (JSON or
 * YAML): fields under either their proto (snake_case) or JSON
 * (lowerCamelCase) names, and the lenient scalar conversions the spec's
 * examples rely on. Shared by the policy, target and matcher parsers.
 */
export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const camel = (snake: string): string => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Read a field under its proto (snake_case) or JSON (lowerCamelCase) name. */
export function get(o: Obj, snake: string): unknown {
  const v = o[snake];
  if (v !== undefined) return v;
  return o[camel(snake)];
}

export function has(o: Obj, snake: string): boolean {
  return get(o, snake) !== undefined && get(o, snake) !== null;
}

export const toNumber = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
};

/**
 * A boolean field: true or false (also as the strings "true"/"false" and
 * 1/0); `dflt` when absent. Undefined for anything else: YAML 1.2 reads
 * `no`, `off` or `yes` as strings, and taking any non-empty string as true
 * turned `negate: no` into negate. Callers report it (see {@link notBool}).
 */
export const toBool = (v: unknown, dflt: boolean): boolean | undefined => {
  if (typeof v === 'boolean') return v;
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number' || typeof v === 'bigint') {
    const n = Number(v);
    return n === 0 || n === 1 ? n === 1 : undefined;
  }
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'false' || s === '0' || s === '') return false;
    if (s === 'true' || s === '1') return true;
  }
  return undefined;
};

/** The problem with a value {@link toBool} refused. */
export const notBool = (key: string, v: unknown): string => `${key} must be true or false, got ${typeof v === 'string' ? JSON.stringify(v) : kindOf(v)}`;

export const toStr = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/** A value that may be one item or a list, as a list. */
export function list(raw: unknown): unknown[] {
  if (Array.isArray(raw)) return raw;
  if (raw === undefined || raw === null) return [];
  return [raw];
}

/** How a value reads in a message: "a string", "a list", "null". */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'bigint') return 'a number';
  return `a ${typeof v}`;
}
