/**
 * Re-encoding by splicing. A protobuf request's byte ranges are recorded
 * down to its records (log records, spans, metric data points) and attached
 * to the decoded objects under a symbol. When the pipeline is done, the
 * request is written back by copying the original bytes of everything the
 * processors left alone (a record that was kept and not modified, a scope or
 * resource none of whose parts changed) and encoding only what changed.
 * Nothing untouched is re-encoded: its bytes, including fields this schema
 * does not know, go out exactly as they came in.
 *
 * The processors mark what they modify with {@link DIRTY} (records, or the
 * scope or resource when a transform writes their attributes); dropping a
 * record removes it from its array, as before. The payload object carries a
 * {@link WireRoot} under the hidden {@link WIRE} symbol, mapping each decoded
 * object (by identity) to its bytes; anything else (a copy made by
 * structuredClone for a second pipeline, a JSON request) takes the generic
 * encoder.
 */
import protobuf from 'protobufjs';
import type { SignalType } from '@otel-policy/proto';
import { METRIC_POINT_KINDS } from '@otel-policy/adapters';
import { CONTAINERS } from './shape.js';

/** The wire node of a decoded object (symbol-keyed: invisible to JSON and to protobufjs). */
export const WIRE = Symbol('otel-policy.wire');
/** Set on an object whose own fields (or whose descendants' fields) were modified in place. */
export const DIRTY = Symbol('otel-policy.dirty');

/** One field of a message on the wire. */
export interface WireField {
  field: number;
  wire: number;
  /** Tag start. */
  start: number;
  /** Payload start (after the length, for length-delimited fields). */
  body: number;
  end: number;
  /** The message's own fields, for containers. */
  fields?: WireField[];
}

/** What the request object carries: the original bytes, the request's fields, and each decoded object's field. */
export interface WireRoot {
  bytes: Uint8Array;
  fields: WireField[];
  /** Decoded object -> its field on the wire (identity: a copy is not in here and takes the generic encoder). */
  nodes: Map<object, WireField>;
}

type Obj = Record<string | symbol, unknown>;

/**
 * Set a hidden (non-enumerable) symbol property: invisible to JSON, to
 * protobufjs, to spreads and to deep-equality checks.
 */
export function hide(o: object, key: symbol, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, configurable: true, enumerable: false });
}

function fieldsOf(bytes: Uint8Array, start: number, end: number): WireField[] {
  const r = protobuf.Reader.create(bytes);
  r.pos = start;
  const out: WireField[] = [];
  while (r.pos < end) {
    const at = r.pos;
    const tag = r.uint32();
    const wire = tag & 7;
    if (wire === 2) {
      const len = r.uint32();
      const body = r.pos;
      r.pos = body + len;
      out.push({ field: tag >>> 3, wire, start: at, body, end: r.pos });
    } else {
      r.skipType(wire);
      out.push({ field: tag >>> 3, wire, start: at, body: at, end: r.pos });
    }
  }
  if (r.pos !== end) throw new Error('truncated message');
  return out;
}

/** A Metric's data case key by its field number. */
const KIND_FIELDS: Record<number, string> = Object.fromEntries(METRIC_POINT_KINDS.map((k) => [k.field, k.json]));

/** Keys of the three levels above the records. */
const LEVELS = CONTAINERS;

const children = (fields: WireField[], field: number) => fields.filter((f) => f.field === field && f.wire === 2);

/** Pair `objs` with the wire fields of `field`; false if they do not line up. */
function pair(objs: unknown, fields: WireField[], field: number): [Obj, WireField][] | undefined {
  const wire = children(fields, field);
  const list = Array.isArray(objs) ? (objs as Obj[]) : [];
  if (list.length !== wire.length) return undefined;
  return list.map((o, i) => [o, wire[i]]);
}

/**
 * Attach wire nodes to a freshly decoded payload (`toObject` output, arrays
 * in wire order). Returns false, attaching nothing usable, if the shapes do
 * not line up (then the generic encoder is used).
 */
export function attachWire(signal: SignalType, data: Obj, bytes: Uint8Array): boolean {
  try {
    const [resKey, scopeKey, recKey] = LEVELS[signal];
    const rootFields = fieldsOf(bytes, 0, bytes.length);
    const nodes = new Map<object, WireField>();
    const resources = pair(data[resKey], rootFields, 1);
    if (!resources) return false;
    for (const [res, rf] of resources) {
      rf.fields = fieldsOf(bytes, rf.body, rf.end);
      nodes.set(res, rf);
      const scopes = pair(res[scopeKey], rf.fields, 2);
      if (!scopes) return false;
      for (const [scope, sf] of scopes) {
        sf.fields = fieldsOf(bytes, sf.body, sf.end);
        nodes.set(scope, sf);
        const records = pair(scope[recKey], sf.fields, 2);
        if (!records) return false;
        for (const [rec, f] of records) {
          nodes.set(rec, f);
          if (signal !== 'metrics') continue;
          // A Metric: its data kind holds the points (field 1).
          f.fields = fieldsOf(bytes, f.body, f.end);
          for (const kf of f.fields) {
            const key = KIND_FIELDS[kf.field];
            if (key === undefined || kf.wire !== 2) continue;
            kf.fields = fieldsOf(bytes, kf.body, kf.end);
            const body = rec[key] as Obj | undefined;
            if (!body) return false;
            nodes.set(body, kf);
            const points = pair(body.dataPoints, kf.fields, 1);
            if (!points) return false;
            for (const [p, pf] of points) nodes.set(p, pf);
          }
        }
      }
    }
    hide(data, WIRE, { bytes, fields: rootFields, nodes } satisfies WireRoot);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------

/**
 * Output under construction: new bytes, and ranges of the original request,
 * merged when contiguous (a run of kept records is one copy).
 */
class Out {
  /** Uint8Array (new bytes) or a [start, end) range of the original, as two numbers. */
  readonly parts: (Uint8Array | number)[] = [];
  length = 0;
  private lastEnd = -1;
  push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
    this.lastEnd = -1;
  }
  range(start: number, end: number): void {
    if (start === this.lastEnd) this.parts[this.parts.length - 1] = end;
    else this.parts.push(start, end);
    this.length += end - start;
    this.lastEnd = end;
  }
  append(o: Out): void {
    for (let i = 0; i < o.parts.length; i++) {
      const p = o.parts[i];
      if (typeof p === 'number') this.range(p, o.parts[++i] as number);
      else this.push(p);
    }
  }
  /** The bytes, given the original request. */
  bytes(original: Uint8Array): Uint8Array {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < this.parts.length; i++) {
      const p = this.parts[i];
      chunks.push(typeof p === 'number' ? original.subarray(p, this.parts[++i] as number) : p);
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.length);
  }
}

function varint(n: number, into: number[]): void {
  while (n > 127) {
    into.push((n & 127) | 128);
    n >>>= 7;
  }
  into.push(n);
}

function header(field: number, len: number): Uint8Array {
  const b: number[] = [];
  varint((field << 3) | 2, b);
  varint(len, b);
  return Uint8Array.from(b);
}

/** Encodes a changed object of one level (the generic encoder, identifiers handled). */
export type LevelEncoder = (level: 'resource' | 'scope' | 'record', obj: Obj) => Uint8Array;

class Splicer {
  private readonly nodes: Map<object, WireField>;

  constructor(
    root: WireRoot,
    private readonly signal: SignalType,
    private readonly encode: LevelEncoder,
  ) {
    this.nodes = root.nodes;
  }

  private original(f: WireField, out: Out): void {
    out.range(f.start, f.end);
  }

  private encoded(f: WireField, level: 'resource' | 'scope' | 'record', obj: Obj, out: Out): void {
    const body = this.encode(level, obj);
    out.push(header(f.field, body.length));
    out.push(body);
  }

  /**
   * Write a container: its non-child fields as they were, then its kept
   * children. Returns true when nothing in it changed (the caller then copies
   * the original range instead).
   */
  private container(fields: WireField[], childField: number, kept: unknown, emitChild: (o: Obj, f: WireField, out: Out) => boolean, out: Out): boolean {
    const list = Array.isArray(kept) ? (kept as Obj[]) : [];
    let k = 0;
    let same = true;
    for (const f of fields) {
      if (f.field === childField && f.wire === 2) {
        const o = list[k];
        if (o !== undefined && this.nodes.get(o) === f) {
          k++;
          if (!emitChild(o, f, out)) same = false;
        } else same = false; // dropped
      } else this.original(f, out);
    }
    if (k !== list.length) throw new Error('a kept object has no wire node');
    return same;
  }

  /** Emit a child message `o` at field `f`, spliced; returns whether it is unchanged. */
  private child(o: Obj, f: WireField, level: 'resource' | 'scope' | 'record', inner: (o: Obj, f: WireField, out: Out) => boolean, out: Out): boolean {
    if (o[DIRTY]) {
      this.encoded(f, level, o, out);
      return false;
    }
    const tmp = new Out();
    if (inner(o, f, tmp)) {
      this.original(f, out);
      return true;
    }
    out.push(header(f.field, tmp.length));
    out.append(tmp);
    return false;
  }

  private record = (o: Obj, f: WireField, out: Out): boolean => {
    if (this.signal !== 'metrics') {
      if (o[DIRTY]) {
        this.encoded(f, 'record', o, out);
        return false;
      }
      this.original(f, out);
      return true;
    }
    return this.child(o, f, 'record', (m, mf, tmp) => this.metric(m, mf, tmp), out);
  };

  private metric(m: Obj, mf: WireField, out: Out): boolean {
    let same = true;
    for (const kf of mf.fields ?? []) {
      const key = KIND_FIELDS[kf.field];
      const body = key === undefined ? undefined : (m[key] as Obj | undefined);
      if (body === undefined || kf.wire !== 2 || this.nodes.get(body) !== kf) {
        this.original(kf, out);
        continue;
      }
      const tmp = new Out();
      if (this.container(kf.fields ?? [], 1, body.dataPoints, (_p, pf, o) => (this.original(pf, o), true), tmp)) this.original(kf, out);
      else {
        same = false;
        out.push(header(kf.field, tmp.length));
        out.append(tmp);
      }
    }
    return same;
  }

  request(root: WireRoot, data: Obj): Uint8Array {
    const [resKey, scopeKey, recKey] = LEVELS[this.signal];
    const out = new Out();
    const same = this.container(
      root.fields,
      1,
      data[resKey],
      (res, rf, o) =>
        this.child(
          res,
          rf,
          'resource',
          (r, f, t) =>
            this.container(f.fields ?? [], 2, r[scopeKey], (sc, sf, o2) => this.child(sc, sf, 'scope', (s, f2, t2) => this.container(f2.fields ?? [], 2, s[recKey], this.record, t2), o2), t),
          o,
        ),
      out,
    );
    if (same) return root.bytes;
    return out.bytes(root.bytes);
  }
}

/**
 * Encode a payload that carries its wire nodes by splicing, or return
 * undefined when it does not (then use the generic encoder).
 */
export function spliceRequest(signal: SignalType, data: Obj, encode: LevelEncoder): Uint8Array | undefined {
  const root = data[WIRE] as WireRoot | undefined;
  if (root === undefined) return undefined;
  try {
    return new Splicer(root, signal, encode).request(root, data);
  } catch {
    return undefined;
  }
}
