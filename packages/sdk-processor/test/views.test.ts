/**
 * dropViewsFor: metric drop policies as sdk-metrics DROP views, checked
 * against a real MeterProvider (sdk-metrics 2.x).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, AggregationType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { parsePolicyDocument } from '@otel-policy/core';
import { dropViewsFor } from '../src/views.js';
import { openPolicies } from '../src/policy-source.js';
import { PolicyMetricExporter } from '../src/metric-exporter.js';

const drop = (id: string, ...match: unknown[]) => ({ id, metric: { match, keep: false } });
const DROP = { type: AggregationType.DROP };

const providers: MeterProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.shutdown().catch(() => undefined)));
});

/** A provider with the given views; returns a function that collects and lists exported `scope/name`s. */
function provider(views: ViewOptions[], wrap: (m: InMemoryMetricExporter) => PushMetricExporter = (m) => m) {
  const memory = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const exporter = wrap(memory);
  const mp = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'views-test' }),
    views,
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })],
  });
  providers.push(mp);
  const exported = async (): Promise<string[]> => {
    memory.reset();
    await mp.forceFlush();
    return memory
      .getMetrics()
      .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => `${sm.scope.name}/${m.descriptor.name}`)))
      .sort();
  };
  return { mp, exporter, exported };
}

describe('dropViewsFor: what it takes', () => {
  it('says so when given a path or a handle instead of policy text', async () => {
    expect(() => dropViewsFor('./policies.yaml')).toThrow(/not a path \("\.\/policies\.yaml"\): pass dropViewsFor\(readFileSync/);
    const handle = openPolicies({ policies: [] });
    try {
      expect(() => dropViewsFor(handle as never)).toThrow(/not a handle/);
    } finally {
      await handle.shutdown();
    }
  });

  it('reads one-line JSON text as policies, not as a path', () => {
    const { views } = dropViewsFor('{"policies":[{"id":"d","metric":{"match":[{"metric_field":"name","exact":"x.json"}],"keep":false}}]}');
    expect(views).toHaveLength(1);
  });
});

describe('dropViewsFor: which policies become views', () => {
  it('maps name matchers to instrumentName patterns, scope_name to meterName and unit to instrumentUnit', () => {
    const { views, expressed, skipped } = dropViewsFor({
      policies: [
        drop('exact', { metric_field: 'name', exact: 'debug.counter' }),
        drop('equals', { metric_field: 'name', equals: 'debug.equals' }),
        drop('prefix', { metric_field: 'METRIC_FIELD_NAME', starts_with: 'internal.' }),
        drop('suffix', { metric_field: 'name', ends_with: '.tmp' }),
        drop('scoped', { metric_field: 'name', exact: 'x' }, { metric_field: 'scope_name', exact: 'noisy-lib' }),
        drop('whole-meter', { metric_field: 'scope_name', exact: 'chatty-lib' }),
        drop('unit', { metric_field: 'name', starts_with: 'size.' }, { metric_field: 'unit', exact: 'By' }),
      ],
    });
    expect(skipped).toEqual([]);
    expect(expressed.map((e) => e.policyId)).toEqual(['exact', 'equals', 'prefix', 'suffix', 'scoped', 'whole-meter', 'unit']);
    expect(views).toEqual([
      { instrumentName: 'debug.counter', aggregation: DROP },
      { instrumentName: 'debug.equals', aggregation: DROP },
      { instrumentName: 'internal.*', aggregation: DROP },
      { instrumentName: '*.tmp', aggregation: DROP },
      { instrumentName: 'x', meterName: 'noisy-lib', aggregation: DROP },
      { instrumentName: '*', meterName: 'chatty-lib', aggregation: DROP },
      { instrumentName: 'size.*', instrumentUnit: 'By', aggregation: DROP },
    ]);
  });

  it('leaves everything else to the exporter, with a reason', () => {
    const { views, skipped } = dropViewsFor({
      policies: [
        drop('negate', { metric_field: 'name', exact: 'a', negate: true }),
        drop('ci', { metric_field: 'name', exact: 'a', case_insensitive: true }),
        drop('regex', { metric_field: 'name', regex: '^a' }),
        drop('contains', { metric_field: 'name', contains: 'debug' }),
        drop('star', { metric_field: 'name', exact: 'a*' }),
        drop('question', { metric_field: 'name', starts_with: 'a?' }),
        drop('empty', { metric_field: 'name', exact: '' }),
        drop('two-names', { metric_field: 'name', starts_with: 'a' }, { metric_field: 'name', ends_with: 'b' }),
        drop('dp-attr', { metric_field: 'name', exact: 'a' }, { datapoint_attribute: 'k', exact: 'v' }),
        drop('res-attr', { resource_attribute: 'service.name', exact: 's' }),
        drop('scope-attr', { scope_attribute: 'k', exact: 's' }),
        drop('type', { metric_type: 'histogram' }),
        drop('temporality', { aggregation_temporality: 'delta' }),
        drop('version', { metric_field: 'scope_name', exact: 'lib' }, { metric_field: 'scope_version', exact: '1.0' }),
        drop('description', { metric_field: 'description', exact: 'x' }),
        drop('scope-prefix', { metric_field: 'scope_name', starts_with: 'lib' }),
        drop('exists', { metric_field: 'name', exists: true }),
        { id: 'keeps', metric: { match: [{ metric_field: 'name', exact: 'a' }], keep: true } },
        { id: 'disabled', enabled: false, metric: { match: [{ metric_field: 'name', exact: 'a' }], keep: false } },
        { id: 'two-targets', metric: { match: [{ metric_field: 'name', exact: 'a' }], keep: false }, log: { match: [], keep: 'none' } },
        { id: 'a-log-policy', log: { match: [{ log_field: 'body', exact: 'x' }], keep: 'none' } },
      ],
    });
    expect(views).toEqual([]);
    expect(Object.fromEntries(skipped.map((s) => [s.policyId, s.reason]))).toEqual({
      negate: 'match[0]: negate',
      ci: 'match[0]: case_insensitive',
      regex: 'match[0]: regex has no instrument name pattern',
      contains: 'match[0]: contains needs two wildcards (*literal*); sdk-metrics expands only the first (see multiWildcard)',
      star: 'match[0]: the literal holds a wildcard character (* or ?)',
      question: 'match[0]: the literal holds a wildcard character (* or ?)',
      empty: 'match[0]: empty literal',
      'two-names': 'match[1]: more than one metric name matcher',
      'dp-attr': 'match[1]: datapoint_attribute selects data points, not instruments',
      'res-attr': 'match[0]: resource_attribute has no view selector',
      'scope-attr': 'match[0]: scope_attribute has no view selector',
      type: 'match[0]: metric_type depends on the aggregation, not only on the instrument',
      temporality: 'match[0]: aggregation_temporality depends on the aggregation, not only on the instrument',
      version: 'match[1]: metric_field scope_version has no view selector (sdk-metrics ignores it for meters without one)',
      description: 'match[0]: metric_field description has no view selector',
      'scope-prefix': 'match[0]: scope_name needs an exact match (views select meters and units exactly)',
      exists: 'match[0]: exists has no instrument name pattern',
      keeps: 'keep: true (drops nothing)',
      disabled: 'disabled',
      'two-targets': 'invalid: policy has more than one target (log, metric)',
    });
  });

  it('accepts a parsed set, a document and policy file text alike, and deduplicates views', () => {
    const doc = { policies: [drop('a', { metric_field: 'name', exact: 'x' }), drop('b', { metric_field: 'name', exact: 'x' })] };
    const yaml = [
      'policies:',
      '  - id: a',
      '    metric:',
      '      match: [{ metric_field: name, exact: x }]',
      '      keep: false',
      '  - id: b',
      '    metric:',
      '      match: [{ metric_field: name, exact: x }]',
      '      keep: false',
    ].join('\n');
    for (const input of [doc, parsePolicyDocument(doc), JSON.stringify(doc), yaml]) {
      const out = dropViewsFor(input);
      expect(out.views).toEqual([{ instrumentName: 'x', aggregation: DROP }]);
      expect(out.expressed.map((e) => [e.policyId, e.view])).toEqual([
        ['a', out.views[0]],
        ['b', out.views[0]],
      ]);
    }
  });

  it('uses the aggregation given, and contains with multiWildcard', () => {
    const custom = { type: AggregationType.DROP } as const;
    const { views } = dropViewsFor({ policies: [drop('c', { metric_field: 'name', contains: 'debug' })] }, { aggregation: custom, multiWildcard: true });
    expect(views).toEqual([{ instrumentName: '*debug*', aggregation: custom }]);
    expect(views[0].aggregation).toBe(custom);
  });
});

describe('dropViewsFor: in a MeterProvider', () => {
  const policies = {
    policies: [
      drop('drop-debug', { metric_field: 'name', starts_with: 'debug.' }),
      drop('drop-tmp', { metric_field: 'name', ends_with: '.tmp' }),
      drop('drop-noisy-x', { metric_field: 'name', exact: 'x' }, { metric_field: 'scope_name', exact: 'noisy' }),
      drop('drop-chatty', { metric_field: 'scope_name', exact: 'chatty' }),
      drop('drop-bytes', { metric_field: 'name', exact: 'size' }, { metric_field: 'unit', exact: 'By' }),
    ],
  };

  const record = (mp: MeterProvider) => {
    const app = mp.getMeter('app');
    app.createCounter('debug.a').add(1);
    app.createHistogram('debug.b').record(1);
    app.createCounter('cache.tmp').add(1);
    app.createCounter('x').add(1);
    app.createCounter('http.requests').add(1);
    app.createCounter('size', { unit: 'By' }).add(1);
    app.createCounter('size', { unit: '{item}' }).add(1);
    mp.getMeter('noisy').createCounter('x').add(1);
    mp.getMeter('noisy').createCounter('y').add(1);
    mp.getMeter('chatty').createCounter('anything').add(1);
    mp.getMeter('chatty', '1.0.0')
      .createObservableGauge('observed')
      .addCallback((r) => r.observe(1));
  };

  it('the SDK never exports the dropped instruments, with no policy exporter at all', async () => {
    const { views, skipped } = dropViewsFor(policies);
    expect(skipped).toEqual([]);
    const { mp, exported } = provider(views);
    record(mp);
    // Only the `size` instrument with unit By is dropped; the {item} one stays.
    expect(await exported()).toEqual(['app/http.requests', 'app/size', 'app/x', 'noisy/y']);
  });

  it('gives the same output as the exporter alone, without evaluating the dropped instruments', async () => {
    const withViews = provider(dropViewsFor(policies).views, (m) => new PolicyMetricExporter(m, { policies }));
    const exporterOnly = provider([], (m) => new PolicyMetricExporter(m, { policies }));
    record(withViews.mp);
    record(exporterOnly.mp);
    expect(await withViews.exported()).toEqual(await exporterOnly.exported());
    const hits = (p: PushMetricExporter) => Object.fromEntries((p as PolicyMetricExporter).policies.stats().map((s) => [s.policyId, s.hits]));
    // The views dropped those points before aggregation: the exporter never saw them.
    expect(hits(withViews.exporter)).toEqual({ 'drop-bytes': 0, 'drop-chatty': 0, 'drop-debug': 0, 'drop-noisy-x': 0, 'drop-tmp': 0 });
    expect(hits(exporterOnly.exporter)).toEqual({ 'drop-bytes': 1, 'drop-chatty': 2, 'drop-debug': 2, 'drop-noisy-x': 1, 'drop-tmp': 1 });
  });

  it('keeps policies the views cannot express working through the exporter', async () => {
    const mixed = { policies: [drop('drop-debug', { metric_field: 'name', starts_with: 'debug.' }), drop('drop-attr', { datapoint_attribute: 'tier', exact: 'free' })] };
    const { views, skipped } = dropViewsFor(mixed);
    expect(skipped.map((s) => s.policyId)).toEqual(['drop-attr']);
    const { mp, exported } = provider(views, (m) => new PolicyMetricExporter(m, { policies: mixed }));
    const app = mp.getMeter('app');
    app.createCounter('debug.a').add(1);
    app.createCounter('only-free').add(1, { tier: 'free' });
    app.createCounter('paid').add(1, { tier: 'paid' });
    expect(await exported()).toEqual(['app/paid']);
  });

  it('why contains is not a view by default: sdk-metrics 2.x expands only the first "*" of instrumentName', async () => {
    // If this starts failing, the SDK expands every wildcard and
    // `multiWildcard: true` becomes safe for it.
    const { views } = dropViewsFor({ policies: [drop('c', { metric_field: 'name', contains: 'debug' })] }, { multiWildcard: true });
    const { mp, exported } = provider(views);
    mp.getMeter('app').createCounter('app.debug.count').add(1);
    mp.getMeter('app').createCounter('app.debug').add(1);
    // `*debug*` became /^.*debug*$/: it selects names ending in "debu", "debug", "debugg"...
    expect(await exported()).toEqual(['app/app.debug.count']);
  });
});
