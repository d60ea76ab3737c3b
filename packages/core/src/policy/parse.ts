import { nestingBeyond, parseJsonText, type JsonSyntaxError, type TextPosition } from './json-text.js';
import type { Extension, Policy, PolicySet, Signal } from './types.js';
import { EXTENSION_MODES, resolveEnum } from './enums.js';
import { parseLogTarget, parseMetricTarget, parseTraceTarget } from './parse-target.js';
import { get, isObj, kindOf, list, notBool, toBool, toStr, type Obj } from './raw.js';
import { unknownKeys } from './known-keys.js';

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
 * Reads YAML text (registered by the Node entry, policy/yaml-text.ts; a
 * browser bundle leaves the YAML library out and reads JSON only).
 */
let readYaml: ((text: string) => unknown) | undefined;

/** @internal Register the YAML reader (policy/yaml-text.ts). */
export function useYamlReader(read: (text: string) => unknown): void {
  readYaml = read;
}

/** YAML text through the registered reader, or a clear refusal where there is none. */
function yaml(body: string, source: string | undefined): unknown {
  if (readYaml === undefined) throw new PolicyParseError('YAML policies need the Node entry of @otel-policy/core; here, give the policies as JSON', source);
  return readYaml(body);
}

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
      if (readYaml === undefined) throw new PolicyParseError(`invalid JSON: ${reason}`, options.source, { line, col });
      try {
        doc = readYaml(body);
      } catch {
        throw new PolicyParseError(`invalid JSON: ${reason}`, options.source, { line, col });
      }
    }
  } else {
    const deep = yamlTooDeep(body);
    if (deep) throw new PolicyParseError(`invalid YAML: nested more than ${MAX_YAML_DEPTH} levels deep`, options.source, deep);
    try {
      doc = yaml(body, options.source);
    } catch (err) {
      if (err instanceof PolicyParseError) throw err;
      const { reason, position } = yamlProblem(err);
      throw new PolicyParseError(reason, options.source, position);
    }
  }
  // An empty or comment-only file is what a writer leaves when it has truncated the file and not yet written it (or
  // crashed): taking it as "no policies" would switch every policy off without a word. "policies: []" says none.
  if (doc === null || doc === undefined) throw new PolicyParseError('the file holds no policies list (it is empty, or only comments); write "policies: []" for none', options.source);
  if (isObj(doc) && get(doc, 'policies') === null) throw new PolicyParseError('"policies" is empty; write "policies: []" for none', options.source);
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
    enabled: toBool(get(raw, 'enabled'), true) ?? (problems.push(notBool('enabled', get(raw, 'enabled'))), true),
    extensions: parseExtensions(get(raw, 'extensions')),
    problems,
  };
  const warnings = unknownPolicyKeys(raw);
  if (warnings.length > 0) policy.warnings = warnings;
  if (raw.log !== undefined && raw.log !== null) policy.log = parseLogTarget(raw.log, problems);
  if (raw.metric !== undefined && raw.metric !== null) policy.metric = parseMetricTarget(raw.metric, problems);
  if (raw.trace !== undefined && raw.trace !== null) policy.trace = parseTraceTarget(raw.trace, problems);
  return policy;
}

/** The keys of a policy object that no policy field has, level by level (see known-keys.ts). */
function unknownPolicyKeys(raw: Obj): string[] {
  const out: string[] = [];
  unknownKeys(raw, 'policy', '', out);
  for (const signal of ['log', 'metric', 'trace'] as const) {
    const target = raw[signal];
    if (!isObj(target)) continue;
    unknownKeys(target, signal, signal, out);
    list(get(target, 'match')).forEach((m, i) => isObj(m) && unknownKeys(m, `${signal}.match`, `${signal}: match[${i}]`, out));
    if (signal !== 'log') continue;
    const sampleKey = get(target, 'sample_key');
    if (isObj(sampleKey)) unknownKeys(sampleKey, 'log.sample_key', 'log: sample_key', out);
    const transform = get(target, 'transform');
    if (!isObj(transform)) continue;
    unknownKeys(transform, 'log.transform', 'log: transform', out);
    for (const op of ['remove', 'redact', 'rename', 'add']) {
      list(get(transform, op)).forEach((o, i) => isObj(o) && unknownKeys(o, `log.transform.${op}`, `log: transform: ${op}[${i}]`, out));
    }
  }
  return out;
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

/**
 * IDs defined more than once in a set, with how many times. The last
 * definition of an ID is the one used (as a sync update replaces a policy):
 * an earlier one, a copy left in a policy directory or the same ID from
 * another provider, is silently replaced, so callers say so.
 */
export function duplicatePolicyIds(set: PolicySet): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of set.policies) counts.set(p.id, (counts.get(p.id) ?? 0) + 1);
  for (const [id, n] of counts) if (n === 1) counts.delete(id);
  return counts;
}

/** One line naming the duplicate IDs of {@link duplicatePolicyIds}, or undefined when there are none. */
export function duplicatePolicyIdsProblem(set: PolicySet): string | undefined {
  const dup = duplicatePolicyIds(set);
  if (dup.size === 0) return undefined;
  return `policy ids defined more than once, only the last definition of each is used: ${[...dup].map(([id, n]) => `${JSON.stringify(id)} (${n} times)`).join(', ')}`;
}
