/**
 * PolicyMetricExporter inside a real MeterProvider (sdk-metrics 2.x):
 * collection -> PeriodicExportingMetricReader -> PolicyMetricExporter ->
 * InMemoryMetricExporter.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { diag, DiagLogLevel, type Attributes, type DiagLogger } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  InstrumentType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
// The Node entry (policy file paths are its sources).
import { openPolicies, PolicyMetricExporter, type PolicyConfig, type PolicyHandle } from '../src/index.js';

type Doc = { policies: unknown[] };

const metricPolicy = (id: string, match: unknown[], keep = false, extra: Record<string, unknown> = {}) => ({ id, metric: { match, keep }, ...extra });

/** One exported data point, flattened. */
interface Row {
  scope: string;
  metric: string;
  type: DataPointType;
  attrs: Attributes;
}

class Harness {
  readonly memory: InMemoryMetricExporter;
  readonly exporter: PolicyMetricExporter;
  readonly provider: MeterProvider;

  constructor(policies: PolicyConfig['policies'], options: { temporality?: AggregationTemporality; resource?: Attributes; wrapped?: (m: InMemoryMetricExporter) => PushMetricExporter } = {}) {
    this.memory = new InMemoryMetricExporter(options.temporality ?? AggregationTemporality.CUMULATIVE);
    this.exporter = new PolicyMetricExporter(options.wrapped ? options.wrapped(this.memory) : this.memory, { policies });
    this.provider = new MeterProvider({
      resource: resourceFromAttributes(options.resource ?? { 'service.name': 'test-svc' }),
      readers: [new PeriodicExportingMetricReader({ exporter: this.exporter, exportIntervalMillis: 60_000 })],
    });
  }

  meter(name = 'app', version?: string, schemaUrl?: string) {
    return this.provider.getMeter(name, version, schemaUrl ? { schemaUrl } : undefined);
  }

  /** Collect and export once; the batches the wrapped exporter received. */
  async flush(): Promise<ResourceMetrics[]> {
    this.memory.reset();
    await this.provider.forceFlush();
    return this.memory.getMetrics();
  }

  /** Collect and export once; every exported data point. */
  async rows(): Promise<Row[]> {
    const rows: Row[] = [];
    for (const rm of await this.flush()) {
      for (const sm of rm.scopeMetrics) {
        for (const m of sm.metrics) {
          for (const dp of m.dataPoints) rows.push({ scope: sm.scope.name, metric: m.descriptor.name, type: m.dataPointType, attrs: dp.attributes });
        }
      }
    }
    return rows;
  }

  async names(): Promise<string[]> {
    return [...new Set((await this.rows()).map((r) => r.metric))].sort();
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

const harnesses: Harness[] = [];
function harness(...args: ConstructorParameters<typeof Harness>): Harness {
  const h = new Harness(...args);
  harnesses.push(h);
  return h;
}

afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.shutdown().catch(() => undefined)));
  diag.disable();
});

/** Capture diag output at error level. */
function captureDiag(): { errors: unknown[][] } {
  const errors: unknown[][] = [];
  const noop = () => undefined;
  const logger: DiagLogger = { error: (...a) => void errors.push(a), warn: noop, info: noop, debug: noop, verbose: noop };
  diag.setLogger(logger, { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true });
  return { errors };
}

const exportOnce = (exporter: PushMetricExporter, rm: ResourceMetrics) => new Promise<ExportResult>((resolve) => exporter.export(rm, resolve));

describe('PolicyMetricExporter: matching', () => {
  it('drops metrics by exact name and by regex', async () => {
    const h = harness({
      policies: [metricPolicy('drop-debug', [{ metric_field: 'name', exact: 'debug.counter' }]), metricPolicy('drop-internal', [{ metric_field: 'name', regex: '^internal\\.[a-z]+$' }])],
    });
    const m = h.meter();
    for (const n of ['debug.counter', 'internal.queue', 'internal.q2', 'http.requests']) m.createCounter(n).add(1);
    expect(await h.names()).toEqual(['http.requests', 'internal.q2']);
  });

  it('drops single data points by datapoint attribute and keeps the rest of the metric', async () => {
    const h = harness({ policies: [metricPolicy('drop-health', [{ datapoint_attribute: 'http.route', exact: '/health' }])] });
    const c = h.meter().createCounter('http.server.requests');
    c.add(1, { 'http.route': '/users' });
    c.add(2, { 'http.route': '/health' });
    c.add(3, { 'http.route': '/orders' });
    const rows = await h.rows();
    expect(rows.map((r) => r.attrs['http.route']).sort()).toEqual(['/orders', '/users']);
    expect(h.exporter.policies.stats().find((s) => s.policyId === 'drop-health')).toMatchObject({ hits: 1, misses: 0 });
  });

  it('reads typed datapoint attributes as OTLP would encode them', async () => {
    const h = harness({
      policies: [
        metricPolicy('int-500', [{ datapoint_attribute: 'code', equals: 500 }]),
        metricPolicy('double-gt', [{ datapoint_attribute: 'ratio', gt: 0.5 }]),
        metricPolicy('bool', [{ datapoint_attribute: 'retry', equals: true }]),
        metricPolicy('empty-exists', [
          { datapoint_attribute: 'tag', exists: true },
          { datapoint_attribute: 'tag', regex: '.*', negate: true },
        ]),
      ],
    });
    const c = h.meter().createCounter('c');
    c.add(1, { n: 'int', code: 500 });
    c.add(1, { n: 'int-as-string', code: '500' });
    c.add(1, { n: 'double', ratio: 0.75 });
    c.add(1, { n: 'double-low', ratio: 0.25 });
    c.add(1, { n: 'bool', retry: true });
    c.add(1, { n: 'empty', tag: '' });
    c.add(1, { n: 'plain' });
    const kept = (await h.rows()).map((r) => r.attrs.n).sort();
    expect(kept).toEqual(['double-low', 'int-as-string', 'plain']);
  });

  it('selects by metric_type (a non-monotonic sum is a sum) and gauges', async () => {
    const h = harness({
      policies: [metricPolicy('drop-histograms', [{ metric_type: 'histogram' }]), metricPolicy('drop-gauges', [{ metric_type: 'METRIC_TYPE_GAUGE' }])],
    });
    const m = h.meter();
    m.createHistogram('latency').record(12);
    m.createCounter('requests').add(1);
    m.createUpDownCounter('inflight').add(-1);
    m.createGauge('temperature').record(21);
    m.createObservableGauge('heap').addCallback((r) => r.observe(42));
    const rows = await h.rows();
    expect(rows.map((r) => [r.metric, r.type]).sort()).toEqual([
      ['inflight', DataPointType.SUM],
      ['requests', DataPointType.SUM],
    ]);
  });

  it('selects non-monotonic sums by metric_type sum', async () => {
    const h = harness({ policies: [metricPolicy('drop-sums', [{ metric_type: 'sum' }])] });
    const m = h.meter();
    m.createUpDownCounter('inflight').add(1);
    m.createObservableUpDownCounter('queue').addCallback((r) => r.observe(3));
    m.createHistogram('latency').record(1);
    expect(await h.names()).toEqual(['latency']);
  });

  it('selects by aggregation temporality as the exporter chose it; gauges have none', async () => {
    const policies = { policies: [metricPolicy('drop-delta', [{ aggregation_temporality: 'delta' }])] };
    const record = (h: Harness) => {
      const m = h.meter();
      m.createCounter('requests').add(1);
      m.createHistogram('latency').record(1);
      m.createGauge('temperature').record(1);
    };
    const delta = harness(policies, { temporality: AggregationTemporality.DELTA });
    record(delta);
    expect(await delta.names()).toEqual(['temperature']);

    const cumulative = harness(policies, { temporality: AggregationTemporality.CUMULATIVE });
    record(cumulative);
    expect(await cumulative.names()).toEqual(['latency', 'requests', 'temperature']);

    const negated = harness({ policies: [metricPolicy('not-cumulative', [{ aggregation_temporality: 'cumulative', negate: true }])] });
    record(negated);
    // The gauge has no temporality, so "not cumulative" holds for it.
    expect(await negated.names()).toEqual(['latency', 'requests']);
  });

  it('selects by resource attribute', async () => {
    const policies = { policies: [metricPolicy('drop-batch-svc', [{ resource_attribute: 'service.name', exact: 'batch' }])] };
    const batch = harness(policies, { resource: { 'service.name': 'batch' } });
    batch.meter().createCounter('jobs').add(1);
    expect(await batch.flush()).toEqual([]);
    const api = harness(policies, { resource: { 'service.name': 'api' } });
    api.meter().createCounter('jobs').add(1);
    expect(await api.names()).toEqual(['jobs']);
  });

  it('selects by scope name, version and schema URL', async () => {
    const h = harness({
      policies: [
        metricPolicy('drop-noisy', [{ metric_field: 'scope_name', exact: 'noisy-lib' }]),
        metricPolicy('drop-old', [{ metric_field: 'METRIC_FIELD_SCOPE_VERSION', starts_with: '0.' }]),
        metricPolicy('drop-schema', [{ metric_field: 'scope_schema_url', ends_with: '/1.0.0' }]),
      ],
    });
    h.meter('noisy-lib', '1.0.0').createCounter('a').add(1);
    h.meter('old-lib', '0.9.1').createCounter('b').add(1);
    h.meter('schema-lib', '2.0.0', 'https://opentelemetry.io/schemas/1.0.0').createCounter('c').add(1);
    h.meter('good-lib', '2.0.0').createCounter('d').add(1);
    h.meter('unversioned').createCounter('e').add(1);
    const rows = await h.rows();
    expect(rows.map((r) => `${r.scope}/${r.metric}`).sort()).toEqual(['good-lib/d', 'unversioned/e']);
  });

  it('selects by scope attribute when the scope carries attributes', async () => {
    // sdk-metrics 2.x meters take no attributes; data from a MetricProducer
    // or a later SDK line may carry them on the scope.
    const memory = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const exporter = new PolicyMetricExporter(memory, {
      policies: { policies: [metricPolicy('drop-experimental', [{ scope_attribute: 'stability', exact: 'experimental' }])] },
    });
    const point = { startTime: [0, 0] as [number, number], endTime: [0, 0] as [number, number], attributes: {}, value: 1 };
    const metric = (name: string) => ({
      descriptor: { name, description: '', unit: '', valueType: 1 },
      dataPointType: DataPointType.GAUGE as const,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPoints: [point],
    });
    const rm: ResourceMetrics = {
      resource: resourceFromAttributes({}),
      scopeMetrics: [
        { scope: { name: 'a', attributes: { stability: 'experimental' } } as ResourceMetrics['scopeMetrics'][0]['scope'], metrics: [metric('x')] },
        { scope: { name: 'b', attributes: { stability: 'stable' } } as ResourceMetrics['scopeMetrics'][0]['scope'], metrics: [metric('y')] },
      ],
    };
    expect((await exportOnce(exporter, rm)).code).toBe(ExportResultCode.SUCCESS);
    expect(memory.getMetrics()[0].scopeMetrics.map((s) => s.scope.name)).toEqual(['b']);
    await exporter.shutdown();
  });

  it('selects by description and unit', async () => {
    const h = harness({
      policies: [metricPolicy('drop-deprecated', [{ metric_field: 'description', contains: 'DEPRECATED' }]), metricPolicy('drop-bytes', [{ metric_field: 'unit', exact: 'By' }])],
    });
    const m = h.meter();
    m.createCounter('old', { description: 'DEPRECATED: use new' }).add(1);
    m.createCounter('size', { unit: 'By' }).add(1);
    m.createCounter('new', { description: 'requests', unit: '{request}' }).add(1);
    expect(await h.names()).toEqual(['new']);
  });

  it('applies negate: drops everything not named like the allow-list', async () => {
    const h = harness({ policies: [metricPolicy('allow-http', [{ metric_field: 'name', starts_with: 'http.', negate: true }])] });
    const m = h.meter();
    m.createCounter('http.requests').add(1);
    m.createCounter('db.calls').add(1);
    m.createHistogram('http.latency').record(3);
    expect(await h.names()).toEqual(['http.latency', 'http.requests']);
  });

  it('combines matchers with AND', async () => {
    const h = harness({
      policies: [
        metricPolicy('drop-internal-health', [
          { metric_field: 'name', exact: 'http.requests' },
          { datapoint_attribute: 'route', exact: '/health' },
          { resource_attribute: 'service.name', exact: 'test-svc' },
        ]),
      ],
    });
    const c = h.meter().createCounter('http.requests');
    c.add(1, { route: '/health' });
    c.add(1, { route: '/api' });
    h.meter().createCounter('other').add(1, { route: '/health' });
    const rows = await h.rows();
    expect(rows.map((r) => `${r.metric}${r.attrs.route}`).sort()).toEqual(['http.requests/api', 'other/health']);
  });
});

describe('PolicyMetricExporter: pruning', () => {
  it('removes a metric whose points are all dropped, and a scope left empty', async () => {
    const h = harness({ policies: [metricPolicy('drop-tenant-x', [{ datapoint_attribute: 'tenant', exact: 'x' }])] });
    const lib = h.meter('lib');
    const c = lib.createCounter('only-x');
    c.add(1, { tenant: 'x' });
    const app = h.meter('app');
    app.createCounter('mixed').add(1, { tenant: 'x' });
    app.createCounter('mixed').add(1, { tenant: 'y' });
    const [rm, ...rest] = await h.flush();
    expect(rest).toEqual([]);
    expect(rm.scopeMetrics.map((s) => s.scope.name)).toEqual(['app']);
    expect(rm.scopeMetrics[0].metrics.map((m) => [m.descriptor.name, m.dataPoints.length])).toEqual([['mixed', 1]]);
  });

  it('does not export a batch left empty, and reports success', async () => {
    const h = harness({ policies: [metricPolicy('drop-all', [{ metric_field: 'name', regex: '.*' }])] });
    const spy = vi.spyOn(h.memory, 'export');
    h.meter().createCounter('a').add(1);
    expect(await h.flush()).toEqual([]);
    expect(spy).not.toHaveBeenCalled();
    expect(h.exporter.policies.stats()[0]).toMatchObject({ policyId: 'drop-all', hits: 1 });
  });

  it('passes the same object through when nothing is dropped and never mutates the SDK data', async () => {
    const h = harness({ policies: [metricPolicy('drop-debug', [{ datapoint_attribute: 'level', exact: 'debug' }])] });
    const seen: ResourceMetrics[] = [];
    const exportOriginal = h.exporter.export.bind(h.exporter);
    h.exporter.export = (rm, cb) => {
      seen.push(rm);
      exportOriginal(rm, cb);
    };
    const c = h.meter().createCounter('c');
    c.add(1, { level: 'info' });
    let [out] = await h.flush();
    expect(out).toBe(seen[0]);

    c.add(1, { level: 'debug' });
    [out] = await h.flush();
    const input = seen[1];
    expect(out).not.toBe(input);
    expect(input.scopeMetrics[0].metrics[0].dataPoints).toHaveLength(2);
    expect(out.scopeMetrics[0].metrics[0].dataPoints).toHaveLength(1);
    expect(out.resource).toBe(input.resource);
    expect(out.scopeMetrics[0].scope).toBe(input.scopeMetrics[0].scope);
    expect(out.scopeMetrics[0].metrics[0].descriptor).toBe(input.scopeMetrics[0].metrics[0].descriptor);
  });
});

describe('PolicyMetricExporter: policy sources and stats', () => {
  it('counts hits and misses per policy', async () => {
    const h = harness({
      policies: [
        metricPolicy('a-drop-debug', [{ metric_field: 'name', starts_with: 'debug.' }]),
        metricPolicy('b-keep-all-counters', [{ metric_type: 'sum' }], true),
        metricPolicy('c-never', [{ metric_field: 'name', exact: 'nope' }]),
      ],
    });
    const m = h.meter();
    m.createCounter('debug.a').add(1);
    m.createCounter('ok.b').add(1, { k: 1 });
    m.createCounter('ok.b').add(1, { k: 2 });
    await h.flush();
    const stats = Object.fromEntries(h.exporter.policies.stats().map((s) => [s.policyId, [s.hits, s.misses]]));
    // debug.a: dropped by a (hit), b matched but lost (miss). ok.b: two kept points, b hits twice.
    expect(stats).toEqual({ 'a-drop-debug': [1, 0], 'b-keep-all-counters': [2, 1], 'c-never': [0, 0] });
  });

  it('reads policies from a file path, waiting for the first load before filtering', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-metrics-'));
    try {
      const file = path.join(dir, 'policies.yaml');
      writeFileSync(file, ['policies:', '  - id: drop-debug', '    metric:', '      match:', '        - metric_field: name', '          exact: debug.counter', '      keep: false', ''].join('\n'));
      const h = harness(file);
      const m = h.meter();
      m.createCounter('debug.counter').add(1);
      m.createCounter('http.requests').add(1);
      // No explicit wait: the first export waits for the file to load.
      expect(await h.names()).toEqual(['http.requests']);
      expect(h.exporter.policies.stats()).toMatchObject([{ policyId: 'drop-debug', hits: 1 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shares a PolicyHandle without shutting it down', async () => {
    const handle: PolicyHandle = openPolicies({ policies: [metricPolicy('drop-x', [{ metric_field: 'name', exact: 'x' }])] });
    const shutdown = vi.spyOn(handle, 'shutdown');
    const h = harness(handle);
    expect(h.exporter.policies).toBe(handle);
    h.meter().createCounter('x').add(1);
    h.meter().createCounter('y').add(1);
    expect(await h.names()).toEqual(['y']);
    expect(handle.stats()[0]).toMatchObject({ policyId: 'drop-x', hits: 1 });
    await h.shutdown();
    expect(shutdown).not.toHaveBeenCalled();
    await handle.shutdown();
  });

  it('accepts policies as YAML-free inline documents with lowerCamelCase and proto enum names', async () => {
    const h = harness({
      policies: [
        { id: 'p', metric: { match: [{ metricField: 'METRIC_FIELD_NAME', startsWith: 'tmp.' }], keep: false } },
        { id: 'disabled', enabled: false, metric: { match: [{ metric_field: 'name', exact: 'keep.me' }], keep: false } },
      ],
    });
    h.meter().createCounter('tmp.a').add(1);
    h.meter().createCounter('keep.me').add(1);
    expect(await h.names()).toEqual(['keep.me']);
  });
});

describe('PolicyMetricExporter: failure and lifecycle', () => {
  const sample = (): ResourceMetrics => ({
    resource: resourceFromAttributes({ 'service.name': 's' }),
    scopeMetrics: [
      {
        scope: { name: 'lib' },
        metrics: [
          {
            descriptor: { name: 'debug.a', description: '', unit: '', valueType: 1 },
            dataPointType: DataPointType.SUM,
            aggregationTemporality: AggregationTemporality.CUMULATIVE,
            isMonotonic: true,
            dataPoints: [{ startTime: [0, 0], endTime: [0, 0], attributes: {}, value: 1 }],
          },
        ],
      },
    ],
  });
  const dropDebug: Doc = { policies: [metricPolicy('drop-debug', [{ metric_field: 'name', starts_with: 'debug.' }])] };

  it('fails open: a batch it cannot read is exported unfiltered and reported through diag', async () => {
    const { errors } = captureDiag();
    const memory = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const exporter = new PolicyMetricExporter(memory, { policies: dropDebug });
    const broken = sample();
    (broken.scopeMetrics[0] as { metrics: unknown }).metrics = null;
    const result = await exportOnce(exporter, broken);
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(memory.getMetrics()).toEqual([broken]);
    expect(errors.map((e) => e.slice(0, 2))).toEqual([['@otel-policy/sdk-processor', 'metric policy evaluation failed; exporting the batch unfiltered']]);
    await exporter.shutdown();
  });

  it('fails open per data point: an attribute read that throws keeps the point', async () => {
    const memory = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const exporter = new PolicyMetricExporter(memory, {
      policies: { policies: [metricPolicy('drop-k', [{ datapoint_attribute: 'k', exact: 'v' }])] },
    });
    const rm = sample();
    const point = rm.scopeMetrics[0].metrics[0].dataPoints[0];
    Object.defineProperty(point, 'attributes', {
      get() {
        throw new Error('boom');
      },
    });
    expect((await exportOnce(exporter, rm)).code).toBe(ExportResultCode.SUCCESS);
    expect(memory.getMetrics()[0].scopeMetrics[0].metrics[0].dataPoints).toHaveLength(1);
    expect(exporter.policies.engine.internalErrors).toBe(1);
    await exporter.shutdown();
  });

  it('reports a wrapped exporter that throws as a failed export', async () => {
    const throwing: PushMetricExporter = {
      export() {
        throw new Error('socket closed');
      },
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    const exporter = new PolicyMetricExporter(throwing, { policies: { policies: [] } });
    const result = await exportOnce(exporter, sample());
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toBe('socket closed');
  });

  it('propagates forceFlush and shutdown, shuts down its own policies, and refuses exports afterwards', async () => {
    const h = harness(dropDebug);
    const flush = vi.spyOn(h.memory, 'forceFlush');
    const shutdown = vi.spyOn(h.memory, 'shutdown');
    const policiesShutdown = vi.spyOn(h.exporter.policies, 'shutdown');
    h.meter().createCounter('a').add(1);
    await h.provider.forceFlush();
    expect(flush).toHaveBeenCalledTimes(1);
    await h.shutdown();
    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(policiesShutdown).toHaveBeenCalledTimes(1);
    await h.exporter.shutdown();
    expect(shutdown).toHaveBeenCalledTimes(1);
    const result = await exportOnce(h.exporter, sample());
    expect(result.code).toBe(ExportResultCode.FAILED);
  });

  it('passes selectAggregationTemporality / selectAggregation through only when the wrapped exporter has them', () => {
    const memory = new InMemoryMetricExporter(AggregationTemporality.DELTA);
    const withSelectors = new PolicyMetricExporter(memory, { policies: { policies: [] } });
    expect(withSelectors.selectAggregationTemporality?.(InstrumentType.COUNTER)).toBe(AggregationTemporality.DELTA);
    expect(withSelectors.selectAggregation).toBeUndefined();

    const selectAggregation = vi.fn(() => ({ type: 0 as const }));
    const bare: PushMetricExporter = { export: (_m, cb) => cb({ code: ExportResultCode.SUCCESS }), forceFlush: async () => {}, shutdown: async () => {}, selectAggregation };
    const wrapped = new PolicyMetricExporter(bare, { policies: { policies: [] } });
    expect('selectAggregationTemporality' in wrapped).toBe(false);
    wrapped.selectAggregation?.(InstrumentType.HISTOGRAM);
    expect(selectAggregation).toHaveBeenCalledWith(InstrumentType.HISTOGRAM);
  });

  it('the reader honours the wrapped exporter temporality through the wrapper', async () => {
    const h = harness({ policies: [] }, { temporality: AggregationTemporality.DELTA });
    h.meter().createCounter('a').add(1);
    const [rm] = await h.flush();
    expect(rm.scopeMetrics[0].metrics[0].aggregationTemporality).toBe(AggregationTemporality.DELTA);
  });
});
