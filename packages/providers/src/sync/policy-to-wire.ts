/** Our parsed policy model into Policy messages, as a sync server serves them. */
import { createHash } from 'node:crypto';
import { snakeToCamel, syncSchema } from '@otel-policy/proto';
import {
  type FieldSelector,
  type LogTarget,
  type MatchCondition,
  type Matcher,
  type MetricTarget,
  type NumericLiteral,
  type Policy,
  type PolicySet,
  type Signal,
  type TraceSamplingConfig,
  type TraceTarget,
  type ValueLiteral,
} from '@otel-policy/core';
import type { PolicyObject } from './messages.js';

/** A stable hash of a list of Policy messages (their binary encoding). */
export function hashPolicies(policies: readonly PolicyObject[]): string {
  const { Policy: P } = syncSchema();
  const h = createHash('sha256');
  for (const p of policies) {
    const bytes = P.encode(P.fromObject(p)).finish();
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    h.update(len).update(bytes);
  }
  return h.digest('hex').slice(0, 32);
}

const FIELD_ENUM_PREFIX: Record<Signal, string> = { log: 'LOG_FIELD_', metric: 'METRIC_FIELD_', trace: 'TRACE_FIELD_' };

const ENUM_SELECTOR_PREFIX: Record<string, string> = {
  metric_type: 'METRIC_TYPE_',
  aggregation_temporality: 'AGGREGATION_TEMPORALITY_',
  span_kind: 'SPAN_KIND_',
  span_status: 'SPAN_STATUS_CODE_',
};

const SELECTOR_KEYS: Record<Signal, readonly string[]> = {
  log: ['log_field', 'log_attribute', 'resource_attribute', 'scope_attribute'],
  metric: ['metric_field', 'datapoint_attribute', 'resource_attribute', 'scope_attribute', 'metric_type', 'aggregation_temporality'],
  trace: ['trace_field', 'span_attribute', 'resource_attribute', 'scope_attribute', 'span_kind', 'span_status', 'event_name', 'event_attribute', 'link_trace_id'],
};

/** An enum value that names nothing (proto3 enums are open): the receiver reports it as unknown. */
const UNKNOWN_ENUM = 0x7fffffff;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Write a field selector into a message object. Returns false when the
 * selector cannot be expressed in the schema (the message is then left
 * without one, which the receiver reports as an error).
 */
function putSelector(out: Record<string, unknown>, sel: FieldSelector | undefined, signal: Signal, prefix = ''): boolean {
  if (sel === undefined) return true;
  const key = (snake: string) => snakeToCamel(prefix + snake);
  switch (sel.kind) {
    case 'field':
      out[key(`${signal}_field`)] = FIELD_ENUM_PREFIX[signal] + sel.field.toUpperCase();
      return true;
    case 'log_attribute':
    case 'span_attribute':
    case 'datapoint_attribute':
    case 'resource_attribute':
    case 'scope_attribute':
    case 'event_attribute':
      if (!SELECTOR_KEYS[signal].includes(sel.kind)) return false;
      out[key(sel.kind)] = { path: [...sel.path] };
      return true;
    case 'metric_type':
    case 'aggregation_temporality':
    case 'span_kind':
    case 'span_status': {
      if (!SELECTOR_KEYS[signal].includes(sel.kind)) return false;
      // The proto calls "status not set" SPAN_STATUS_CODE_UNSPECIFIED (0).
      const short = sel.kind === 'span_status' && sel.value === 'unset' ? 'UNSPECIFIED' : sel.value.toUpperCase();
      out[key(sel.kind)] = ENUM_SELECTOR_PREFIX[sel.kind] + short;
      return true;
    }
    case 'event_name':
      if (signal !== 'trace') return false;
      out[key('event_name')] = sel.name;
      return true;
    case 'link_trace_id':
      if (signal !== 'trace') return false;
      out[key('link_trace_id')] = sel.hex;
      return true;
    case 'invalid': {
      // "<selector> is unspecified": the proto can say that (enum value 0), and the receiver reports the same error.
      const m = /^([a-z_]+) is unspecified$/.exec(sel.reason);
      if (m && SELECTOR_KEYS[signal].includes(m[1]) && (m[1].endsWith('_field') || m[1] in ENUM_SELECTOR_PREFIX)) {
        out[key(m[1])] = 0;
        return true;
      }
      return false;
    }
  }
}

function int64String(v: bigint): string | undefined {
  return v >= INT64_MIN && v <= INT64_MAX ? v.toString() : undefined;
}

/** Decode base64 (standard or URL-safe) exactly as the engine accepts it, or undefined. */
function decodeBase64(b64: string): Buffer | undefined {
  const s = b64.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  try {
    const bin = atob(s.length % 4 === 0 ? s : s + '='.repeat(4 - (s.length % 4)));
    return Buffer.from(bin, 'latin1');
  } catch {
    return undefined;
  }
}

function valueToProto(v: ValueLiteral): Record<string, unknown> {
  switch (v.type) {
    case 'string':
      return { stringValue: v.value };
    case 'bool':
      return { boolValue: v.value };
    case 'int': {
      const s = int64String(v.value);
      return s === undefined ? {} : { intValue: s };
    }
    case 'double':
      return { doubleValue: v.value };
    case 'bytes': {
      // Bytes that are not base64 cannot travel; an unset Value is reported by the receiver instead.
      const bytes = decodeBase64(v.base64);
      return bytes === undefined ? {} : { bytesValue: bytes.toString('base64') };
    }
    case 'hex':
      return { hexValue: v.hex };
    case 'unset':
      return {};
  }
}

function numericToProto(v: NumericLiteral): Record<string, unknown> {
  switch (v.type) {
    case 'int': {
      const s = int64String(v.value);
      return s === undefined ? {} : { intValue: s };
    }
    case 'double':
      return { doubleValue: v.value };
    case 'unset':
      return {};
  }
}

/** Write a match condition; an invalid one is left out (the receiver reports "no match condition"). */
function putCondition(out: Record<string, unknown>, cond: MatchCondition | undefined): void {
  if (cond === undefined || cond.kind === 'invalid') return;
  switch (cond.kind) {
    case 'exact':
    case 'regex':
    case 'starts_with':
    case 'ends_with':
    case 'contains':
      out[snakeToCamel(cond.kind)] = cond.value;
      return;
    case 'exists':
      out.exists = cond.value;
      return;
    case 'equals':
      out.equals = valueToProto(cond.value);
      return;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      out[cond.kind] = numericToProto(cond.value);
      return;
  }
}

function matcherToProto(m: Matcher, signal: Signal): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  putSelector(out, m.field, signal);
  putCondition(out, m.match);
  if (m.negate) out.negate = true;
  if (m.caseInsensitive) out.caseInsensitive = true;
  return out;
}

/** A field selector of a transform or sample key; one that cannot travel becomes an empty attribute path (an error the receiver reports at the same place). */
function selectorObject(sel: FieldSelector | undefined, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!putSelector(out, sel, 'log', prefix)) out[snakeToCamel(`${prefix}log_attribute`)] = { path: [] };
  return out;
}

function logTargetToProto(t: LogTarget): Record<string, unknown> {
  const out: Record<string, unknown> = { match: t.match.map((m) => matcherToProto(m, 'log')), keep: t.keep };
  if (t.sampleKey !== undefined) out.sampleKey = selectorObject(t.sampleKey);
  if (t.transform !== undefined) {
    out.transform = {
      remove: t.transform.remove.map((r) => selectorObject(r.field)),
      redact: t.transform.redact.map((r) => ({
        ...selectorObject(r.field),
        replacement: r.replacement,
        ...(r.regex === undefined ? {} : { regex: r.regex }),
      })),
      rename: t.transform.rename.map((r) => ({ ...selectorObject(r.from, 'from_'), to: r.to, upsert: r.upsert })),
      add: t.transform.add.map((a) => ({ ...selectorObject(a.field), value: a.value, upsert: a.upsert })),
    };
  }
  return out;
}

function metricTargetToProto(t: MetricTarget): Record<string, unknown> {
  return { match: t.match.map((m) => matcherToProto(m, 'metric')), keep: t.keep };
}

const SAMPLING_MODES = ['unspecified', 'hash_seed', 'proportional', 'equalizing'];

/** As the engine resolves a sampling mode: the short name or the proto name, any case. */
function samplingModeToProto(mode: string): string | number {
  let upper = mode.trim().toUpperCase();
  if (upper.startsWith('SAMPLING_MODE_')) upper = upper.slice('SAMPLING_MODE_'.length);
  return SAMPLING_MODES.includes(upper.toLowerCase()) ? `SAMPLING_MODE_${upper}` : UNKNOWN_ENUM;
}

const isUint32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

function samplingToProto(k: TraceSamplingConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { percentage: k.percentage };
  // A value a uint32 cannot hold would silently change meaning on the wire;
  // an invalid percentage keeps the policy inert (and reported) instead.
  let unrepresentable = false;
  if (k.mode !== undefined) out.mode = samplingModeToProto(k.mode);
  if (k.samplingPrecision !== undefined) {
    const p = k.samplingPrecision;
    // The engine caps precision at 14, so any larger integer means the same.
    if (Number.isInteger(p) && p > 0xffffffff) out.samplingPrecision = 0xffffffff;
    else if (isUint32(p)) out.samplingPrecision = p;
    else unrepresentable = true;
  }
  if (k.hashSeed !== undefined) {
    if (isUint32(k.hashSeed)) out.hashSeed = k.hashSeed;
    else unrepresentable = true;
  }
  if (k.failClosed !== undefined) out.failClosed = k.failClosed;
  if (unrepresentable) out.percentage = Number.NaN;
  return out;
}

function traceTargetToProto(t: TraceTarget): Record<string, unknown> {
  const out: Record<string, unknown> = { match: t.match.map((m) => matcherToProto(m, 'trace')) };
  if (t.keep !== undefined) out.keep = samplingToProto(t.keep);
  return out;
}

/** JSON.stringify replacer for YAML's big integers. */
const jsonSafe = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v);

const EXTENSION_MODES = ['unspecified', 'kept', 'dropped', 'unmatched', 'matched', 'all'];

/**
 * Build a `tero.policy.v1.Policy` (object form, for `Policy.fromObject` and
 * the encoders here) from one of our parsed policies. Authoring shorthands
 * are already resolved by parsing; what the proto cannot express is written
 * so that the receiving engine still finds the policy invalid (and reports
 * it): an invalid regex or keep string travels as is, an unusable field
 * selector or match condition is left out, and a policy whose structure was
 * broken (no target, several targets) travels without a target.
 */
export function policyToProto(p: Policy): PolicyObject {
  const out: PolicyObject = {
    id: p.problems.includes('policy has no id') ? '' : p.id,
    name: p.name,
    description: p.description,
    enabled: p.enabled,
  };
  const broken = p.problems.some((x) => x !== 'policy has no id');
  if (!broken) {
    if (p.log) out.log = logTargetToProto(p.log);
    else if (p.metric) out.metric = metricTargetToProto(p.metric);
    else if (p.trace) out.trace = traceTargetToProto(p.trace);
  }
  if (p.extensions.length > 0) {
    out.extensions = p.extensions.map((e) => {
      const mode = e.mode
        .trim()
        .toLowerCase()
        .replace(/^extension_mode_/, '');
      const ext: Record<string, unknown> = {
        type: e.type,
        version: e.version,
        mode: EXTENSION_MODES.includes(mode) ? `EXTENSION_MODE_${mode.toUpperCase()}` : UNKNOWN_ENUM,
      };
      if (e.config !== undefined) ext.config = Buffer.from(JSON.stringify(e.config, jsonSafe), 'utf8').toString('base64');
      return ext;
    });
  }
  return out;
}

/** {@link policyToProto} over a set. */
export function policySetToProto(set: PolicySet): PolicyObject[] {
  return set.policies.map(policyToProto);
}
