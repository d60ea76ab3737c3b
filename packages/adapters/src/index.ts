/**
 * @otel-policy/adapters: teach the core engine to read and write records of
 * one representation. They decide nothing; all policy logic is in core.
 */
export * as otlpJson from './otlp-json/index.js';
export * as otlpProto from './otlp-proto/index.js';
export { METRIC_POINT_KINDS, type MetricPointKind } from './shared/metric-kinds.js';
export {
  applyToLogs,
  applyToMetrics,
  applyToTraces,
  otlpJsonLogAccessor,
  otlpJsonSpanAccessor,
  otlpJsonDataPointAccessor,
  BatchOutcome,
  countResult,
  checkOtlpJsonShape,
  OtlpShapeError,
  type LogCursor,
  type SpanCursor,
  type DataPointCursor,
  type LogsData,
  type TracesData,
  type MetricsData,
} from './otlp-json/index.js';
export {
  sdkDataPointAccessor,
  applyToResourceMetrics,
  sdkMetricTypeName,
  sdkTemporalityName,
  SdkDataPointCursor,
  SdkDataPointType,
  SdkAggregationTemporality,
  type SdkMetricsResult,
  type SdkResourceMetrics,
  type SdkScopeMetrics,
  type SdkMetricData,
  type SdkDataPoint,
  type SdkMetricsResource,
  type SdkMetricsScope,
} from './sdk/metrics.js';
export * as sdkAttributes from './sdk/attributes.js';
export { type AttributeMap, type ResourceLike, type InstrumentationScopeLike } from './sdk/attributes.js';
export { SdkLogRecordAccessor, sdkLogRecordAccessor, type SdkLogRecordAccessorOptions, type SdkLogRecordLike, type SpanContextLike } from './sdk/logs.js';
export { SdkSpanCursor, sdkSpanAccessor, sdkSpanKindName, sdkStatusCodeName, type ReadableSpanLike, type SpanEventLike, type SpanLinkLike } from './sdk/spans.js';
