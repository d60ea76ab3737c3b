/**
 * Matchers: which field a matcher, sample key or transform names (the field
 * selector), and the condition it tests, with the value literals of
 * `equals` and the numeric comparisons.
 */
import type { FieldSelector, MatchCondition, Matcher, NumericLiteral, Signal, ValueLiteral } from './types.js';
import { AGGREGATION_TEMPORALITIES, LOG_FIELDS, METRIC_FIELDS, METRIC_TYPES, SPAN_KINDS, SPAN_STATUSES, TRACE_FIELDS, resolveEnum, type EnumTable } from './enums.js';
import { get, has, isObj, notBool, toBool, toStr, type Obj } from './raw.js';

const SELECTOR_KEYS: Record<Signal, string[]> = {
  log: ['log_field', 'log_attribute', 'resource_attribute', 'scope_attribute'],
  metric: ['metric_field', 'datapoint_attribute', 'resource_attribute', 'scope_attribute', 'metric_type', 'aggregation_temporality'],
  trace: ['trace_field', 'span_attribute', 'resource_attribute', 'scope_attribute', 'span_kind', 'span_status', 'event_name', 'event_attribute', 'link_trace_id'],
};

const FIELD_TABLES: Record<Signal, EnumTable> = { log: LOG_FIELDS, metric: METRIC_FIELDS, trace: TRACE_FIELDS };

const ENUM_SELECTORS: Record<string, { table: EnumTable; what: string }> = {
  metric_type: { table: METRIC_TYPES, what: 'metric type' },
  aggregation_temporality: { table: AGGREGATION_TEMPORALITIES, what: 'aggregation temporality' },
  span_kind: { table: SPAN_KINDS, what: 'span kind' },
  span_status: { table: SPAN_STATUSES, what: 'span status' },
};

/** Parse an attribute path in any of its spellings. */
function parsePath(raw: unknown): FieldSelector | string[] {
  if (typeof raw === 'string') return [raw];
  if (isObj(raw)) return parsePath(raw.path ?? []);
  if (Array.isArray(raw)) {
    if (raw.every((s) => typeof s === 'string')) return raw as string[];
    return { kind: 'invalid', reason: 'attribute path must be a list of strings' };
  }
  return { kind: 'invalid', reason: 'attribute path must be a string, a list of strings or {path: [...]}' };
}

/**
 * Read the field selector of a matcher, sample key or transform. `prefix`
 * goes before each selector name (rename's source is `from_log_attribute`, ...).
 */
export function parseSelector(o: Obj, signal: Signal, prefix = ''): FieldSelector | undefined {
  const present = SELECTOR_KEYS[signal].filter((k) => has(o, prefix + k));
  if (present.length === 0) return undefined;
  if (present.length > 1) return { kind: 'invalid', reason: `more than one field selector (${present.join(', ')})` };
  const key = present[0];
  const raw = get(o, prefix + key);
  if (key.endsWith('_field')) {
    const table = FIELD_TABLES[signal];
    const field = resolveEnum(table, raw);
    if (field === undefined) return { kind: 'invalid', reason: `unknown ${signal} field ${JSON.stringify(raw)}` };
    if (field === 'unspecified') return { kind: 'invalid', reason: `${key} is unspecified` };
    return { kind: 'field', field };
  }
  if (key in ENUM_SELECTORS) {
    const { table, what } = ENUM_SELECTORS[key];
    const value = resolveEnum(table, raw);
    if (value === undefined) return { kind: 'invalid', reason: `unknown ${what} ${JSON.stringify(raw)}` };
    if (value === 'unspecified') return { kind: 'invalid', reason: `${key} is unspecified` };
    return { kind: key as 'metric_type', value };
  }
  if (key === 'event_name') return { kind: 'event_name', name: toStr(raw) };
  if (key === 'link_trace_id') return { kind: 'link_trace_id', hex: toStr(raw) };
  const path = parsePath(raw);
  if (!Array.isArray(path)) return path;
  return { kind: key as 'log_attribute', path };
}

const CONDITION_KEYS = ['exact', 'regex', 'exists', 'starts_with', 'ends_with', 'contains', 'equals', 'gt', 'gte', 'lt', 'lte'] as const;

export function parseMatcher(raw: unknown, signal: Signal): Matcher {
  if (!isObj(raw)) {
    return { field: { kind: 'invalid', reason: 'matcher must be an object' }, match: undefined, negate: false, caseInsensitive: false };
  }
  const negate = toBool(get(raw, 'negate'), false);
  const caseInsensitive = toBool(get(raw, 'case_insensitive'), false);
  // A flag that is no boolean makes the matcher invalid (the policy inert), never a guess at what it meant.
  const badFlag = negate === undefined ? notBool('negate', get(raw, 'negate')) : caseInsensitive === undefined ? notBool('case_insensitive', get(raw, 'case_insensitive')) : undefined;
  return {
    field: badFlag !== undefined ? { kind: 'invalid', reason: badFlag } : parseSelector(raw, signal),
    match: parseCondition(raw),
    negate: negate ?? false,
    caseInsensitive: caseInsensitive ?? false,
  };
}

function parseCondition(o: Obj): MatchCondition | undefined {
  const present = CONDITION_KEYS.filter((k) => has(o, k));
  if (present.length === 0) return undefined;
  if (present.length > 1) return { kind: 'invalid', reason: `more than one match condition (${present.join(', ')})` };
  const kind = present[0];
  const raw = get(o, kind);
  switch (kind) {
    case 'exists':
      if (typeof raw !== 'boolean') return { kind: 'invalid', reason: 'exists must be a boolean' };
      return { kind, value: raw };
    case 'equals':
      return parseValueLiteral(raw);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const value = parseNumericLiteral(raw);
      if ('reason' in value) return { kind: 'invalid', reason: `${kind}: ${value.reason}` };
      return { kind, value };
    }
    default:
      if (typeof raw !== 'string') {
        if (typeof raw === 'number' || typeof raw === 'bigint' || typeof raw === 'boolean') return { kind, value: String(raw) };
        return { kind: 'invalid', reason: `${kind} must be a string` };
      }
      return { kind, value: raw };
  }
}

function parseInt64(raw: unknown): bigint | undefined {
  if (typeof raw === 'bigint') return raw;
  if (typeof raw === 'number' && Number.isInteger(raw)) return BigInt(raw);
  if (typeof raw === 'string' && /^[-+]?\d+$/.test(raw.trim())) return BigInt(raw.trim());
  return undefined;
}

function parseDouble(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return Number(raw);
  if (typeof raw === 'string') {
    const s = raw.trim();
    if (s === 'NaN') return Number.NaN;
    if (s === 'Infinity') return Number.POSITIVE_INFINITY;
    if (s === '-Infinity') return Number.NEGATIVE_INFINITY;
    if (s !== '' && !Number.isNaN(Number(s))) return Number(s);
  }
  return undefined;
}

/** A number literal written in a shorthand: integral values are ints. */
function numberShorthand(raw: number | bigint): { type: 'int'; value: bigint } | { type: 'double'; value: number } {
  if (typeof raw === 'bigint') return { type: 'int', value: raw };
  return Number.isSafeInteger(raw) ? { type: 'int', value: BigInt(raw) } : { type: 'double', value: raw };
}

function parseValueLiteral(raw: unknown): MatchCondition {
  const bad = (reason: string): MatchCondition => ({ kind: 'invalid', reason: `equals: ${reason}` });
  if (typeof raw === 'string') return { kind: 'equals', value: { type: 'string', value: raw } };
  if (typeof raw === 'boolean') return { kind: 'equals', value: { type: 'bool', value: raw } };
  if (typeof raw === 'number' || typeof raw === 'bigint') return { kind: 'equals', value: numberShorthand(raw) };
  if (!isObj(raw)) return bad('value must be a scalar or a Value object');
  const keys = ['bool_value', 'int_value', 'double_value', 'bytes_value', 'hex_value', 'string_value'].filter((k) => has(raw, k));
  if (keys.length === 0) return { kind: 'equals', value: { type: 'unset' } };
  if (keys.length > 1) return bad(`more than one value (${keys.join(', ')})`);
  const v = get(raw, keys[0]);
  let lit: ValueLiteral | undefined;
  switch (keys[0]) {
    case 'bool_value':
      if (typeof v === 'boolean') lit = { type: 'bool', value: v };
      break;
    case 'int_value': {
      const n = parseInt64(v);
      if (n !== undefined) lit = { type: 'int', value: n };
      break;
    }
    case 'double_value': {
      const n = parseDouble(v);
      if (n !== undefined) lit = { type: 'double', value: n };
      break;
    }
    case 'bytes_value':
      if (typeof v === 'string') lit = { type: 'bytes', base64: v };
      break;
    case 'hex_value':
      if (typeof v === 'string') lit = { type: 'hex', hex: v };
      break;
    case 'string_value':
      if (typeof v === 'string') lit = { type: 'string', value: v };
      break;
  }
  if (!lit) return bad(`${keys[0]} has the wrong type`);
  return { kind: 'equals', value: lit };
}

function parseNumericLiteral(raw: unknown): NumericLiteral | { reason: string } {
  if (typeof raw === 'number' || typeof raw === 'bigint') return numberShorthand(raw);
  if (!isObj(raw)) return { reason: 'value must be a number' };
  const keys = ['int_value', 'double_value'].filter((k) => has(raw, k));
  if (keys.length === 0) {
    if (Object.keys(raw).length === 0) return { type: 'unset' };
    return { reason: 'value must be a number' };
  }
  if (keys.length > 1) return { reason: 'more than one value (int_value, double_value)' };
  const v = get(raw, keys[0]);
  if (keys[0] === 'int_value') {
    const n = parseInt64(v);
    return n === undefined ? { reason: 'int_value must be an integer' } : { type: 'int', value: n };
  }
  const d = parseDouble(v);
  return d === undefined ? { reason: 'double_value must be a number' } : { type: 'double', value: d };
}
