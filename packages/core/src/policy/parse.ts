import { parse as parseYaml } from 'yaml';
import { nestingBeyond, parseJsonText, type JsonSyntaxError, type TextPosition } from './json-text.js';
import type {
  Extension,
  FieldSelector,
  LogAdd,
  LogRedact,
  LogRemove,
  LogRename,
  LogTarget,
  LogTransform,
  MatchCondition,
  Matcher,
  MetricTarget,
  NumericLiteral,
  Policy,
  PolicySet,
  Signal,
  TraceSamplingConfig,
  TraceTarget,
  ValueLiteral,
} from './types.js';
import { AGGREGATION_TEMPORALITIES, EXTENSION_MODES, LOG_FIELDS, METRIC_FIELDS, METRIC_TYPES, SPAN_KINDS, SPAN_STATUSES, TRACE_FIELDS, resolveEnum, type EnumTable } from './enums.js';

/**
 * A policy document that cannot be read at all (not JSON/YAML, or not a
 * policy list). `reason` says what is wrong, `line`/`col` (1-based) where,
 * for a syntax error, and `source` in which file; `message` says all three.
 */
export class PolicyParseError extends Error {
  override readonly name = 'PolicyParseError';
  constructor(
    readonly reason: string,
    readonly source?: string,
    readonly position?: TextPosition,
  ) {
    super(`cannot parse policies${source ? ` (${source})` : ''}: ${position ? `line ${position.line}, column ${position.col}: ` : ''}${reason}`);
  }
}

/**
 * YAML as policy files use it: the YAML 1.2 core schema (no `!!binary` and
 * other custom tags), integers kept exact, and warnings (an unresolved tag)
 * not printed by the library: the document is then read as plain values.
 */
const YAML_OPTIONS = { intAsBigInt: true, schema: 'core', logLevel: 'error' } as const;

/**
 * Deepest nesting of YAML text handed to the YAML library, which recurses
 * (it overflows the stack near 800 levels, and V8 has been seen to abort
 * the process, not throw, when a regex compiles at that depth). Estimated by
 * a linear scan ({@link nestingBeyond}); real policy files stay under 20.
 */
export const MAX_YAML_DEPTH = 200;

/** The position where YAML text nests too deeply for the YAML library, or undefined. */
const yamlTooDeep = (text: string): TextPosition | undefined => nestingBeyond(text, MAX_YAML_DEPTH, true);

/** The first line of a YAML library error, without the position it also gives as linePos. */
function yamlProblem(err: unknown): { reason: string; position?: TextPosition } {
  const e = err as Error & { linePos?: { line: number; col: number }[] };
  const reason = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const pos = e.linePos?.[0];
  return { reason: `invalid YAML: ${reason}`, position: pos ? { line: pos.line, col: pos.col } : undefined };
}

/** Options for {@link parsePolicyText}. */
export interface ParseOptions {
  /** Force a format; by default JSON is tried when the text looks like JSON, else YAML. */
  format?: 'json' | 'yaml';
  /** Where the text came from, for error messages. */
  source?: string;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const camel = (snake: string): string => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Read a field under its proto (snake_case) or JSON (lowerCamelCase) name. */
function get(o: Obj, snake: string): unknown {
  const v = o[snake];
  if (v !== undefined) return v;
  return o[camel(snake)];
}

function has(o: Obj, snake: string): boolean {
  return get(o, snake) !== undefined && get(o, snake) !== null;
}

const toNumber = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
};

const toBool = (v: unknown, dflt: boolean): boolean => {
  if (typeof v === 'boolean') return v;
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'false' || s === '0' || s === '') return false;
    if (s === 'true' || s === '1') return true;
  }
  return Boolean(v);
};

const toStr = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/**
 * Parse a policy file's text (JSON or YAML). The document may be
 * `{ policies: [...] }`, a list of policies, or one policy.
 * @throws PolicyParseError when the text is not valid JSON/YAML or holds no policy list.
 */
export function parsePolicyText(text: string, options: ParseOptions = {}): PolicySet {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let doc: unknown;
  const looksJson = /^\s*[[{]/.test(body);
  const format = options.format ?? (looksJson ? 'json' : 'yaml');
  if (format === 'json') {
    try {
      doc = parseJsonText(body);
    } catch (jsonErr) {
      const { line, col, reason } = jsonErr as JsonSyntaxError;
      // JSON is a subset of YAML 1.2; a YAML file may still start with '{'. When YAML cannot read it either, the JSON error says more.
      if (options.format === 'json' || yamlTooDeep(body)) throw new PolicyParseError(`invalid JSON: ${reason}`, options.source, { line, col });
      try {
        doc = parseYaml(body, YAML_OPTIONS);
      } catch {
        throw new PolicyParseError(`invalid JSON: ${reason}`, options.source, { line, col });
      }
    }
  } else {
    const deep = yamlTooDeep(body);
    if (deep) throw new PolicyParseError(`invalid YAML: nested more than ${MAX_YAML_DEPTH} levels deep`, options.source, deep);
    try {
      doc = parseYaml(body, YAML_OPTIONS);
    } catch (err) {
      const { reason, position } = yamlProblem(err);
      throw new PolicyParseError(reason, options.source, position);
    }
  }
  return parsePolicyDocument(doc, options.source);
}

/** Parse an already-decoded policy document (see {@link parsePolicyText}). */
export function parsePolicyDocument(doc: unknown, source?: string): PolicySet {
  let list: unknown;
  if (Array.isArray(doc)) list = doc;
  else if (isObj(doc) && doc.policies !== undefined) list = doc.policies;
  else if (isObj(doc) && (doc.id !== undefined || doc.log !== undefined || doc.metric !== undefined || doc.trace !== undefined)) list = [doc];
  else if (doc === null || doc === undefined || (isObj(doc) && Object.keys(doc).length === 0)) list = [];
  else throw new PolicyParseError(`the document must be an object with a "policies" list, got ${kindOf(doc)}`, source);
  if (list === null) list = [];
  if (!Array.isArray(list)) throw new PolicyParseError(`"policies" must be a list, got ${kindOf(list)}`, source);
  // An entry that is not an object is no policy at all (a malformed document), unlike an invalid policy, which is kept, reported and inert.
  const notObject = list.findIndex((p) => typeof p !== 'object' || p === null || Array.isArray(p));
  if (notObject >= 0) throw new PolicyParseError(`policies[${notObject}] must be a policy object, got ${kindOf(list[notObject])}`, source);
  return { policies: list.map((p, i) => parsePolicy(p, i)) };
}

/**
 * Deepest nesting accepted inside one policy object (real policies nest
 * fewer than 10 levels): parsing, messages (JSON.stringify, String) and the
 * engine recurse over values, so hostile nesting must stop here.
 */
export const MAX_POLICY_DEPTH = 64;

/** The path of a value nested deeper than {@link MAX_POLICY_DEPTH} in `raw`, or undefined. Iterative. */
function tooDeep(raw: unknown): string | undefined {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: raw, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > MAX_POLICY_DEPTH) return path;
    for (const [k, child] of Object.entries(v)) stack.push({ v: child, path: Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : k, depth: depth + 1 });
  }
  return undefined;
}

/** Parse one policy object. Never throws: problems are kept on the policy. */
export function parsePolicy(raw: unknown, index = 0): Policy {
  const problems: string[] = [];
  const deep = isObj(raw) ? tooDeep(raw) : undefined;
  if (!isObj(raw) || deep !== undefined) {
    const idRaw = isObj(raw) ? get(raw, 'id') : undefined;
    return {
      id: typeof idRaw === 'string' && idRaw !== '' ? idRaw : `policies[${index}]`,
      name: '',
      description: '',
      enabled: true,
      extensions: [],
      problems: [deep !== undefined ? `policy nested more than ${MAX_POLICY_DEPTH} levels deep (at ${deep.length > 120 ? `${deep.slice(0, 120)}...` : deep})` : `policy must be an object`],
    };
  }
  const idRaw = get(raw, 'id');
  const id = typeof idRaw === 'string' && idRaw !== '' ? idRaw : `policies[${index}]`;
  if (typeof idRaw !== 'string' || idRaw === '') problems.push('policy has no id');
  const targets: Signal[] = (['log', 'metric', 'trace'] as const).filter((t) => raw[t] !== undefined && raw[t] !== null);
  if (targets.length === 0) problems.push('policy has no target (log, metric or trace)');
  if (targets.length > 1) problems.push(`policy has more than one target (${targets.join(', ')})`);
  const policy: {
    -readonly [K in keyof Policy]: Policy[K];
  } = {
    id,
    name: toStr(get(raw, 'name')),
    description: toStr(get(raw, 'description')),
    enabled: toBool(get(raw, 'enabled'), true),
    extensions: parseExtensions(get(raw, 'extensions')),
    problems,
  };
  if (raw.log !== undefined && raw.log !== null) policy.log = parseLogTarget(raw.log, problems);
  if (raw.metric !== undefined && raw.metric !== null) policy.metric = parseMetricTarget(raw.metric, problems);
  if (raw.trace !== undefined && raw.trace !== null) policy.trace = parseTraceTarget(raw.trace, problems);
  return policy;
}

function parseExtensions(raw: unknown): Extension[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isObj).map((e) => ({
    type: toStr(get(e, 'type')),
    version: toStr(get(e, 'version')),
    mode: extensionMode(get(e, 'mode')),
    config: get(e, 'config'),
  }));
}

function extensionMode(raw: unknown): string {
  if (raw === undefined || raw === null || raw === '') return 'matched';
  const m = resolveEnum(EXTENSION_MODES, raw);
  if (m === undefined) return toStr(raw);
  return m === 'unspecified' ? 'matched' : m;
}

function list(raw: unknown): unknown[] {
  if (Array.isArray(raw)) return raw;
  if (raw === undefined || raw === null) return [];
  return [raw];
}

function parseLogTarget(raw: unknown, problems: string[]): LogTarget {
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
    transform: parseTransform(get(raw, 'transform')),
  };
}

function parseMetricTarget(raw: unknown, problems: string[]): MetricTarget {
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

function parseTraceTarget(raw: unknown, problems: string[]): TraceTarget {
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
    mode: mode === undefined || mode === null ? undefined : typeof mode === 'string' ? mode : String(mode),
    samplingPrecision: opt('sampling_precision'),
    hashSeed: opt('hash_seed'),
    failClosed: typeof failClosed === 'boolean' ? failClosed : undefined,
  };
}

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
 * Read the field selector of a matcher, sample key or transform. `keys`
 * overrides the selector names (rename uses `from_log_attribute`, ...).
 */
function parseSelector(o: Obj, signal: Signal, prefix = ''): FieldSelector | undefined {
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

function parseMatcher(raw: unknown, signal: Signal): Matcher {
  if (!isObj(raw)) {
    return { field: { kind: 'invalid', reason: 'matcher must be an object' }, match: undefined, negate: false, caseInsensitive: false };
  }
  return {
    field: parseSelector(raw, signal),
    match: parseCondition(raw),
    negate: toBool(get(raw, 'negate'), false),
    caseInsensitive: toBool(get(raw, 'case_insensitive'), false),
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

function parseTransform(raw: unknown): LogTransform | undefined {
  if (!isObj(raw)) return undefined;
  const objs = (k: string) => list(get(raw, k)).map((x) => (isObj(x) ? x : {}));
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
  const rename: LogRename[] = objs('rename').map((o) => ({
    from: parseSelector(o, 'log', 'from_') ?? parseSelector(isObj(get(o, 'from')) ? (get(o, 'from') as Obj) : {}, 'log'),
    to: toStr(get(o, 'to')),
    upsert: toBool(get(o, 'upsert'), false),
  }));
  const add: LogAdd[] = objs('add').map((o) => ({
    field: parseSelector(o, 'log'),
    value: toStr(get(o, 'value')),
    upsert: toBool(get(o, 'upsert'), false),
  }));
  return { remove, redact, rename, add };
}

/** How a value reads in a message: "a string", "a list", "null". */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'bigint') return 'a number';
  return `a ${typeof v}`;
}
