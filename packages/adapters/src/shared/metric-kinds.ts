/**
 * The kinds of metric data point, in one table for the whole repository:
 * how OTLP/JSON names each one (the Metric's `data` oneof case), its field
 * number in the Metric message (for code reading the wire), the policy
 * `metric_type` name, and sdk-metrics' `DataPointType` value.
 */

/**
 * Numeric values of sdk-metrics' `DataPointType`, verified identical in
 * sdk-metrics 1.x and 2.x (2.10 – 2.12.1).
 */
export const SdkDataPointType = {
  HISTOGRAM: 0,
  EXPONENTIAL_HISTOGRAM: 1,
  GAUGE: 2,
  SUM: 3,
} as const;

/** One kind of metric data point. */
export interface MetricPointKind {
  /** The OTLP/JSON key of the Metric's data case (`exponentialHistogram`). */
  readonly json: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
  /** Its field number in opentelemetry.proto.metrics.v1.Metric. */
  readonly field: number;
  /** The policy `metric_type` name (`exponential_histogram`). */
  readonly metricType: string;
  /** sdk-metrics' `DataPointType` value; the SDK has no summary. */
  readonly sdk: number | undefined;
}

/** Every kind, in the order of the Metric message's fields. */
export const METRIC_POINT_KINDS: readonly MetricPointKind[] = [
  { json: 'gauge', field: 5, metricType: 'gauge', sdk: SdkDataPointType.GAUGE },
  { json: 'sum', field: 7, metricType: 'sum', sdk: SdkDataPointType.SUM },
  { json: 'histogram', field: 9, metricType: 'histogram', sdk: SdkDataPointType.HISTOGRAM },
  { json: 'exponentialHistogram', field: 10, metricType: 'exponential_histogram', sdk: SdkDataPointType.EXPONENTIAL_HISTOGRAM },
  { json: 'summary', field: 11, metricType: 'summary', sdk: undefined },
];
