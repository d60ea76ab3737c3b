/** Bounds checked on a sync message before it is decoded. */
import protobuf from 'protobufjs';
import { SyncDecodeError } from './messages.js';

/**
 * Bounds on a message to decode, checked before it is decoded (a cheap pass
 * that allocates nothing per value): how deeply messages (JSON: objects and
 * lists) nest, and how many values it holds (fields present, list elements;
 * a packed list counts one per byte). Decoding costs time and memory per
 * value, far more than the few bytes a value takes on the wire.
 */
export interface DecodeLimits {
  maxDepth: number;
  maxValues: number;
}

/** Walk a binary message by its schema without decoding it. @throws SyncDecodeError */
export function checkBinaryLimits(root: protobuf.Type, bytes: Uint8Array, limits: DecodeLimits): void {
  const fail = (why: string) => new SyncDecodeError(`cannot decode ${root.name} (protobuf): ${why}`);
  const reader = protobuf.Reader.create(bytes);
  const stack: { type: protobuf.Type; end: number }[] = [{ type: root, end: bytes.length }];
  let values = 0;
  try {
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (reader.pos >= top.end) {
        if (reader.pos > top.end) throw fail('a field runs past the end of its message');
        stack.pop();
        continue;
      }
      const tag = reader.uint32();
      if (++values > limits.maxValues) throw fail(`more than ${limits.maxValues} values`);
      const field = top.type.fieldsById[tag >>> 3] as protobuf.Field | undefined;
      if ((tag & 7) !== 2) {
        reader.skipType(tag & 7);
        continue;
      }
      const len = reader.uint32();
      const end = reader.pos + len;
      if (end > top.end) throw fail('a length runs past the end of its message');
      if (field?.resolvedType instanceof protobuf.Type) {
        if (stack.length >= limits.maxDepth) throw fail(`nested deeper than ${limits.maxDepth} levels`);
        stack.push({ type: field.resolvedType, end });
        continue;
      }
      // A packed list: at least one byte per element.
      if (field?.repeated && field.type !== 'string' && field.type !== 'bytes') {
        values += len;
        if (values > limits.maxValues) throw fail(`more than ${limits.maxValues} values`);
      }
      reader.pos = end;
    }
  } catch (err) {
    if (err instanceof SyncDecodeError) throw err;
    throw fail((err as Error).message);
  }
}

/**
 * Scan JSON text before parsing it (parsing is what costs): the nesting of
 * objects and lists, and the values in them (each comma, each object or
 * list), outside strings. @throws SyncDecodeError
 */
export function checkJsonLimits(type: protobuf.Type, text: string | Uint8Array, limits: DecodeLimits): void {
  const n = text.length;
  const at = typeof text === 'string' ? (i: number) => text.charCodeAt(i) : (i: number) => text[i];
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < n; i++) {
    const c = at(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      // { [
      if (++depth > limits.maxDepth) throw new SyncDecodeError(`cannot decode ${type.name} (JSON): nested deeper than ${limits.maxDepth} levels`);
      if (++values > limits.maxValues) break;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && ++values > limits.maxValues) break;
  }
  if (values > limits.maxValues) throw new SyncDecodeError(`cannot decode ${type.name} (JSON): more than ${limits.maxValues} values`);
}
