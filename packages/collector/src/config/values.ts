/**
 * Validation helpers for the Collector-shaped config: every problem is
 * collected with the dotted path of the offending key, so one run reports all
 * of them (`exporters.otlphttp.sending_queue.queue_size: must be an integer >= 1`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Joins a path and a key. */
export const at = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

/** A configuration that cannot be used; `problems` lists every reason, each starting with its path. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /**
   * @param problems every reason, each starting with its path.
   * @param position where in the file, for a YAML syntax error (1-based line and column).
   */
  constructor(
    readonly problems: readonly string[],
    readonly position?: { line: number; col: number },
  ) {
    super(problems.length === 1 ? `invalid configuration: ${problems[0]}` : `invalid configuration (${problems.length} problems):\n  - ${problems.join('\n  - ')}`);
  }
}

/** Collects problems while reading a configuration. */
export class Checker {
  readonly problems: string[] = [];

  error(path: string, message: string): void {
    this.problems.push(path ? `${path}: ${message}` : message);
  }

  /** A file that must exist, its path resolved against `configDir` (the config file's directory). */
  file(v: unknown, where: string, configDir: string, opts: { required?: boolean } = {}): string | undefined {
    const s = this.string(v, where, { nonEmpty: true, required: opts.required });
    if (s === undefined) return undefined;
    const abs = path.resolve(configDir, s);
    if (!existsSync(abs)) this.error(where, `no such file: ${abs}`);
    return abs;
  }

  /**
   * A mapping with only the given keys. `null` (a YAML key with no value, as
   * in `grpc:`) reads as an empty mapping. Keys the Collector knows but this
   * service does not implement are rejected with their own message.
   */
  object(v: unknown, path: string, allowed: readonly string[], unsupported: readonly string[] = []): Obj | undefined {
    if (v === null || v === undefined) return {};
    if (!isObj(v)) {
      this.error(path, `must be a mapping, got ${describe(v)}`);
      return undefined;
    }
    for (const key of Object.keys(v)) {
      if (allowed.includes(key)) continue;
      if (unsupported.includes(key)) this.error(at(path, key), 'is a Collector setting this service does not support');
      else this.error(at(path, key), `unknown key (valid keys: ${allowed.join(', ') || 'none'})`);
    }
    return v;
  }

  string(v: unknown, path: string, opts: { required?: boolean; nonEmpty?: boolean } = {}): string | undefined {
    if (v === undefined || v === null) {
      if (opts.required) this.error(path, 'is required');
      return undefined;
    }
    if (typeof v === 'number' || typeof v === 'boolean') v = String(v);
    if (typeof v !== 'string') {
      this.error(path, `must be a string, got ${describe(v)}`);
      return undefined;
    }
    if ((opts.nonEmpty || opts.required) && v.trim() === '') {
      this.error(path, 'must not be empty');
      return undefined;
    }
    return v;
  }

  bool(v: unknown, path: string, dflt: boolean): boolean {
    if (v === undefined || v === null) return dflt;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    this.error(path, `must be true or false, got ${describe(v)}`);
    return dflt;
  }

  int(v: unknown, path: string, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (v === undefined || v === null) return dflt;
    const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      this.error(path, `must be an integer${max === Number.MAX_SAFE_INTEGER ? ` >= ${min}` : ` from ${min} to ${max}`}, got ${describe(v)}`);
      return dflt;
    }
    return n;
  }

  number(v: unknown, path: string, dflt: number, min: number, max: number): number {
    if (v === undefined || v === null) return dflt;
    const n = typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
      this.error(path, `must be a number from ${min} to ${max}, got ${describe(v)}`);
      return dflt;
    }
    return n;
  }

  oneOf<T extends string>(v: unknown, path: string, values: readonly T[], dflt: T): T {
    if (v === undefined || v === null) return dflt;
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    this.error(path, `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}, got ${describe(v)}`);
    return dflt;
  }

  /** A Go-style duration (`500ms`, `5s`, `1m30s`); 0 is allowed. Returns milliseconds. */
  duration(v: unknown, path: string, dfltMs: number): number {
    if (v === undefined || v === null) return dfltMs;
    if (v === 0 || v === '0') return 0;
    const ms = typeof v === 'string' ? parseDuration(v) : undefined;
    if (ms === undefined) {
      this.error(path, `must be a duration such as "500ms", "5s" or "1m30s", got ${describe(v)}`);
      return dfltMs;
    }
    // Node fires a timer with a longer delay at once: a timeout or interval of weeks would act as none.
    if (ms > MAX_TIMER_MS) {
      this.error(path, `must be at most 596h (the longest a timer can wait), got ${describe(v)}`);
      return dfltMs;
    }
    return ms;
  }

  /** A list of strings. */
  stringList(v: unknown, path: string): string[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.error(path, `must be a list, got ${describe(v)}`);
      return [];
    }
    const out: string[] = [];
    v.forEach((x, i) => {
      const s = this.string(x, at(path, i), { required: true });
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  /** A string-to-string mapping (headers). */
  stringMap(v: unknown, path: string): Record<string, string> {
    const out: Record<string, string> = {};
    if (v === undefined || v === null) return out;
    if (!isObj(v)) {
      this.error(path, `must be a mapping of names to values, got ${describe(v)}`);
      return out;
    }
    for (const [k, x] of Object.entries(v)) {
      const s = this.string(x, at(path, k));
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
}

/** A short description of a value for messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

/** The longest delay a Node timer can wait (2^31 - 1 ms, about 596 hours). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parse a Go duration string into milliseconds, or undefined. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== s.length) return undefined;
  return total;
}

/** A `host:port` listening address. */
export interface Endpoint {
  /** Host to bind ('' = every interface); `localhost` binds 127.0.0.1 as the Collector does. */
  host: string;
  port: number;
}

/** Parse `host:port`, `[v6]:port` or `:port`. */
export function parseEndpoint(text: string): Endpoint | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  let host = m[1] ?? m[2] ?? '';
  if (host === 'localhost') host = '127.0.0.1';
  return { host, port };
}

/** `host:port` for display and for connecting. */
export const formatEndpoint = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host || '0.0.0.0'}:${port}`);
export function endpoint(c: Checker, v: unknown, p: string, dflt: string): Endpoint {
  const text = c.string(v, p) ?? dflt;
  const e = parseEndpoint(text);
  if (!e) {
    c.error(p, `must be "host:port", got ${describe(text)}`);
    return { host: '127.0.0.1', port: 0 };
  }
  return e;
}

export const MiB = 1024 * 1024;
