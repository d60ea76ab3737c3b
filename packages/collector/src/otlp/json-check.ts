/**
 * OTLP/JSON input checking, before protobufjs's `fromObject` sees a request.
 *
 * `fromObject` converts whatever it is given: `String(v)` for strings,
 * `Number(v)` for doubles, `Long.fromValue` for 64-bit integers, which wraps
 * "999999999999999999999999", reads "12abc" as 12 and turns "-1" into
 * 2^64-1 in an unsigned field. Accepting those silently changes data, so
 * every field is checked here against the schema, as the OTLP/JSON rules
 * (proto3 JSON mapping) say: 64-bit integers as a decimal string or an
 * integer number, in range, unsigned ones not negative; 32-bit integers as
 * integers in range; enums as a known name or an integer; booleans, strings
 * and bytes (base64) as such; one member per oneof; lists as lists. The
 * first violation fails the request with its path
 * (`resourceLogs[0].scopeLogs[0].logRecords[2].timeUnixNano: ...`).
 *
 * The same walk renames snake_case keys (`time_unix_nano`, which proto3
 * JSON parsers accept too) to lowerCamelCase in place, and bounds nesting.
 * It is iterative, with an explicit stack: a body nested 10,000 levels deep
 * is refused with a message, never a stack overflow. Nesting is counted in
 * messages, as protobufjs counts it (the request is level 0), so both
 * encodings share one limit ({@link MAX_MESSAGE_DEPTH}). Identifier fields
 * (hex in OTLP/JSON) are left to the codec, which rejects records with bad
 * identifiers individually. Unknown keys are ignored, as the Collector does.
 */
import { MAX_MESSAGE_DEPTH, snakeToCamel } from '@otel-policy/proto';
import protobuf from 'protobufjs';

/**
 * Deepest message nesting accepted, in both encodings (the request is level
 * 0; a log record's body is at level 4, and every kvlistValue level adds 3,
 * every arrayValue level 2): about 330 levels of nested kvlistValue, 500 of
 * arrayValue. protobufjs's own default (100, as protoc's) refused attribute
 * values nested 30 to 50 levels deep; the Collector (pdata) has no limit
 * today, and its proposed one is 100 messages too.
 */
export { MAX_MESSAGE_DEPTH };

type Obj = Record<string, unknown>;
type Kind = 'msg' | 'id' | 'string' | 'bool' | 'bytes' | 'float' | 'i32' | 'u32' | 'i64' | 'u64' | 'enum';

interface FieldInfo {
  name: string;
  kind: Kind;
  repeated: boolean;
  /** For messages. */
  type?: protobuf.Type;
  /** For enums: known names. */
  names?: Record<string, number>;
  /** Index of the (real, multi-member) oneof this field is in, or -1. */
  oneof: number;
}

interface TypeInfo {
  fields: Map<string, FieldInfo>;
  oneofNames: string[];
}

const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

const KINDS: Record<string, Kind> = {
  double: 'float',
  float: 'float',
  int32: 'i32',
  sint32: 'i32',
  sfixed32: 'i32',
  uint32: 'u32',
  fixed32: 'u32',
  int64: 'i64',
  sint64: 'i64',
  sfixed64: 'i64',
  uint64: 'u64',
  fixed64: 'u64',
  bool: 'bool',
  string: 'string',
  bytes: 'bytes',
};

const infos = new Map<protobuf.Type, TypeInfo>();

function infoOf(type: protobuf.Type): TypeInfo {
  let info = infos.get(type);
  if (info) return info;
  const oneofs = type.oneofsArray.filter((o) => o.fieldsArray.length > 1);
  info = { fields: new Map(), oneofNames: oneofs.map((o) => o.name) };
  for (const f of type.fieldsArray) {
    f.resolve();
    const rt = f.resolvedType;
    let kind: Kind;
    if (rt instanceof protobuf.Type) kind = 'msg';
    else if (rt instanceof protobuf.Enum) kind = 'enum';
    else kind = KINDS[f.type] ?? 'string';
    if (kind === 'bytes' && ID_FIELDS.has(f.name)) kind = 'id';
    info.fields.set(f.name, {
      name: f.name,
      kind,
      repeated: f.repeated,
      type: rt instanceof protobuf.Type ? rt : undefined,
      names: rt instanceof protobuf.Enum ? rt.values : undefined,
      oneof: f.partOf ? oneofs.indexOf(f.partOf) : -1,
    });
  }
  infos.set(type, info);
  return info;
}

/** A request that breaks the OTLP/JSON rules: the path and why. */
export class JsonCheckError extends Error {
  override readonly name = 'JsonCheckError';
}

interface Frame {
  obj: Obj;
  type: protobuf.Type;
  depth: number;
  parent: Frame | undefined;
  /** Where this object is in its parent: the field name and, in a list, the index. */
  key: string;
  index: number;
}

function pathOf(frame: Frame | undefined, field?: string, index = -1): string {
  const parts: string[] = [];
  const add = (key: string, i: number) => parts.push(i >= 0 ? `${key}[${i}]` : key);
  if (field !== undefined) add(field, index);
  for (let f = frame; f?.parent; f = f.parent) add(f.key, f.index);
  parts.reverse();
  // Deeply nested values: the start and the end of the path say enough.
  if (parts.length > 16) parts.splice(8, parts.length - 14, `(${parts.length - 14} more)`);
  return parts.join('.');
}

const describe = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (Array.isArray(v)) return 'a list';
  if (v !== null && typeof v === 'object') return 'an object';
  return String(v);
};

const camel = snakeToCamel;

const DECIMAL = /^-?[0-9]+$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const I64_MAX = '9223372036854775807';
const I64_MIN_ABS = '9223372036854775808';
const U64_MAX = '18446744073709551615';
const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

/** Whether the digits (no sign, no leading zeros) are at most `max` (digits too). */
const digitsAtMost = (d: string, max: string): boolean => d.length < max.length || (d.length === max.length && d <= max);

/** Check a 64-bit integer; returns a replacement (a decimal string) when the value is a number fromObject would clamp. */
function int64(v: unknown, unsigned: boolean): string | undefined | false {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return false;
    if (unsigned ? v < 0 || v >= TWO_64 : v < -TWO_63 || v >= TWO_63) return false;
    // Long.fromValue reads numbers as signed and clamps at 2^63.
    return unsigned && v >= TWO_63 ? BigInt(v).toString() : undefined;
  }
  if (typeof v !== 'string' || !DECIMAL.test(v)) return false;
  const negative = v.charCodeAt(0) === 45;
  if (negative && unsigned) return v.replace(/^-0+$/, '') === '' ? undefined : false;
  let d = negative ? v.slice(1) : v;
  if (d.length > 1 && d.charCodeAt(0) === 48) d = d.replace(/^0+(?=.)/, '');
  if (d.length < 19) return undefined;
  return digitsAtMost(d, unsigned ? U64_MAX : negative ? I64_MIN_ABS : I64_MAX) ? undefined : false;
}

function int32(v: unknown, unsigned: boolean): boolean {
  const n = typeof v === 'string' && DECIMAL.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && (unsigned ? n >= 0 && n <= 0xffffffff : n >= -0x80000000 && n <= 0x7fffffff);
}

const FLOAT_WORDS = new Set(['NaN', 'Infinity', '-Infinity']);
const floatOk = (v: unknown): boolean => typeof v === 'number' || (typeof v === 'string' && (FLOAT_WORDS.has(v) || (v.trim() !== '' && !Number.isNaN(Number(v)))));

const EXPECTED: Record<Kind, string> = {
  msg: 'an object',
  id: 'a hex string',
  string: 'a string',
  bool: 'true or false',
  bytes: 'a base64 string',
  float: 'a number',
  i32: 'an int32 (an integer from -2147483648 to 2147483647)',
  u32: 'a uint32 (an integer from 0 to 4294967295)',
  i64: 'an int64 (a decimal string or an integer, from -9223372036854775808 to 9223372036854775807)',
  u64: 'a uint64 (a decimal string or an integer, from 0 to 18446744073709551615)',
  enum: 'an enum value (a known name or an integer)',
};

/**
 * Check (and normalize in place: snake_case keys, unsigned 64-bit numbers
 * over 2^63) an OTLP/JSON request object against `type`. Throws
 * {@link JsonCheckError}.
 */
export function checkJsonRequest(root: Obj, type: protobuf.Type): void {
  const stack: Frame[] = [{ obj: root, type, depth: 0, parent: undefined, key: '', index: -1 }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const { obj } = frame;
    const info = infoOf(frame.type);
    let oneofsSeen = 0;
    for (const key of Object.keys(obj)) {
      let f = info.fields.get(key);
      if (f === undefined) {
        if (!key.includes('_')) continue;
        f = info.fields.get(camel(key));
        if (f === undefined) continue;
        if (obj[f.name] !== undefined) throw new JsonCheckError(`${pathOf(frame, key)}: ${f.name} is given twice (as ${f.name} and as ${key})`);
        obj[f.name] = obj[key];
        delete obj[key];
      }
      const v = obj[f.name];
      if (v === null || v === undefined) continue;
      if (f.oneof >= 0) {
        const bit = 1 << f.oneof;
        if (oneofsSeen & bit) throw new JsonCheckError(`${pathOf(frame, f.name)}: only one field of "${info.oneofNames[f.oneof]}" may be set`);
        oneofsSeen |= bit;
      }
      if (f.repeated) {
        if (!Array.isArray(v)) throw new JsonCheckError(`${pathOf(frame, f.name)}: must be a list, got ${describe(v)}`);
        for (let i = 0; i < v.length; i++) {
          if (v[i] === null) throw new JsonCheckError(`${pathOf(frame, f.name, i)}: must be ${EXPECTED[f.kind]}, got null`);
          checkValue(f, v, i, v[i], frame, stack);
        }
      } else {
        checkValue(f, obj, f.name, v, frame, stack);
      }
    }
  }
}

function checkValue(f: FieldInfo, holder: Obj | unknown[], slot: string | number, v: unknown, frame: Frame, stack: Frame[]): void {
  const index = typeof slot === 'number' ? slot : -1;
  let ok: boolean;
  switch (f.kind) {
    case 'msg': {
      ok = typeof v === 'object' && v !== null && !Array.isArray(v);
      if (!ok) break;
      const depth = frame.depth + 1;
      if (depth > MAX_MESSAGE_DEPTH) throw new JsonCheckError(`${pathOf(frame, f.name, index)}: nested deeper than ${MAX_MESSAGE_DEPTH} messages`);
      stack.push({ obj: v as Obj, type: f.type!, depth, parent: frame, key: f.name, index });
      return;
    }
    case 'id':
      return;
    case 'string':
      ok = typeof v === 'string';
      break;
    case 'bool':
      ok = typeof v === 'boolean';
      break;
    case 'bytes':
      ok = typeof v === 'string' && BASE64.test(v);
      break;
    case 'float':
      ok = floatOk(v);
      break;
    case 'i32':
    case 'u32':
      ok = int32(v, f.kind === 'u32');
      break;
    case 'i64':
    case 'u64': {
      const r = int64(v, f.kind === 'u64');
      ok = r !== false;
      if (typeof r === 'string') (holder as Record<string | number, unknown>)[slot] = r;
      break;
    }
    case 'enum':
      ok = typeof v === 'string' ? Object.prototype.hasOwnProperty.call(f.names, v) : int32(v, false) && typeof v === 'number';
      break;
  }
  if (!ok) throw new JsonCheckError(`${pathOf(frame, f.name, index)}: must be ${EXPECTED[f.kind]}, got ${describe(v)}`);
}
