export * from './types.js';
export { BatchOutcome, countResult } from '../shared/outcome.js';
export { findAttribute, readAnyValue } from './any-value.js';
export { normalizeId } from '../shared/ids.js';
export { otlpJsonLogAccessor, applyToLogs, type LogCursor } from './logs.js';
export { otlpJsonSpanAccessor, applyToTraces, spanKindName, statusCodeName, type SpanCursor } from './traces.js';
export { otlpJsonDataPointAccessor, applyToMetrics, metricTypeName, temporalityName, dataPointsOf, type DataPointCursor } from './metrics.js';
export { checkOtlpJsonShape, OtlpShapeError, MAX_DEPTH } from './validate.js';
