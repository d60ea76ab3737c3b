import { logReads } from '../shared/log-reads.js';
import type { RecordReads } from '../shared/attribute-reads.js';
import { wireAttributeReads, wireValue } from './any-value.js';
import type { WireCursor } from './cursor.js';
import { find, found, hex, LEN } from './wire.js';
import { lastString } from './cursor.js';

// LogRecord fields (opentelemetry.proto.logs.v1).
const SEVERITY_TEXT = 3;
const BODY = 5;
const ATTRIBUTES = 6;
const TRACE_ID = 9;
const SPAN_ID = 10;
const EVENT_NAME = 12;

/** A bytes field of the record as hex ('' when empty, undefined when absent). */
export function recordHex(c: WireCursor, field: number): string | undefined {
  return find(c.bytes, c.recordStart, c.recordEnd, field, LEN) ? hex(c.bytes, found.start, found.end) : undefined;
}

/**
 * Reads of a log record in an OTLP protobuf request, in place (see
 * {@link WireCursor}): the same answers as the OTLP/JSON accessor gives for
 * the same record decoded.
 */
export const otlpProtoLogAccessor: RecordReads<WireCursor> = logReads(wireAttributeReads, {
  recordAttributes: (c) => c.recordAttributes(ATTRIBUTES),
  resourceAttributes: (c) => c.resourceAttributes(),
  scopeAttributes: (c) => c.scopeAttributes(),
  body: (c) => (find(c.bytes, c.recordStart, c.recordEnd, BODY, LEN) ? wireValue(c.bytes, found.start, found.end) : undefined),
  severityText: (c) => lastString(c.bytes, c.recordStart, c.recordEnd, SEVERITY_TEXT),
  traceId: (c) => recordHex(c, TRACE_ID),
  spanId: (c) => recordHex(c, SPAN_ID),
  eventName: (c) => lastString(c.bytes, c.recordStart, c.recordEnd, EVENT_NAME),
  resourceSchemaUrl: (c) => c.resourceSchemaUrl(),
  scopeSchemaUrl: (c) => c.scopeSchemaUrl(),
});
