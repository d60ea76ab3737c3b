/**
 * @otel-policy/adapters: teach the core engine to read and write records of
 * one representation. They decide nothing; all policy logic is in core.
 */
export * as otlpJson from './otlp-json/index.js';
export {
  applyToLogs,
  applyToMetrics,
  applyToTraces,
  otlpJsonLogAccessor,
  otlpJsonSpanAccessor,
  otlpJsonDataPointAccessor,
  BatchOutcome,
  type LogCursor,
  type SpanCursor,
  type DataPointCursor,
  type LogsData,
  type TracesData,
  type MetricsData,
} from './otlp-json/index.js';
