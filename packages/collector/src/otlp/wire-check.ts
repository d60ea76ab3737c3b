/**
 * Checking a protobuf message without decoding it: every tag, length and
 * wire type, all the way down, against the OTLP schema (read from the protos
 * by reflection, so nothing here restates a field table). A body that
 * passes can be read in place and copied through; one that does not is
 * answered 400 / INVALID_ARGUMENT, as when the decoder refused it.
 *
 * Identifiers are checked too: a trace or span ID that is neither empty nor
 * of its length makes the record that holds it invalid (rejected as a
 * partial success, not a failed request).
 */
import protobuf from 'protobufjs';
import { MAX_MESSAGE_DEPTH } from './json-check.js';

/** What one field must look like. */
interface FieldSpec {
  /** Its wire type. */
  wire: number;
  /** A repeated scalar that may also come packed (length-delimited). */
  packable: boolean;
  /** A repeated field (anything else should occur once). */
  repeated: boolean;
  /** Its message type, for message fields. */
  message?: MessageSpec;
  /** For trace and span IDs: the one valid non-zero length. */
  idLength?: number;
}

/** A message's fields by number. */
export interface MessageSpec {
  readonly name: string;
  readonly fields: (FieldSpec | undefined)[];
}

const ID_LENGTHS: Record<string, number> = { traceId: 16, spanId: 8, parentSpanId: 8 };

const specs = new Map<protobuf.Type, MessageSpec>();

/** The spec of a message type (built once; recursive types share their spec). */
export function messageSpec(type: protobuf.Type): MessageSpec {
  let spec = specs.get(type);
  if (spec) return spec;
  const fields: (FieldSpec | undefined)[] = [];
  spec = { name: type.name, fields };
  specs.set(type, spec);
  for (const f of type.fieldsArray) {
    f.resolve();
    const isMessage = f.resolvedType instanceof protobuf.Type;
    const basic = (protobuf.types.basic as Record<string, number | undefined>)[f.type];
    const wire = isMessage ? 2 : f.resolvedType instanceof protobuf.Enum ? 0 : (basic ?? 2);
    const packable = f.repeated && !isMessage && wire !== 2;
    fields[f.id] = {
      wire,
      packable,
      repeated: f.repeated,
      message: isMessage ? messageSpec(f.resolvedType as protobuf.Type) : undefined,
      idLength: f.type === 'bytes' ? ID_LENGTHS[f.name] : undefined,
    };
  }
  return spec;
}

/** A body the schema refuses. */
export class WireCheckError extends Error {
  override readonly name = 'WireCheckError';
}

/**
 * A valid body that cannot be read in place: a message field that should
 * occur once occurs again (decoders keep or merge differently, so what the
 * policies read could differ from what the backend sees). Such a request is
 * decoded instead, and what goes out is what was evaluated.
 */
export class WireIrregular extends Error {
  override readonly name = 'WireIrregular';
}

/** Whether field `field` of `spec` is a message that should occur once. */
export function singularMessage(spec: MessageSpec, field: number): boolean {
  const f = spec.fields[field];
  return f !== undefined && f.message !== undefined && !f.repeated;
}

/** Note one occurrence of `field` in `seen` (a bit per field number); throws {@link WireIrregular} at a second occurrence of a singular message. */
export function once(spec: MessageSpec, field: number, seen: number): number {
  if (field > 30 || !singularMessage(spec, field)) return seen;
  const bit = 1 << field;
  if (seen & bit) throw new WireIrregular(`${spec.name} field ${field} occurs more than once`);
  return seen | bit;
}

/** The read position of {@link varintAt} (one reader at a time: checks are synchronous). */
let at = 0;

function varintAt(b: Uint8Array, pos: number, end: number): number {
  let v = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new WireCheckError(`truncated varint at offset ${pos}`);
    const byte = b[pos++];
    if (shift < 28) v |= (byte & 127) << shift;
    else if (shift === 28) v += (byte & 15) * 268435456;
    if (byte < 128) {
      at = pos;
      return v >>> 0;
    }
    shift += 7;
  }
  throw new WireCheckError(`invalid varint at offset ${pos}`);
}

/** One field as {@link readField} found it (one object, reused: checks are synchronous). */
export interface FieldAt {
  field: number;
  wire: number;
  /** Its tag's offset. */
  tagAt: number;
  /** Its value's offset (after the length, for length-delimited fields). */
  body: number;
  /** Where it ends. */
  end: number;
}
const fieldAt: FieldAt = { field: 0, wire: 0, tagAt: 0, body: 0, end: 0 };

/**
 * Read the field at `pos` of a message of type `name` ending at `end`: its
 * tag, and where its value lies, every length and bound checked. Throws
 * {@link WireCheckError} when it is malformed.
 */
export function readField(b: Uint8Array, pos: number, end: number, name: string): FieldAt {
  const tagAt = pos;
  const tag = varintAt(b, pos, end);
  const field = tag >>> 3;
  const wire = tag & 7;
  if (field === 0) throw new WireCheckError(`invalid field number 0 at offset ${tagAt}`);
  let body = at;
  let fieldEnd: number;
  switch (wire) {
    case 0:
      varintAt(b, body, end);
      fieldEnd = at;
      break;
    case 1:
    case 5:
      fieldEnd = body + (wire === 1 ? 8 : 4);
      if (fieldEnd > end) throw new WireCheckError(`${name} field ${field} needs ${fieldEnd - body} bytes but only ${end - body} remain (offset ${tagAt})`);
      break;
    case 2: {
      const len = varintAt(b, body, end);
      body = at;
      fieldEnd = body + len;
      if (fieldEnd > end) throw new WireCheckError(`${name} field ${field} is ${len} bytes long but only ${end - body} remain (offset ${tagAt})`);
      break;
    }
    default:
      throw new WireCheckError(`invalid wire type ${wire} at offset ${tagAt}`);
  }
  fieldAt.field = field;
  fieldAt.wire = wire;
  fieldAt.tagAt = tagAt;
  fieldAt.body = body;
  fieldAt.end = fieldEnd;
  return fieldAt;
}

/**
 * Check the message `[start, end)` of `spec` and everything in it; throws
 * {@link WireCheckError} when it is malformed. Returns false when an
 * identifier in it has an invalid length (the caller rejects the record).
 * `depth` counts the messages around this one.
 */
export function checkMessage(b: Uint8Array, start: number, end: number, spec: MessageSpec, depth: number): boolean {
  if (depth > MAX_MESSAGE_DEPTH) throw new WireCheckError(`nested deeper than ${MAX_MESSAGE_DEPTH} messages (attribute values in kvlistValue / arrayValue)`);
  let ok = true;
  let seen = 0;
  /** Identifier fields whose last occurrence is invalid (a bit per field number): the last one is what decoders keep. */
  let badIds = 0;
  let pos = start;
  while (pos < end) {
    const { field, wire, tagAt, body, end: fieldEnd } = readField(b, pos, end, spec.name);
    pos = fieldEnd;
    const f = spec.fields[field];
    if (f !== undefined && wire !== f.wire && !(f.packable && wire === 2)) {
      throw new WireCheckError(`${spec.name} field ${field} has wire type ${wire}, expected ${f.wire} (offset ${tagAt})`);
    }
    if (wire !== 2) continue;
    if (f?.message !== undefined) {
      seen = once(spec, field, seen);
      if (!checkMessage(b, body, fieldEnd, f.message, depth + 1)) ok = false;
    } else if (f?.idLength !== undefined) {
      const len = fieldEnd - body;
      if (len !== 0 && len !== f.idLength) badIds |= 1 << field;
      else badIds &= ~(1 << field);
    }
  }
  if (pos !== end) throw new WireCheckError(`${spec.name} ends past its length (offset ${end})`);
  return ok && badIds === 0;
}
