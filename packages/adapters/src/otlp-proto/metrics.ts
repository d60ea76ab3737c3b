import { dataPointReads } from '../shared/data-point-reads.js';
import type { RecordReads } from '../shared/attribute-reads.js';
import { METRIC_POINT_KINDS } from '../shared/metric-kinds.js';
import { wireAttributeReads } from './any-value.js';
import { lastString, type WireCursor } from './cursor.js';
import { find, found, varint, VARINT } from './wire.js';

// Metric fields (opentelemetry.proto.metrics.v1).
const NAME = 1;
const DESCRIPTION = 2;
const UNIT = 3;
/** Sum, Histogram and ExponentialHistogram: aggregation_temporality. */
const TEMPORALITY = 2;
// InstrumentationScope.
const SCOPE_NAME = 1;
const SCOPE_VERSION = 2;

/** The attributes field of each data case's points, by the case's field number in Metric. */
export const POINT_ATTRIBUTES_FIELD: Readonly<Record<number, number>> = {
  5: 7, // gauge: NumberDataPoint.attributes
  7: 7, // sum: NumberDataPoint.attributes
  9: 9, // histogram: HistogramDataPoint.attributes
  10: 1, // exponential_histogram: ExponentialHistogramDataPoint.attributes
  11: 7, // summary: SummaryDataPoint.attributes
};

const TYPE_BY_FIELD: Readonly<Record<number, string>> = Object.fromEntries(METRIC_POINT_KINDS.map((k) => [k.field, k.metricType]));

/** The metric's temporality as `delta`/`cumulative`, for the data cases that have one. */
function temporality(c: WireCursor): string | undefined {
  if (c.kindField !== 7 && c.kindField !== 9 && c.kindField !== 10) return undefined;
  if (!find(c.bytes, c.kindStart, c.kindEnd, TEMPORALITY, VARINT)) return undefined;
  const t = varint(c.bytes, found.start);
  return t === 1 ? 'delta' : t === 2 ? 'cumulative' : undefined;
}

/**
 * Reads of a metric data point in an OTLP protobuf request, in place (see
 * {@link WireCursor}; the walker sets the metric's data case): the same
 * answers as the OTLP/JSON accessor gives for the same point decoded.
 */
export const otlpProtoDataPointAccessor: RecordReads<WireCursor> = dataPointReads(wireAttributeReads, {
  recordAttributes: (c) => c.pointAttributes(),
  resourceAttributes: (c) => c.resourceAttributes(),
  scopeAttributes: (c) => c.scopeAttributes(),
  name: (c) => lastString(c.bytes, c.recordStart, c.recordEnd, NAME),
  description: (c) => lastString(c.bytes, c.recordStart, c.recordEnd, DESCRIPTION),
  unit: (c) => lastString(c.bytes, c.recordStart, c.recordEnd, UNIT),
  resourceSchemaUrl: (c) => c.resourceSchemaUrl(),
  scopeSchemaUrl: (c) => c.scopeSchemaUrl(),
  scopeName: (c) => c.scopeString(SCOPE_NAME),
  scopeVersion: (c) => c.scopeString(SCOPE_VERSION),
  metricType: (c) => (c.kindField === 0 ? undefined : TYPE_BY_FIELD[c.kindField]),
  temporality,
});
