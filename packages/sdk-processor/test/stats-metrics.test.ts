/**
 * Per-policy counters exported as OTel metrics through the app's own
 * MeterProvider: otel_policy.records{policy_id, outcome}.
 */
import { describe, expect, it } from 'vitest';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { openPolicies, PolicyLogRecordProcessor } from '@otel-policy/sdk-processor';

const POLICIES = {
  policies: [
    { id: 'drop-debug', name: 'drop debug', log: { match: [{ log_field: 'severity_text', exact: 'DEBUG' }], keep: 'none' } },
    { id: 'keep-all', name: 'keep all', log: { match: [{ log_field: 'body', contains: 'x' }], keep: 'all' } },
  ],
};

describe('stats as OTel metrics', () => {
  it('observes hits and misses per policy at collection time', async () => {
    const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const policies = openPolicies(POLICIES, { meterProvider });
    const logs = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new PolicyLogRecordProcessor(new SimpleLogRecordProcessor({ exporter: logs }), { policies })] });
    const logger = provider.getLogger('t');
    logger.emit({ severityText: 'DEBUG', body: 'x1' }); // both match: drop-debug hit, keep-all miss
    logger.emit({ severityText: 'INFO', body: 'x2' }); // keep-all hit
    logger.emit({ severityText: 'INFO', body: 'y' }); // no match
    expect(logs.getFinishedLogRecords().map((r) => r.body)).toEqual(['x2', 'y']);

    await reader.forceFlush();
    const metric = metricExporter
      .getMetrics()
      .flatMap((rm) => rm.scopeMetrics)
      .flatMap((sm) => sm.metrics)
      .find((m) => m.descriptor.name === 'otel_policy.records');
    expect(metric).toBeDefined();
    const points = Object.fromEntries(metric!.dataPoints.map((dp) => [`${dp.attributes.policy_id}/${dp.attributes.outcome}`, dp.value]));
    expect(points).toEqual({ 'drop-debug/hit': 1, 'drop-debug/miss': 0, 'keep-all/hit': 1, 'keep-all/miss': 1 });
    await provider.shutdown();
    await meterProvider.shutdown();
    await policies.shutdown();
  });
});
