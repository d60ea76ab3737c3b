/**
 * The metrics conformance cases (metrics_* and the metric batches of
 * compound_*) replayed through the SDK adapter: each case's OTLP/JSON input
 * is turned into the SDK's export shape (what a PushMetricExporter receives),
 * deep-frozen so that any mutation throws, filtered by
 * applyToResourceMetrics, turned back into OTLP/JSON and compared with the
 * expected output and stats exactly as test/conformance.test.ts does.
 *
 * The SDK exports one ResourceMetrics per call, so a payload with several
 * resources is replayed one resource at a time through the same engine. The
 * non-metric batches of compound cases run through the OTLP/JSON adapters, so
 * that the merged stats can be compared whole.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PolicyEngine, parsePolicyText } from '@otel-policy/core';
import { applyToLogs, applyToResourceMetrics, applyToTraces, type SdkDataPoint, type SdkMetricData, type SdkResourceMetrics, type SdkScopeMetrics } from '@otel-policy/adapters';
import type { AnyValue, DataPoint, KeyValue, Metric, MetricsData, ResourceMetrics, ScopeMetrics } from '../../adapters/src/otlp-json/types.js';
import { CaseStats, listCases, normalize, readJson } from '../../../test/support/conformance.js';

/** Cases not replayed, and why. */
const EXCLUDED: Record<string, string> = {
  metrics_summary_type:
    'sdk-metrics has no summary data point type (DataPointType is HISTOGRAM, EXPONENTIAL_HISTOGRAM, GAUGE, SUM), so a summary never reaches a PushMetricExporter and metric_type: summary cannot match SDK data',
};

// sdk-metrics enum values (DataPointType, AggregationTemporality).
const DATA_POINT_TYPE = { histogram: 0, exponentialHistogram: 1, gauge: 2, sum: 3 } as const;
/**
 * Stand-in for a summary in SDK shape (compound_datapoint_attr_types has one
 * that is dropped by a datapoint attribute). Not an SDK value: it reads as no
 * metric_type, which that case does not use.
 */
const SUMMARY_STANDIN = 99;
const DELTA = 0;
const CUMULATIVE = 1;
const DATA_CASES = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;
type DataCase = (typeof DATA_CASES)[number];

// ---------------------------------------------------------------------------
// OTLP/JSON -> SDK shape

/** An OTLP AnyValue as a JS attribute value, as the SDK would hold it. */
function jsValue(v: AnyValue | undefined): unknown {
  if (v === undefined || v === null) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) {
    const n = Number(v.intValue);
    return Number.isSafeInteger(n) ? n : BigInt(v.intValue);
  }
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.bytesValue !== undefined) return Uint8Array.from(Buffer.from(v.bytesValue, 'base64'));
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(jsValue);
  if (v.kvlistValue !== undefined) return jsAttributes(v.kvlistValue.values);
  return undefined;
}

function jsAttributes(kvs: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of kvs ?? []) out[kv.key] = jsValue(kv.value);
  return out;
}

function dataCaseOf(m: Metric): DataCase {
  const c = DATA_CASES.find((k) => m[k] !== undefined && m[k] !== null);
  if (c === undefined) throw new Error(`metric ${m.name} has no data`);
  return c;
}

function sdkTemporality(t: string | number | undefined): number {
  if (t === 1 || t === '1' || t === 'AGGREGATION_TEMPORALITY_DELTA') return DELTA;
  if (t === 2 || t === '2' || t === 'AGGREGATION_TEMPORALITY_CUMULATIVE') return CUMULATIVE;
  throw new Error(`temporality ${String(t)} has no SDK equivalent`);
}

/** SDK objects -> the OTLP/JSON objects they came from (scopes by `scope`, metrics by `descriptor`, which copies share). */
type Origins = WeakMap<object, unknown>;

function toSdk(rm: ResourceMetrics, origins: Origins): SdkResourceMetrics {
  const scopeMetrics = (rm.scopeMetrics ?? []).map((sm): SdkScopeMetrics => {
    const scope = { name: sm.scope?.name ?? '', version: sm.scope?.version, schemaUrl: sm.schemaUrl, attributes: jsAttributes(sm.scope?.attributes) };
    origins.set(scope, sm);
    const metrics = (sm.metrics ?? []).map((m): SdkMetricData => {
      const dc = dataCaseOf(m);
      const data = m[dc]!;
      const descriptor = { name: m.name ?? '', description: m.description ?? '', unit: m.unit ?? '', valueType: 1 };
      origins.set(descriptor, m);
      const dataPoints = (data.dataPoints ?? []).map((p): SdkDataPoint => {
        const point = { startTime: [1, 0], endTime: [2, 0], attributes: jsAttributes(p.attributes), value: 0 };
        origins.set(point, p);
        return point;
      });
      const hasTemporality = dc === 'sum' || dc === 'histogram' || dc === 'exponentialHistogram';
      return {
        descriptor,
        dataPointType: dc === 'summary' ? SUMMARY_STANDIN : DATA_POINT_TYPE[dc],
        // The SDK puts the reader's temporality on gauges too.
        aggregationTemporality: hasTemporality ? sdkTemporality((data as { aggregationTemporality?: string | number }).aggregationTemporality) : CUMULATIVE,
        ...(dc === 'sum' ? { isMonotonic: m.sum?.isMonotonic ?? false } : {}),
        dataPoints,
      };
    });
    return { scope, metrics };
  });
  return { resource: { attributes: jsAttributes(rm.resource?.attributes), schemaUrl: rm.schemaUrl }, scopeMetrics };
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o) && !ArrayBuffer.isView(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

// ---------------------------------------------------------------------------
// SDK shape -> OTLP/JSON

function origin<T>(origins: Origins, key: object): T {
  const o = origins.get(key);
  if (o === undefined) throw new Error('SDK object of unknown origin');
  return o as T;
}

function fromSdk(out: SdkResourceMetrics, rm: ResourceMetrics, origins: Origins): ResourceMetrics | undefined {
  if (out.scopeMetrics.length === 0) return undefined;
  return {
    ...rm,
    scopeMetrics: out.scopeMetrics.map((sm) => ({
      ...origin<ScopeMetrics>(origins, sm.scope),
      metrics: sm.metrics.map((m) => {
        const om = origin<Metric>(origins, m.descriptor);
        const dc = dataCaseOf(om);
        return { ...om, [dc]: { ...om[dc], dataPoints: m.dataPoints.map((p) => origin<DataPoint>(origins, p)) } };
      }),
    })),
  };
}

/** Replay one OTLP/JSON metrics payload through the SDK adapter, resource by resource. */
function replayMetrics(engine: PolicyEngine, data: MetricsData): void {
  const kept: ResourceMetrics[] = [];
  for (const rm of data.resourceMetrics ?? []) {
    const origins: Origins = new WeakMap();
    const sdk = deepFreeze(toSdk(rm, origins));
    const { resourceMetrics: out, outcome } = applyToResourceMetrics(engine, sdk);
    if (outcome.removed === 0) expect(out).toBe(sdk);
    const back = fromSdk(out, rm, origins);
    if (back !== undefined) kept.push(back);
  }
  data.resourceMetrics = kept;
}

// ---------------------------------------------------------------------------

const allCases = listCases().filter((c) => c.batches.some((b) => b.signal === 'metric'));
const cases = allCases.filter((c) => EXCLUDED[c.name] === undefined);

describe('metrics conformance cases through the SDK adapter', () => {
  it('has the metric cases, and excludes only those the SDK cannot represent', () => {
    expect(allCases.length).toBeGreaterThanOrEqual(31);
    const excluded = allCases.filter((c) => EXCLUDED[c.name] !== undefined).map((c) => c.name);
    expect(excluded).toEqual(Object.keys(EXCLUDED).sort());
    expect(cases.length).toBe(allCases.length - excluded.length);
  });

  for (const c of cases) {
    it(c.name, () => {
      const set = parsePolicyText(readFileSync(c.policiesFile, 'utf8'));
      const caseStats = new CaseStats();
      for (const b of c.batches) {
        const engine = new PolicyEngine({ policies: set });
        const data = readJson(b.input) as Record<string, unknown>;
        if (b.signal === 'metric') replayMetrics(engine, data as MetricsData);
        else if (b.signal === 'log') applyToLogs(engine, data);
        else applyToTraces(engine, data);
        expect(normalize(JSON.parse(JSON.stringify(data)))).toEqual(normalize(readJson(b.expected)));
        caseStats.addBatch(engine.stats());
      }
      caseStats.expectToMatch(c);
    });
  }
});
