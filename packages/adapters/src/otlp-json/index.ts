export * from './types.js';
export { BatchOutcome } from './outcome.js';
export { findAttribute, normalizeId, readAnyValue } from './any-value.js';
export { otlpJsonLogAccessor, applyToLogs, type LogCursor } from './logs.js';
export { otlpJsonSpanAccessor, applyToTraces, spanKindName, statusCodeName, type SpanCursor } from './traces.js';
export { otlpJsonDataPointAccessor, applyToMetrics, metricTypeName, temporalityName, dataPointsOf, type DataPointCursor } from './metrics.js';
export { checkOtlpJsonShape, OtlpShapeError, MAX_DEPTH } from './validate.js';
