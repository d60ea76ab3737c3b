/**
 * Reading protobuf wire bytes where they lie, without decoding a message:
 * find a field, read a varint, a length-delimited payload or a fixed-width
 * value. The functions share one read position (`at`), so a read allocates
 * nothing; evaluation is synchronous and never interleaves two reads.
 *
 * Why not protobufjs's Reader: it is made to decode whole messages, and this
 * family never does; it reads a handful of fields out of records that are
 * otherwise copied through untouched. No dependency, and the same code runs
 * in a browser.
 *
 * The bytes come from a request that was checked on the way in (every
 * length inside its message), so a malformed range reads as "absent" rather
 * than throwing.
 */

/** Wire types. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;
export const FIXED32 = 5;

/** The read position the functions below advance. */
let at = 0;
/** The high 32 bits of the last {@link varint64} read. */
let high = 0;

/** The position after the last read. */
export const position = (): number => at;

/** Read an unsigned varint (up to 32 bits significant) at `pos`; see {@link position}. */
export function varint(b: Uint8Array, pos: number): number {
  let v = 0;
  let shift = 0;
  let i = pos;
  for (;;) {
    const byte = b[i++];
    if (byte === undefined) {
      at = b.length + 1;
      return 0;
    }
    if (shift < 28) v |= (byte & 127) << shift;
    else if (shift === 28) v += (byte & 15) * 268435456;
    if (byte < 128) break;
    shift += 7;
    if (shift > 63) break;
  }
  at = i;
  return v >>> 0;
}

/** Read a 64-bit varint at `pos`: returns the low 32 bits; {@link highBits} the high ones. */
export function varint64(b: Uint8Array, pos: number): number {
  let low = 0;
  let hi = 0;
  let i = pos;
  for (let shift = 0; shift < 70; shift += 7) {
    const byte = b[i++];
    if (byte === undefined) break;
    const bits = byte & 127;
    if (shift < 28) low |= bits << shift;
    else if (shift === 28) {
      low |= (bits & 15) << 28;
      hi |= bits >>> 4;
    } else hi |= bits << (shift - 32);
    if (byte < 128) break;
  }
  at = i;
  high = hi >>> 0;
  return low >>> 0;
}

export const highBits = (): number => high;

/** Skip a value of wire type `wire` starting at `pos`; returns the position after it (past `end` when malformed). */
export function skip(b: Uint8Array, pos: number, wire: number, end: number): number {
  switch (wire) {
    case VARINT:
      while (pos < end && b[pos] >= 128) pos++;
      return pos + 1;
    case FIXED64:
      return pos + 8;
    case LEN: {
      const len = varint(b, pos);
      return at + len;
    }
    case FIXED32:
      return pos + 4;
    default:
      return end + 1;
  }
}

/** Where {@link find} and {@link leading} found their field: the payload (after the length, for LEN) and its end. */
export const found = { start: 0, end: 0 };

/**
 * The common layout, read directly: a message whose first field is `field`
 * (length-delimited) and holds it once. Sets {@link found} and returns true;
 * false when the message is laid out otherwise (then use {@link find}).
 */
export function leading(b: Uint8Array, start: number, end: number, field: number): boolean {
  if (start >= end || b[start] !== ((field << 3) | LEN)) return false;
  const len = varint(b, start + 1);
  const body = at;
  const stop = body + len;
  if (stop > end) return false;
  // A later occurrence would win: only a sole occurrence is taken here.
  let pos = stop;
  while (pos < end) {
    const tag = varint(b, pos);
    if (tag >>> 3 === field) return false;
    pos = skip(b, at, tag & 7, end);
  }
  found.start = body;
  found.end = stop;
  return true;
}

/**
 * Find the last occurrence of `field` (wire type `wire`) in the message
 * `[start, end)`; sets {@link found} and returns true when there is one.
 * The last occurrence is what a decoder keeps for a singular field.
 */
export function find(b: Uint8Array, start: number, end: number, field: number, wire: number): boolean {
  let pos = start;
  let hit = false;
  let s = 0;
  let e = 0;
  while (pos < end) {
    const tag = varint(b, pos);
    pos = at;
    const w = tag & 7;
    if (w === LEN) {
      const len = varint(b, pos);
      const body = at;
      pos = body + len;
      if (tag >>> 3 === field && wire === LEN) {
        hit = true;
        s = body;
        e = pos;
      }
    } else {
      const next = skip(b, pos, w, end);
      if (tag >>> 3 === field && w === wire) {
        hit = true;
        s = pos;
        e = next;
      }
      pos = next;
    }
  }
  if (pos !== end) return false;
  found.start = s;
  found.end = e;
  return hit;
}

/** Iterate the LEN occurrences of `field` in `[start, end)`: call with the previous payload end (or `start`); sets {@link found}. */
export function next(b: Uint8Array, from: number, end: number, field: number): boolean {
  let pos = from;
  while (pos < end) {
    const tag = varint(b, pos);
    pos = at;
    const w = tag & 7;
    if (w === LEN) {
      const len = varint(b, pos);
      const body = at;
      pos = body + len;
      if (pos > end) return false;
      if (tag >>> 3 === field) {
        found.start = body;
        found.end = pos;
        return true;
      }
    } else pos = skip(b, pos, w, end);
  }
  return false;
}

const scratch = new DataView(new ArrayBuffer(8));

/** A little-endian double at `pos`. */
export function double(b: Uint8Array, pos: number): number {
  for (let i = 0; i < 8; i++) scratch.setUint8(i, b[pos + i]);
  return scratch.getFloat64(0, true);
}

type NodeBuffer = Uint8Array & { utf8Slice(start: number, end: number): string };
const decoder = new TextDecoder();
/** Node's Buffer decodes a range natively, without a view; elsewhere TextDecoder. */
const NodeBufferClass = (globalThis as { Buffer?: { isBuffer(b: unknown): boolean } }).Buffer;

/** The UTF-8 string at `[start, end)` (invalid sequences become U+FFFD, as decoders do). */
export function utf8(b: Uint8Array, start: number, end: number): string {
  if (start === end) return '';
  if (NodeBufferClass !== undefined && NodeBufferClass.isBuffer(b)) return (b as NodeBuffer).utf8Slice(start, end);
  return decoder.decode(b.subarray(start, end));
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of `[start, end)`. */
export function hex(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[b[i]];
  return s;
}

const encoder = new TextEncoder();
const keyBytes = new Map<string, Uint8Array>();

/** A key's UTF-8 bytes (cached: keys come from policies, a bounded set). */
export function utf8Bytes(key: string): Uint8Array {
  let k = keyBytes.get(key);
  if (k === undefined) {
    if (keyBytes.size > 10_000) keyBytes.clear();
    k = encoder.encode(key);
    keyBytes.set(key, k);
  }
  return k;
}

/** Whether `[start, end)` holds exactly `key`. */
export function bytesEqual(b: Uint8Array, start: number, end: number, key: Uint8Array): boolean {
  if (end - start !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (b[start + i] !== key[i]) return false;
  return true;
}
