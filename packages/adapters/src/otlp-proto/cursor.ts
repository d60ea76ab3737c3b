import { WireAttributes } from './any-value.js';
import { find, found, LEN, utf8 } from './wire.js';

/** Field numbers shared by ResourceLogs/Spans/Metrics and ScopeLogs/Spans/Metrics: the resource or scope (1) and schema_url (3). */
const HEAD = 1;
const SCHEMA_URL = 3;
/** Resource.attributes and InstrumentationScope.attributes. */
const RESOURCE_ATTRIBUTES = 1;
const SCOPE_ATTRIBUTES = 3;

/**
 * The head of a resource or scope level: its Resource / InstrumentationScope
 * message and schema_url, found once per level (the level's message also
 * holds every record under it, so it is not scanned again for each record).
 */
class LevelHead {
  /** The Resource / InstrumentationScope message, or -1. */
  start = -1;
  end = -1;
  /** schema_url's payload, or -1. */
  urlStart = -1;
  urlEnd = -1;
  private known = false;

  reset(): void {
    this.known = false;
  }

  ensure(b: Uint8Array, start: number, end: number): void {
    if (this.known) return;
    this.known = true;
    this.start = this.end = this.urlStart = this.urlEnd = -1;
    // The last occurrence of each, as a decoder keeps it.
    if (find(b, start, end, HEAD, LEN)) {
      this.start = found.start;
      this.end = found.end;
    }
    if (find(b, start, end, SCHEMA_URL, LEN)) {
      this.urlStart = found.start;
      this.urlEnd = found.end;
    }
  }
}

/**
 * Where one record sits in an OTLP protobuf request, by byte ranges: its
 * ResourceX and ScopeX messages (the payloads of `resource_*` and
 * `scope_*`), the record's message, and for metrics the data case and the
 * data point. A batch walker moves one cursor through a request, so reads
 * allocate nothing per record.
 */
export class WireCursor {
  bytes: Uint8Array = new Uint8Array(0);
  resourceStart = 0;
  resourceEnd = 0;
  scopeStart = 0;
  scopeEnd = 0;
  /** The LogRecord, Span or Metric message. */
  recordStart = 0;
  recordEnd = 0;
  /** Metrics: the Metric's data case (its field number, 0 for none) and its message. */
  kindField = 0;
  kindStart = 0;
  kindEnd = 0;
  /** Metrics: the data point's message, or -1 for a metric without points. */
  pointStart = -1;
  pointEnd = -1;
  /** Which field of the point holds its attributes (by data case). */
  pointAttributesField = 0;

  private readonly resourceHead = new LevelHead();
  private readonly scopeHead = new LevelHead();
  private readonly recordAttrs = new WireAttributes();
  private readonly resourceAttrs = new WireAttributes();
  private readonly scopeAttrs = new WireAttributes();

  /** Enter a ResourceX message of `bytes`. */
  enterResource(bytes: Uint8Array, start: number, end: number): void {
    this.bytes = bytes;
    this.resourceStart = start;
    this.resourceEnd = end;
    this.resourceHead.reset();
  }

  /** Enter a ScopeX message. */
  enterScope(start: number, end: number): void {
    this.scopeStart = start;
    this.scopeEnd = end;
    this.scopeHead.reset();
  }

  /** Enter a record (LogRecord, Span, Metric). */
  enterRecord(start: number, end: number): void {
    this.recordStart = start;
    this.recordEnd = end;
  }

  /** Metrics: enter a data point of the current metric (`start` -1 for none). */
  enterPoint(kindField: number, kindStart: number, kindEnd: number, start: number, end: number, attributesField: number): void {
    this.kindField = kindField;
    this.kindStart = kindStart;
    this.kindEnd = kindEnd;
    this.pointStart = start;
    this.pointEnd = end;
    this.pointAttributesField = attributesField;
  }

  /** The record's attributes (`field` of its message). */
  recordAttributes(field: number): WireAttributes {
    return this.recordAttrs.set(this.bytes, this.recordStart, this.recordEnd, field);
  }

  /** The data point's attributes, if there is a point. */
  pointAttributes(): WireAttributes | undefined {
    if (this.pointStart < 0) return undefined;
    return this.recordAttrs.set(this.bytes, this.pointStart, this.pointEnd, this.pointAttributesField);
  }

  /** The resource's attributes, when it has a Resource. */
  resourceAttributes(): WireAttributes | undefined {
    const h = this.resourceHead;
    h.ensure(this.bytes, this.resourceStart, this.resourceEnd);
    return h.start < 0 ? undefined : this.resourceAttrs.set(this.bytes, h.start, h.end, RESOURCE_ATTRIBUTES);
  }

  /** The scope's attributes, when it has an InstrumentationScope. */
  scopeAttributes(): WireAttributes | undefined {
    const h = this.scopeHead;
    h.ensure(this.bytes, this.scopeStart, this.scopeEnd);
    return h.start < 0 ? undefined : this.scopeAttrs.set(this.bytes, h.start, h.end, SCOPE_ATTRIBUTES);
  }

  resourceSchemaUrl(): string | undefined {
    const h = this.resourceHead;
    h.ensure(this.bytes, this.resourceStart, this.resourceEnd);
    return h.urlStart < 0 ? undefined : utf8(this.bytes, h.urlStart, h.urlEnd);
  }

  scopeSchemaUrl(): string | undefined {
    const h = this.scopeHead;
    h.ensure(this.bytes, this.scopeStart, this.scopeEnd);
    return h.urlStart < 0 ? undefined : utf8(this.bytes, h.urlStart, h.urlEnd);
  }

  /** A string field of the InstrumentationScope (name 1, version 2). */
  scopeString(field: number): string | undefined {
    const h = this.scopeHead;
    h.ensure(this.bytes, this.scopeStart, this.scopeEnd);
    if (h.start < 0) return undefined;
    return lastString(this.bytes, h.start, h.end, field);
  }
}

/** The last occurrence of a string field in `[start, end)`, or undefined. */
export function lastString(b: Uint8Array, start: number, end: number, field: number): string | undefined {
  return find(b, start, end, field, LEN) ? utf8(b, found.start, found.end) : undefined;
}
