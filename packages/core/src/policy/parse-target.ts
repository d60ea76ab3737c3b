/**
 * The three targets of a policy (log, metric, trace): what each keeps, the
 * trace sampling configuration and the log transforms.
 */
import type { LogAdd, LogRedact, LogRemove, LogRename, LogTarget, LogTransform, MetricTarget, TraceSamplingConfig, TraceTarget } from './types.js';
import { parseMatcher, parseSelector } from './parse-matcher.js';
import { SAMPLING_MODES, resolveEnum } from './enums.js';
import { get, has, isObj, list, notBool, toBool, toNumber, toStr, type Obj } from './raw.js';

export function parseLogTarget(raw: unknown, problems: string[]): LogTarget {
  if (!isObj(raw)) {
    problems.push('log: target must be an object');
    return { match: [], keep: 'all', sampleKey: undefined, transform: undefined };
  }
  const keepRaw = get(raw, 'keep');
  let keep: string;
  if (keepRaw === undefined || keepRaw === null) keep = 'all';
  else if (typeof keepRaw === 'string') keep = keepRaw;
  else if (typeof keepRaw === 'boolean') keep = keepRaw ? 'all' : 'none';
  else keep = typeof keepRaw === 'bigint' ? keepRaw.toString() : JSON.stringify(keepRaw);
  const sk = get(raw, 'sample_key');
  return {
    match: list(get(raw, 'match')).map((m) => parseMatcher(m, 'log')),
    keep,
    sampleKey: sk === undefined || sk === null ? undefined : parseSelector(isObj(sk) ? sk : {}, 'log'),
    transform: parseTransform(get(raw, 'transform'), problems),
  };
}

export function parseMetricTarget(raw: unknown, problems: string[]): MetricTarget {
  if (!isObj(raw)) {
    problems.push('metric: target must be an object');
    return { match: [], keep: true };
  }
  const keepRaw = get(raw, 'keep');
  let keep: boolean;
  // proto3: an absent bool is false, so a metric policy without keep drops.
  if (typeof keepRaw === 'boolean') keep = keepRaw;
  else if (typeof keepRaw === 'string') keep = !['none', 'false', '0%'].includes(keepRaw.trim().toLowerCase());
  else keep = false;
  return { match: list(get(raw, 'match')).map((m) => parseMatcher(m, 'metric')), keep };
}

export function parseTraceTarget(raw: unknown, problems: string[]): TraceTarget {
  if (!isObj(raw)) {
    problems.push('trace: target must be an object');
    return { match: [], keep: undefined };
  }
  return { match: list(get(raw, 'match')).map((m) => parseMatcher(m, 'trace')), keep: parseSamplingConfig(get(raw, 'keep')) };
}

function parseSamplingConfig(raw: unknown): TraceSamplingConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const base = { mode: undefined, samplingPrecision: undefined, hashSeed: undefined, failClosed: undefined };
  if (typeof raw === 'number' || typeof raw === 'bigint') return { ...base, percentage: Number(raw) };
  if (typeof raw === 'string') {
    const s = raw.trim().toLowerCase();
    if (s === 'all') return { ...base, percentage: 100 };
    if (s === 'none') return { ...base, percentage: 0 };
    const n = Number(s.endsWith('%') ? s.slice(0, -1) : s);
    return { ...base, percentage: s === '' ? Number.NaN : n };
  }
  if (!isObj(raw)) return { ...base, percentage: Number.NaN };
  const opt = (k: string) => (has(raw, k) ? (toNumber(get(raw, k)) ?? Number.NaN) : undefined);
  const mode = get(raw, 'mode');
  const failClosed = get(raw, 'fail_closed');
  return {
    percentage: toNumber(get(raw, 'percentage')) ?? (has(raw, 'percentage') ? Number.NaN : 0),
    mode: mode === undefined || mode === null ? undefined : typeof mode === 'string' ? mode : modeName(mode),
    samplingPrecision: opt('sampling_precision'),
    hashSeed: opt('hash_seed'),
    failClosed: typeof failClosed === 'boolean' ? failClosed : undefined,
  };
}

function parseTransform(raw: unknown, problems: string[]): LogTransform | undefined {
  if (!isObj(raw)) return undefined;
  const objs = (k: string) => list(get(raw, k)).map((x) => (isObj(x) ? x : {}));
  const upsert = (o: Obj, op: string, i: number): boolean => toBool(get(o, 'upsert'), false) ?? (problems.push(`log: transform: ${op}[${i}]: ${notBool('upsert', get(o, 'upsert'))}`), false);
  const remove: LogRemove[] = objs('remove').map((o) => ({ field: parseSelector(o, 'log') }));
  const redact: LogRedact[] = objs('redact').map((o) => {
    const regex = get(o, 'regex');
    const replacement = get(o, 'replacement');
    return {
      field: parseSelector(o, 'log'),
      // proto3 cannot tell an empty string from an unset one, so both mean the
      // spec's default; JSON and protobuf policies then behave the same.
      replacement: toStr(replacement) === '' ? '[REDACTED]' : toStr(replacement),
      regex: regex === undefined || regex === null ? undefined : toStr(regex),
    };
  });
  const rename: LogRename[] = objs('rename').map((o, i) => ({
    from: parseSelector(o, 'log', 'from_') ?? parseSelector(isObj(get(o, 'from')) ? (get(o, 'from') as Obj) : {}, 'log'),
    to: toStr(get(o, 'to')),
    upsert: upsert(o, 'rename', i),
  }));
  const add: LogAdd[] = objs('add').map((o, i) => ({
    field: parseSelector(o, 'log'),
    value: toStr(get(o, 'value')),
    upsert: upsert(o, 'add', i),
  }));
  return { remove, redact, rename, add };
}

/** A sampling mode given by number (proto3 JSON allows it) by its proto name, as a schema decoder names it; an unknown number stays as written, for the compiler to report. */
function modeName(mode: unknown): string {
  const short = resolveEnum(SAMPLING_MODES, mode);
  return short === undefined ? String(mode) : `${SAMPLING_MODES.prefix}${short.toUpperCase()}`;
}
