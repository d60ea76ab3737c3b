/**
 * The SDK metrics adapter on hand-built SDK-shaped data: value semantics
 * (mirroring the OTLP/JSON adapter) and copy-on-write filtering.
 */
import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '@otel-policy/core';
import { applyToResourceMetrics, SdkAggregationTemporality, SdkDataPointType, type SdkMetricData, type SdkResourceMetrics } from '../src/sdk/metrics.js';

const metric = (name: string, attrs: Record<string, unknown>[], over: Partial<SdkMetricData> = {}): SdkMetricData => ({
  descriptor: { name, description: '', unit: '' },
  dataPointType: SdkDataPointType.SUM,
  aggregationTemporality: SdkAggregationTemporality.CUMULATIVE,
  isMonotonic: true,
  dataPoints: attrs.map((attributes) => ({ attributes })),
  ...over,
});

const batch = (...metrics: SdkMetricData[]): SdkResourceMetrics =>
  Object.freeze({
    resource: { attributes: { 'service.name': 'svc', deploy: { env: 'prod' } }, schemaUrl: 'https://schema/r' },
    scopeMetrics: Object.freeze([Object.freeze({ scope: { name: 'lib', version: '1.2.3', schemaUrl: '' }, metrics: Object.freeze(metrics) })]),
  });

const engine = (...policies: unknown[]) => new PolicyEngine({ policies: JSON.stringify({ policies }) });
const drop = (id: string, ...match: unknown[]) => ({ id, metric: { match, keep: false } });

/** Names of the points kept (attribute `n`). */
function kept(e: PolicyEngine, rm: SdkResourceMetrics): unknown[] {
  const out = applyToResourceMetrics(e, rm).resourceMetrics;
  return out.scopeMetrics.flatMap((s) => s.metrics.flatMap((m) => m.dataPoints.map((p) => p.attributes.n)));
}

describe('sdkDataPointAccessor', () => {
  const points = [
    { n: 'str', v: 'x' },
    { n: 'empty', v: '' },
    { n: 'undef', v: undefined },
    { n: 'int', v: 7 },
    { n: 'double', v: 7.5 },
    { n: 'bool', v: false },
    { n: 'array', v: ['x'] },
    { n: 'bytes', v: new Uint8Array([0xca, 0xfe]) },
    { n: 'map', v: { inner: 'x' } },
    { n: 'none' },
  ];
  const rm = () => batch(metric('m', points));
  const without = (e: PolicyEngine) => {
    const all = points.map((p) => p.n);
    const k = kept(e, rm());
    return all.filter((n) => !k.includes(n));
  };

  it('exists: the key is present, whatever the value', () => {
    expect(without(engine(drop('p', { datapoint_attribute: 'v', exists: true })))).toEqual(['str', 'empty', 'undef', 'int', 'double', 'bool', 'array', 'bytes', 'map']);
  });

  it('string matchers see non-empty strings only', () => {
    expect(without(engine(drop('p', { datapoint_attribute: 'v', regex: '.*' })))).toEqual(['str']);
    expect(without(engine(drop('p', { datapoint_attribute: 'v', regex: '.*', negate: true })))).toEqual(points.map((p) => p.n).filter((n) => n !== 'str'));
  });

  it('typed values: integral numbers are ints, others doubles; bytes compare as hex', () => {
    expect(without(engine(drop('p', { datapoint_attribute: 'v', equals: { int_value: 7 } })))).toEqual(['int']);
    expect(without(engine(drop('p', { datapoint_attribute: 'v', equals: { double_value: 7.5 } })))).toEqual(['double']);
    expect(without(engine(drop('p', { datapoint_attribute: 'v', gte: 7 })))).toEqual(['int', 'double']);
    expect(without(engine(drop('p', { datapoint_attribute: 'v', equals: false })))).toEqual(['bool']);
    expect(without(engine(drop('p', { datapoint_attribute: 'v', equals: { hex_value: 'CAFE' } })))).toEqual(['bytes']);
  });

  it('nested paths go through map values only', () => {
    expect(without(engine(drop('p', { datapoint_attribute: ['v', 'inner'], exact: 'x' })))).toEqual(['map']);
    expect(without(engine(drop('p', { datapoint_attribute: ['v', '0'], exists: true })))).toEqual([]);
    const e = engine(drop('p', { resource_attribute: ['deploy', 'env'], exact: 'prod' }));
    expect(kept(e, rm())).toEqual([]);
  });

  it('a dotted key is one key', () => {
    const e = engine(drop('p', { resource_attribute: 'service.name', exact: 'svc' }));
    expect(kept(e, rm())).toEqual([]);
  });

  it('metric fields, scope fields and schema URLs; empty strings do not exist', () => {
    const m = metric('name', [{ n: 1 }], { descriptor: { name: 'name', description: 'desc', unit: 'ms' } });
    const cases: [unknown, boolean][] = [
      [{ metric_field: 'description', exact: 'desc' }, true],
      [{ metric_field: 'unit', exact: 'ms' }, true],
      [{ metric_field: 'scope_name', exact: 'lib' }, true],
      [{ metric_field: 'scope_version', exact: '1.2.3' }, true],
      [{ metric_field: 'resource_schema_url', exact: 'https://schema/r' }, true],
      [{ metric_field: 'scope_schema_url', exists: true }, false],
      [{ metric_field: 'scope_schema_url', exists: false }, true],
    ];
    for (const [matcher, drops] of cases) expect([matcher, kept(engine(drop('p', matcher)), batch(m))]).toEqual([matcher, drops ? [] : [1]]);
  });

  it('metric_type and temporality from the SDK enums (gauges have no temporality)', () => {
    const rm = batch(
      metric('h', [{ n: 'h' }], { dataPointType: SdkDataPointType.HISTOGRAM, aggregationTemporality: SdkAggregationTemporality.DELTA }),
      metric('e', [{ n: 'e' }], { dataPointType: SdkDataPointType.EXPONENTIAL_HISTOGRAM }),
      metric('g', [{ n: 'g' }], { dataPointType: SdkDataPointType.GAUGE, aggregationTemporality: SdkAggregationTemporality.DELTA }),
      metric('s', [{ n: 's' }], { isMonotonic: false }),
    );
    expect(kept(engine(drop('p', { metric_type: 'exponential_histogram' })), rm)).toEqual(['h', 'g', 's']);
    expect(kept(engine(drop('p', { metric_type: 'sum' })), rm)).toEqual(['h', 'e', 'g']);
    expect(kept(engine(drop('p', { aggregation_temporality: 'delta' })), rm)).toEqual(['e', 'g', 's']);
    expect(kept(engine(drop('p', { aggregation_temporality: 'cumulative', negate: true })), rm)).toEqual(['e', 's']);
  });
});

describe('applyToResourceMetrics', () => {
  it('returns the same object, and counts, when nothing is dropped', () => {
    const rm = batch(metric('a', [{ n: 1 }, { n: 2 }]));
    const { resourceMetrics, outcome } = applyToResourceMetrics(engine(drop('p', { metric_field: 'name', exact: 'zzz' })), rm);
    expect(resourceMetrics).toBe(rm);
    expect(outcome).toMatchObject({ total: 2, noMatch: 2, removed: 0 });
  });

  it('copies only the containers on the path of a change', () => {
    const a = metric('a', [{ n: 1 }, { n: 2 }, { n: 3 }]);
    const b = metric('b', [{ n: 4 }]);
    const rm = batch(a, b);
    const { resourceMetrics: out, outcome } = applyToResourceMetrics(engine(drop('p', { datapoint_attribute: 'n', equals: 2 })), rm);
    expect(outcome).toMatchObject({ total: 4, dropped: 1, noMatch: 3 });
    expect(out).not.toBe(rm);
    expect(out.resource).toBe(rm.resource);
    expect(out.scopeMetrics[0]).not.toBe(rm.scopeMetrics[0]);
    expect(out.scopeMetrics[0].scope).toBe(rm.scopeMetrics[0].scope);
    const [a2, b2] = out.scopeMetrics[0].metrics;
    expect(a2).not.toBe(a);
    expect(a2.descriptor).toBe(a.descriptor);
    expect(a2.dataPoints).toEqual([a.dataPoints[0], a.dataPoints[2]]);
    expect(b2).toBe(b);
    expect(a.dataPoints).toHaveLength(3);
  });

  it('removes metrics and scopes left empty', () => {
    const rm: SdkResourceMetrics = {
      resource: { attributes: {} },
      scopeMetrics: [
        { scope: { name: 'gone' }, metrics: [metric('x', [{ n: 1 }])] },
        { scope: { name: 'stays' }, metrics: [metric('x', [{ n: 2 }]), metric('y', [{ n: 3 }])] },
      ],
    };
    const out = applyToResourceMetrics(engine(drop('p', { metric_field: 'name', exact: 'x' })), rm).resourceMetrics;
    expect(out.scopeMetrics.map((s) => [s.scope.name, s.metrics.map((m) => m.descriptor.name)])).toEqual([['stays', ['y']]]);
  });

  it('evaluates a metric without data points once, on its own fields', () => {
    const rm = batch(metric('empty', []), metric('other', []));
    const { resourceMetrics, outcome } = applyToResourceMetrics(engine(drop('p', { metric_field: 'name', exact: 'empty' })), rm);
    expect(outcome).toMatchObject({ total: 2, dropped: 1 });
    expect(resourceMetrics.scopeMetrics[0].metrics.map((m) => m.descriptor.name)).toEqual(['other']);
  });
});
