/**
 * Reading OTLP protobuf requests in place: accessors over the wire bytes of
 * log records, spans and metric data points, for services that evaluate
 * policies without decoding what no policy reads (the collector). Read-only:
 * a caller that rewrites a record decodes that record and writes it through
 * the OTLP/JSON accessor.
 */
export { WireCursor } from './cursor.js';
export { WireAttributes, wireAttributeReads, type WireValue } from './any-value.js';
export { otlpProtoLogAccessor } from './logs.js';
export { otlpProtoSpanAccessor } from './traces.js';
export { otlpProtoDataPointAccessor, POINT_ATTRIBUTES_FIELD } from './metrics.js';
export * as wire from './wire.js';
