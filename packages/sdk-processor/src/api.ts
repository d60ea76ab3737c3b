/**
 * The public API shared by the Node and browser entries (index.ts,
 * browser.ts): the processors, the metric exporter and the policy handle.
 */
export { PolicyHandle, openPolicies, diagEngineLogger, type PolicyConfig, type PolicySource, type PolicyLoadingStats, type WhileLoading } from './policy-source.js';
export { registerStatsMetrics } from './stats-metrics.js';
export { PolicyMetricExporter } from './metric-exporter.js';
export { dropViewsFor, type DropViewsOptions, type PolicyDropViews, type PolicyDropView, type SkippedPolicy } from './views.js';
export { PolicyLogRecordProcessor, type LogRecordProcessorLike, type LogRecordEnabledOptions } from './log-record-processor.js';
export { PolicySpanProcessor, withTraceState, type SpanProcessorLike } from './span-processor.js';
