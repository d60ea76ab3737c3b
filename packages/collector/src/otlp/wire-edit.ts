/**
 * What one pipeline did to a located request (wire-request.ts), and the
 * request written back from it. Dropped records are left out; a record a
 * policy rewrote, or a resource or scope whose attributes or schema URL a
 * transform wrote, was decoded into OTLP/JSON objects when it was first
 * written, and only those are encoded again. Everything else, unknown
 * fields included, goes out as the bytes it came in as; a request nothing
 * changed is sent as its original body.
 */
import protobuf from 'protobufjs';
import { otlpProto } from '@otel-policy/adapters';
import type { SignalType } from '@otel-policy/proto';
import type { Obj } from './shape.js';
import type { WireMetric, WireRequest, WireScope, WireSpan } from './wire-request.js';

/** Encodes what a pipeline rewrote: a record, or the head (Resource/Scope and schema_url) of a level. */
export type PartEncoder = (signal: SignalType, part: 'resource' | 'scope' | 'record', obj: Obj) => Uint8Array;

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
  /** Append `o` as a length-delimited field `field`. */
  field(field: number, o: Out): void {
    this.push(header(field, o.length));
    for (let i = 0; i < o.parts.length; i++) {
      const p = o.parts[i];
      if (typeof p === 'number') this.range(p, o.parts[++i] as number);
      else this.push(p);
    }
  }
  /** The bytes, given the original request: one allocation, ranges copied natively. */
  bytes(original: Uint8Array): Uint8Array {
    const p = this.parts;
    if (p.length === 2 && typeof p[0] === 'number') return original.subarray(p[0], p[1] as number);
    const src = Buffer.isBuffer(original) ? original : Buffer.from(original.buffer, original.byteOffset, original.byteLength);
    const out = Buffer.allocUnsafe(this.length);
    let at = 0;
    for (let i = 0; i < p.length; i++) {
      const part = p[i];
      if (typeof part === 'number') at += src.copy(out, at, part, p[++i] as number);
      else {
        out.set(part, at);
        at += part.length;
      }
    }
    return out;
  }
}

/** A length-delimited field's tag and length. */
function header(field: number, len: number): Uint8Array {
  return protobuf.Writer.create()
    .uint32((field << 3) | 2)
    .uint32(len)
    .finish();
}

const { varint, position, skip } = otlpProto.wire;

/** Visit the fields of `[start, end)` of a checked message: tag start, field number, wire type and end. */
function eachField(b: Uint8Array, start: number, end: number, fn: (tagAt: number, field: number, wire: number, fieldEnd: number) => void): void {
  let pos = start;
  while (pos < end) {
    const tagAt = pos;
    const tag = varint(b, pos);
    const wire = tag & 7;
    pos = skip(b, position(), wire, end);
    fn(tagAt, tag >>> 3, wire, pos);
  }
}

/** The edits of one pipeline over a located request (see the module comment). */
export class WireEdit {
  /** Whether policies walked the request: then scopes and resources left without records are pruned, as the OTLP/JSON walk prunes them. */
  walked = false;
  /** Dropped records and data points, by their tag's offset. */
  private readonly dropped = new Set<number>();
  /** Rewritten records and level heads, by their tag's offset, as OTLP/JSON objects. */
  readonly rewritten = new Map<number, Obj>();
  /** Records dropped (data points, for metrics). */
  removed = 0;

  constructor(readonly request: WireRequest) {}

  drop(s: WireSpan): void {
    this.dropped.add(s.start);
  }

  isDropped(s: WireSpan): boolean {
    return this.dropped.has(s.start);
  }

  /** Whether the request goes out as it came in. */
  get unchanged(): boolean {
    return !this.walked && this.request.rejected === 0 && this.dropped.size === 0 && this.rewritten.size === 0;
  }

  /** The request as this pipeline leaves it, protobuf-encoded. */
  encode(encodePart: PartEncoder): { bytes: Uint8Array; resources: number } {
    const req = this.request;
    if (this.unchanged) return { bytes: req.bytes, resources: req.resources.length };
    return new Splice(this, encodePart).request();
  }
}

type Status = 'same' | 'changed' | 'gone';

class Splice {
  private readonly b: Uint8Array;
  private readonly signal: SignalType;
  /** Prune containers left empty (after policies or rejections). */
  private readonly prune: boolean;

  constructor(
    private readonly edit: WireEdit,
    private readonly encodePart: PartEncoder,
  ) {
    this.b = edit.request.bytes;
    this.signal = edit.request.signal;
    this.prune = edit.walked || edit.request.rejected > 0;
  }

  request(): { bytes: Uint8Array; resources: number } {
    const out = new Out();
    const resources = this.edit.request.resources;
    let k = 0;
    let written = 0;
    eachField(this.b, 0, this.b.length, (tagAt, field, wire, end) => {
      if (field === 1 && wire === 2 && resources[k]?.start === tagAt) {
        const r = resources[k++];
        if (this.level(r, 'resource', r.scopes, (sc, o) => this.scope(sc as WireScope, o), out) !== 'gone') written++;
      } else out.range(tagAt, end);
    });
    return { bytes: out.bytes(this.b), resources: written };
  }

  /**
   * Write a level (resource or scope) into `out`: its head as it was or
   * rewritten, then its children through `child`. Copies the level's
   * original bytes when nothing in it changed; leaves it out when it was
   * left without children and empty levels are pruned.
   */
  private level(level: WireSpan, part: 'resource' | 'scope', children: readonly WireSpan[], child: (c: WireSpan, out: Out) => Status, out: Out): Status {
    const inner = new Out();
    const head = this.edit.rewritten.get(level.start);
    let same = head === undefined;
    let written = 0;
    let k = 0;
    if (head !== undefined) inner.push(this.encodePart(this.signal, part, head));
    eachField(this.b, level.body, level.end, (tagAt, field, wire, end) => {
      if (field === 2 && wire === 2) {
        if (children[k]?.start !== tagAt) {
          same = false; // rejected on the way in
          return;
        }
        const r = child(children[k++], inner);
        if (r !== 'gone') written++;
        if (r !== 'same') same = false;
        return;
      }
      // A rewritten head replaces the level's own fields (resource/scope and schema_url).
      if (head !== undefined && (field === 1 || field === 3)) return;
      inner.range(tagAt, end);
    });
    if (this.prune && written === 0) return 'gone';
    if (same) {
      out.range(level.start, level.end);
      return 'same';
    }
    out.field(part === 'resource' ? 1 : 2, inner);
    return 'changed';
  }

  private scope(s: WireScope, out: Out): Status {
    const metrics = s.metrics;
    let i = 0;
    return this.level(
      s,
      'scope',
      s.records,
      (r, o) => {
        const m = metrics?.[i++];
        if (m !== undefined) return this.metric(m, o);
        if (this.edit.isDropped(r)) return 'gone';
        const obj = this.edit.rewritten.get(r.start);
        if (obj === undefined) {
          o.range(r.start, r.end);
          return 'same';
        }
        const body = this.encodePart(this.signal, 'record', obj);
        o.push(header(2, body.length));
        o.push(body);
        return 'changed';
      },
      out,
    );
  }

  /** A Metric: its points minus the dropped ones (a metric left without points is gone). */
  private metric(m: WireMetric, out: Out): Status {
    if (this.edit.isDropped(m)) return 'gone';
    const kept = m.points.filter((p) => !this.edit.isDropped(p));
    if (m.rejected === 0 && kept.length === m.points.length) {
      out.range(m.start, m.end);
      return 'same';
    }
    if (kept.length === 0) return 'gone';
    const inner = new Out();
    eachField(this.b, m.body, m.end, (tagAt, field, wire, end) => {
      if (m.kind === undefined || tagAt !== m.kind.start) {
        inner.range(tagAt, end);
        return;
      }
      const kind = new Out();
      let k = 0;
      eachField(this.b, m.kind.body, m.kind.end, (pAt, pField, pWire, pEnd) => {
        if (pField !== 1 || pWire !== 2) kind.range(pAt, pEnd);
        else if (kept[k]?.start === pAt) {
          k++;
          kind.range(pAt, pEnd);
        }
      });
      inner.field(field, kind);
    });
    out.field(2, inner);
    return 'changed';
  }
}
