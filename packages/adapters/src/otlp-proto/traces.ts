import { spanReads, type SpanEvent } from '../shared/span-reads.js';
import type { RecordReads } from '../shared/attribute-reads.js';
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES } from '../shared/span-enums.js';
import { WireAttributes, wireAttributeReads } from './any-value.js';
import { lastString, type WireCursor } from './cursor.js';
import { recordHex } from './logs.js';
import { find, found, hex, LEN, next, varint, VARINT } from './wire.js';

// Span fields (opentelemetry.proto.trace.v1).
const TRACE_ID = 1;
const SPAN_ID = 2;
const TRACE_STATE = 3;
const PARENT_SPAN_ID = 4;
const NAME = 5;
const KIND = 6;
const ATTRIBUTES = 9;
const EVENTS = 11;
const LINKS = 13;
const STATUS = 15;
// Span.Event, Span.Link and Status.
const EVENT_NAME = 2;
const EVENT_ATTRIBUTES = 3;
const LINK_TRACE_ID = 1;
const STATUS_CODE = 3;
// InstrumentationScope.
const SCOPE_NAME = 1;
const SCOPE_VERSION = 2;

/** A span link on the wire. */
interface WireLink {
  bytes: Uint8Array;
  start: number;
  end: number;
}

/** An enum field of `[start, end)` by its names (unknown and absent read as the first name). */
function enumName(b: Uint8Array, start: number, end: number, field: number, names: readonly string[]): string {
  if (!find(b, start, end, field, VARINT)) return names[0];
  return names[varint(b, found.start)] ?? names[0];
}

/** The span's events (built when a policy reads them). */
function events(c: WireCursor): SpanEvent<WireAttributes>[] {
  const out: SpanEvent<WireAttributes>[] = [];
  let from = c.recordStart;
  while (next(c.bytes, from, c.recordEnd, EVENTS)) {
    const s = found.start;
    const e = found.end;
    from = e;
    out.push({ name: lastString(c.bytes, s, e, EVENT_NAME), attributes: new WireAttributes().set(c.bytes, s, e, EVENT_ATTRIBUTES) });
  }
  return out;
}

function links(c: WireCursor): WireLink[] {
  const out: WireLink[] = [];
  let from = c.recordStart;
  while (next(c.bytes, from, c.recordEnd, LINKS)) {
    out.push({ bytes: c.bytes, start: found.start, end: found.end });
    from = found.end;
  }
  return out;
}

/**
 * Reads of a span in an OTLP protobuf request, in place (see
 * {@link WireCursor}): the same answers as the OTLP/JSON accessor gives for
 * the same span decoded.
 */
export const otlpProtoSpanAccessor: RecordReads<WireCursor> = spanReads(wireAttributeReads, {
  recordAttributes: (c) => c.recordAttributes(ATTRIBUTES),
  resourceAttributes: (c) => c.resourceAttributes(),
  scopeAttributes: (c) => c.scopeAttributes(),
  name: (c) => lastString(c.bytes, c.recordStart, c.recordEnd, NAME),
  traceId: (c) => recordHex(c, TRACE_ID),
  spanId: (c) => recordHex(c, SPAN_ID),
  parentSpanId: (c) => recordHex(c, PARENT_SPAN_ID),
  traceState: (c) => lastString(c.bytes, c.recordStart, c.recordEnd, TRACE_STATE),
  resourceSchemaUrl: (c) => c.resourceSchemaUrl(),
  scopeSchemaUrl: (c) => c.scopeSchemaUrl(),
  scopeName: (c) => c.scopeString(SCOPE_NAME),
  scopeVersion: (c) => c.scopeString(SCOPE_VERSION),
  kindName: (c) => enumName(c.bytes, c.recordStart, c.recordEnd, KIND, SPAN_KIND_NAMES),
  statusName: (c) => (find(c.bytes, c.recordStart, c.recordEnd, STATUS, LEN) ? enumName(c.bytes, found.start, found.end, STATUS_CODE, STATUS_CODE_NAMES) : STATUS_CODE_NAMES[0]),
  events,
  links,
  linkTraceId: (l) => (find(l.bytes, l.start, l.end, LINK_TRACE_ID, LEN) ? hex(l.bytes, found.start, found.end) : undefined),
});
