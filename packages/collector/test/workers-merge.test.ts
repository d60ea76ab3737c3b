import { describe, expect, it } from 'vitest';
import type { PolicyStatusReport } from '@otel-policy/core';
import { countersOnly, mergePrometheus, StatsMerger } from '../src/workers/merge.js';

const page = (accepted: number, queue: number, policies: number) =>
  [
    '# HELP otelcol_receiver_accepted_log_records_total Accepted',
    '# TYPE otelcol_receiver_accepted_log_records_total counter',
    `otelcol_receiver_accepted_log_records_total{receiver="otlp"} ${accepted}`,
    '# HELP otelcol_exporter_queue_size Queue',
    '# TYPE otelcol_exporter_queue_size gauge',
    `otelcol_exporter_queue_size{exporter="x"} ${queue}`,
    '# HELP processor_policy_policies Policies',
    '# TYPE processor_policy_policies gauge',
    `processor_policy_policies{state="active"} ${policies}`,
    '',
  ].join('\n');

const report = (id: string, epoch: number, hits: number): PolicyStatusReport => ({
  policyId: id,
  statsEpoch: epoch,
  hits,
  misses: 0,
  errors: [],
  remove: { hits: 0, misses: 0 },
  redact: { hits, misses: 0 },
  rename: { hits: 0, misses: 0 },
  add: { hits: 0, misses: 0 },
});

describe('merging the workers', () => {
  it('sums series over pages, once per HELP/TYPE, and takes service-wide gauges once', () => {
    const merged = mergePrometheus([page(10, 2, 3), page(5, 1, 3)]);
    expect(merged.match(/# TYPE otelcol_receiver_accepted_log_records_total counter/g)).toHaveLength(1);
    expect(merged).toContain('otelcol_receiver_accepted_log_records_total{receiver="otlp"} 15\n');
    expect(merged).toContain('otelcol_exporter_queue_size{exporter="x"} 3\n');
    expect(merged).toContain('processor_policy_policies{state="active"} 3\n');
  });

  it('keeps only the counters of a page (what a worker that is gone still adds)', () => {
    const kept = countersOnly(page(10, 2, 3));
    expect(kept).toContain('otelcol_receiver_accepted_log_records_total{receiver="otlp"} 10');
    expect(kept).not.toContain('queue_size');
    expect(kept).not.toContain('processor_policy_policies');
    // A replaced worker's counters plus its replacement's: the total does not go down.
    expect(mergePrometheus([kept, page(1, 0, 3)])).toContain('otelcol_receiver_accepted_log_records_total{receiver="otlp"} 11\n');
  });

  it('adds up per-policy stats across workers and across a worker restart', () => {
    const m = new StatsMerger();
    m.update(1, [report('p', 7, 10)]);
    m.update(2, [report('p', 3, 5)]);
    m.update(1, [report('p', 7, 12)]);
    expect(m.reports()[0]).toMatchObject({ hits: 17, redact: { hits: 17, misses: 0 } });
    // Worker 1 replaced (a new process, counters from zero).
    m.forget(1);
    m.update(9, [report('p', 7, 4)]);
    expect(m.reports()[0].hits).toBe(21);
    // A policy redefined in worker 2 (new epoch): its new counts add on.
    m.update(2, [report('p', 8, 2)]);
    expect(m.reports()[0].hits).toBe(23);
    expect(m.reports(new Set(['other']))).toEqual([]);
  });
});

describe("a worker's share of the configuration", () => {
  it('divides the memory limits and the bytes in flight, and leaves self-metrics and health checks to the primary', async () => {
    const { parseConfigText } = await import('@otel-policy/collector');
    const { workerConfig } = await import('../src/workers/worker-config.js');
    const config = parseConfigText(
      `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } }, admission: { request_limit_mib: 100 } } }
processors: { memory_limiter: { check_interval: 1s, limit_mib: 1000, spike_limit_mib: 200 } }
exporters: { debug: }
extensions: { health_check: { endpoint: "127.0.0.1:0" } }
service:
  extensions: [health_check]
  telemetry: { metrics: { level: basic, address: "127.0.0.1:0" } }
  pipelines: { logs: { receivers: [otlp], processors: [memory_limiter], exporters: [debug] } }
`,
      process.cwd(),
    );
    const w = workerConfig(config, 4);
    const MiB = 1024 * 1024;
    expect(w.receivers.get('otlp')!.admission.requestLimitBytes).toBe(25 * MiB);
    expect(w.processors.get('memory_limiter')).toMatchObject({ limitBytes: 250 * MiB, spikeLimitBytes: 50 * MiB });
    expect(w.service.telemetry.metrics).toBeUndefined();
    expect(w.service.extensions).toEqual([]);
    // The primary's own view is untouched.
    expect(config.receivers.get('otlp')!.admission.requestLimitBytes).toBe(100 * MiB);
  });
});
