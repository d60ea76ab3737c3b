/**
 * Policies from the very first record: local sources (a policy file, a
 * directory, a provider that reads synchronously, a sync provider's cache)
 * are in force before the processor's constructor returns; records that
 * arrive before a sync server's first set are held (bounded), dropped or
 * passed, per `whileLoading`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createContextKey, diag, ROOT_CONTEXT } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { parsePolicyDocument, type PolicyProvider, type PolicyProviderListener, type PolicySet } from '@otel-policy/core';
import { HttpPolicyProvider, PolicySyncServer } from '@otel-policy/providers';
import { openPolicies, PolicyLogRecordProcessor, PolicyMetricExporter, PolicySpanProcessor, type LogRecordProcessorLike, type PolicyConfig } from '@otel-policy/sdk-processor';
import { captureDiag, waitFor } from './support.js';

const YAML = `policies:
  - id: drop-debug
    name: drop-debug
    log:
      match: [{ log_field: severity_text, exact: DEBUG }]
      keep: none
  - id: scrub
    name: scrub
    log:
      match: [{ log_field: body, contains: "password=" }]
      keep: all
      transform:
        redact:
          - { log_field: body, regex: "password=\\\\w+", replacement: "password=***" }
          - { log_attribute: token, replacement: "***" }
  - id: drop-health
    name: drop-health
    trace:
      match: [{ span_attribute: http.route, exact: /health }]
      keep: { percentage: 0 }
  - id: drop-debug-metric
    name: drop-debug-metric
    metric:
      match: [{ metric_field: name, exact: debug.counter }]
      keep: false
`;

const POLICY_DOC = {
  policies: [
    { id: 'drop-debug', name: 'drop-debug', log: { match: [{ log_field: 'severity_text', exact: 'DEBUG' }], keep: 'none' } },
    {
      id: 'scrub',
      name: 'scrub',
      log: {
        match: [{ log_field: 'body', contains: 'password=' }],
        keep: 'all',
        transform: {
          redact: [
            { log_field: 'body', regex: 'password=\\w+', replacement: 'password=***' },
            { log_attribute: 'token', replacement: '***' },
          ],
        },
      },
    },
    { id: 'drop-health', name: 'drop-health', trace: { match: [{ span_attribute: 'http.route', exact: '/health' }], keep: { percentage: 0 } } },
    { id: 'drop-debug-metric', name: 'drop-debug-metric', metric: { match: [{ metric_field: 'name', exact: 'debug.counter' }], keep: false } },
  ],
};
const policySet = (): PolicySet => parsePolicyDocument(POLICY_DOC);

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  diag.disable();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-startup-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function policyFile(): string {
  const file = path.join(tempDir(), 'policies.yaml');
  writeFileSync(file, YAML);
  return file;
}

/** A log pipeline: PolicyLogRecordProcessor -> SimpleLogRecordProcessor -> in-memory exporter. */
function logs(config: PolicyConfig) {
  const exporter = new InMemoryLogRecordExporter();
  const processor = new PolicyLogRecordProcessor(new SimpleLogRecordProcessor({ exporter }), config);
  const provider = new LoggerProvider({ processors: [processor] });
  cleanups.push(() => provider.shutdown());
  const logger = provider.getLogger('startup');
  /** Emit the three probe records: one dropped, one redacted, one untouched. */
  const emitProbes = (tag = '') => {
    logger.emit({ severityText: 'DEBUG', body: `noise${tag}` });
    logger.emit({ severityText: 'INFO', body: `login password=hunter2${tag}`, attributes: { token: 'secret' } });
    logger.emit({ severityText: 'INFO', body: `hello${tag}` });
  };
  const exported = () => exporter.getFinishedLogRecords().map((r) => ({ body: r.body, attributes: { ...r.attributes } }));
  return { exporter, processor, provider, logger, emitProbes, exported };
}

const FILTERED = (tag = '') => [
  { body: `login password=***${tag}`, attributes: { token: '***' } },
  { body: `hello${tag}`, attributes: {} },
];
const UNFILTERED = (tag = '') => [
  { body: `noise${tag}`, attributes: {} },
  { body: `login password=hunter2${tag}`, attributes: { token: 'secret' } },
  { body: `hello${tag}`, attributes: {} },
];

/** A span pipeline; `emit()` ends a /health span and an /api span. */
function spans(config: PolicyConfig) {
  const exporter = new InMemorySpanExporter();
  const processor = new PolicySpanProcessor(new SimpleSpanProcessor(exporter), config);
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  cleanups.push(() => provider.shutdown());
  const tracer = provider.getTracer('startup');
  const emit = () => {
    tracer.startSpan('health', { attributes: { 'http.route': '/health' } }).end();
    tracer.startSpan('api', { attributes: { 'http.route': '/api' } }).end();
  };
  const names = () => exporter.getFinishedSpans().map((s) => s.name);
  return { exporter, processor, provider, emit, names };
}

/** A sync server on loopback serving the test policies. */
async function syncServer(): Promise<PolicySyncServer> {
  const server = new PolicySyncServer({ policies: policySet(), httpPort: 0, grpcPort: false, log: () => {} });
  await server.start();
  cleanups.push(() => server.stop());
  return server;
}

const syncUrl = (port: number | undefined) => `http://127.0.0.1:${port}/v1/policy/sync`;

/** An HTTP server on loopback that takes sync requests and never answers them. */
async function silentServer(): Promise<string> {
  const server: Server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return syncUrl((server.address() as AddressInfo).port);
}

/** A remote provider as tests use it: no final report, short request timeout. */
const http = (url: string, extra: { cachePath?: string } = {}) => new HttpPolicyProvider({ url, finalReport: false, timeoutMs: 2000, backoffBaseMs: 50, backoffMaxMs: 200, ...extra });

/** A provider that reads its set synchronously (like a file), and delivers nothing more. */
class LocalProvider implements PolicyProvider {
  readonly id = 'local';
  constructor(private readonly read: () => PolicySet) {}
  loadSync(): PolicySet {
    return this.read();
  }
  async start(_listener: PolicyProviderListener): Promise<void> {}
  async shutdown(): Promise<void> {}
}

describe('local policy sources apply from the first record', () => {
  it('a log processor built from a YAML file path drops and redacts the first records, no await', () => {
    const p = logs({ policies: policyFile() });
    p.emitProbes();
    expect(p.exported()).toEqual(FILTERED());
    expect(p.processor.policies.loading).toBe(false);
  });

  it('a log processor built from a directory of policy files does too', () => {
    const dir = path.join(tempDir(), 'policies.d');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'all.yaml'), YAML);
    const p = logs({ policies: dir });
    p.emitProbes();
    expect(p.exported()).toEqual(FILTERED());
  });

  it('a span processor built from a YAML file path drops the first span, no await', () => {
    const s = spans({ policies: policyFile() });
    s.emit();
    expect(s.names()).toEqual(['api']);
  });

  it('an inline set and any provider with loadSync apply from the first record', () => {
    const inline = logs({ policies: POLICY_DOC });
    inline.emitProbes();
    expect(inline.exported()).toEqual(FILTERED());
    const local = logs({ policies: new LocalProvider(policySet) });
    local.emitProbes();
    expect(local.exported()).toEqual(FILTERED());
  });

  it('a local source that cannot be read is reported once and does not hold records (fail-open)', () => {
    const capture = captureDiag();
    const p = logs({
      policies: new LocalProvider(() => {
        throw new Error('ENOENT: no such file, open /nowhere/policies.yaml');
      }),
    });
    p.emitProbes();
    expect(p.exported()).toEqual(UNFILTERED());
    expect(capture.find('warn', '/nowhere/policies.yaml').length).toBe(1);
    expect(p.processor.policies.loading).toBe(false);
  });

  it('a metric exporter built from a YAML file path filters the first export without waiting', async () => {
    const memory = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const exporter = new PolicyMetricExporter(memory, { policies: policyFile() });
    const result = new Promise<number>((resolve) => exporter.export(metricsBatch(), (r) => resolve(r.code)));
    // Handed to the wrapped exporter synchronously, filtered.
    expect(exportedMetricNames(memory)).toEqual(['ok.counter']);
    expect(await result).toBe(0);
    await exporter.shutdown();
  });
});

describe('a sync server: records wait for its first set', () => {
  it('holds records emitted at startup and forwards them, filtered and in order, once the set arrives', async () => {
    const server = await syncServer();
    const p = logs({ policies: http(syncUrl(server.httpPort)) });
    p.emitProbes('-1');
    p.emitProbes('-2');
    expect(p.exported()).toEqual([]);
    expect(p.processor.policies.loadingStats()).toMatchObject({ loaded: false, held: 6 });
    await p.processor.policies.loaded;
    expect(p.exported()).toEqual([...FILTERED('-1'), ...FILTERED('-2')]);
    p.emitProbes('-3');
    expect(p.exported().slice(4)).toEqual(FILTERED('-3'));
    expect(p.processor.policies.loadingStats()).toEqual({ loaded: true, gaveUp: false, held: 0, passedUnfiltered: 0, dropped: 0 });
  });

  it('passes held and later records, with exactly one warning, when the server does not answer within the bound', async () => {
    const capture = captureDiag();
    const url = await silentServer();
    const p = logs({ policies: http(url), holdTimeoutMs: 200 });
    p.emitProbes('-1');
    expect(p.exported()).toEqual([]);
    await p.processor.policies.loaded;
    expect(p.exported()).toEqual(UNFILTERED('-1'));
    p.emitProbes('-2');
    expect(p.exported().slice(3)).toEqual(UNFILTERED('-2'));
    expect(capture.find('warn', 'were not loaded within 200 ms').length).toBe(1);
    expect(p.processor.policies.loadingStats()).toEqual({ loaded: false, gaveUp: true, held: 0, passedUnfiltered: 6, dropped: 0 });
  });

  it.each([3_000_000_000, Infinity])('keeps holding for a hold timeout of %s ms, past what a timer can wait (it used to give up at once)', async (holdTimeoutMs) => {
    const capture = captureDiag();
    const handle = openPolicies(http(await silentServer()), { holdTimeoutMs });
    const p = logs({ policies: handle });
    p.emitProbes('-1');
    await new Promise((r) => setTimeout(r, 300));
    expect(p.exported()).toEqual([]);
    expect(p.processor.policies.loadingStats()).toMatchObject({ loaded: false, gaveUp: false, held: 3, passedUnfiltered: 0 });
    expect(capture.find('warn', 'were not loaded').length).toBe(0);
    // Only the handle's owner ends such a hold before the policies arrive.
    await handle.shutdown();
  });

  it('reports a sync server that keeps failing the same way once, not at every retry', async () => {
    const capture = captureDiag();
    let requests = 0;
    const server: Server = createServer((_req, res) => {
      requests++;
      res.statusCode = 500;
      res.end('down');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const handle = openPolicies(http(syncUrl((server.address() as AddressInfo).port)), { holdTimeoutMs: 60_000 });
    cleanups.push(() => handle.shutdown());
    await waitFor(() => requests >= 4, 5000, 'retries');
    expect(capture.find('warn', 'policy provider').length).toBe(1);
    expect(capture.find('warn', 'HTTP 500').length).toBe(1);
  });

  it('gives up holding at the count bound: everything held passes, with one warning', async () => {
    const capture = captureDiag();
    const url = await silentServer();
    const p = logs({ policies: http(url), holdMaxRecords: 4, holdTimeoutMs: 60_000 });
    p.emitProbes('-1');
    expect(p.exported()).toEqual([]);
    p.emitProbes('-2');
    expect(p.exported()).toEqual([...UNFILTERED('-1'), ...UNFILTERED('-2')]);
    expect(capture.find('warn', 'before the hold limit of 4 records was exceeded').length).toBe(1);
    expect(p.processor.policies.loadingStats()).toMatchObject({ gaveUp: true, held: 0, passedUnfiltered: 6 });
  });

  it("whileLoading 'drop' drops records until the first set, then filters", async () => {
    const server = await syncServer();
    const p = logs({ policies: http(syncUrl(server.httpPort)), whileLoading: 'drop' });
    p.emitProbes('-1');
    await p.processor.policies.loaded;
    p.emitProbes('-2');
    expect(p.exported()).toEqual(FILTERED('-2'));
    expect(p.processor.policies.loadingStats()).toMatchObject({ loaded: true, dropped: 3, passedUnfiltered: 0 });
  });

  it("whileLoading 'pass' forwards records unfiltered until the first set, and counts them", async () => {
    const server = await syncServer();
    const p = logs({ policies: http(syncUrl(server.httpPort)), whileLoading: 'pass' });
    p.emitProbes('-1');
    expect(p.exported()).toEqual(UNFILTERED('-1'));
    await p.processor.policies.loaded;
    p.emitProbes('-2');
    expect(p.exported().slice(3)).toEqual(FILTERED('-2'));
    expect(p.processor.policies.loadingStats()).toMatchObject({ loaded: true, passedUnfiltered: 3, dropped: 0 });
  });

  it('a shared handle holds in each processor and releases all on one signal', async () => {
    const server = await syncServer();
    const handle = openPolicies(http(syncUrl(server.httpPort)));
    cleanups.push(() => handle.shutdown());
    const l = logs({ policies: handle });
    const s = spans({ policies: handle });
    l.emitProbes();
    s.emit();
    expect(l.exported()).toEqual([]);
    expect(s.names()).toEqual([]);
    expect(handle.loadingStats().held).toBe(5);
    await handle.loaded;
    expect(l.exported()).toEqual(FILTERED());
    expect(s.names()).toEqual(['api']);
  });

  it('shutting down a shared handle releases what its processors hold, at once, with one warning', async () => {
    const capture = captureDiag();
    const handle = openPolicies(http(await silentServer()), { holdTimeoutMs: 60_000 });
    const l = logs({ policies: handle });
    l.emitProbes();
    expect(l.exported()).toEqual([]);
    await handle.shutdown();
    expect(l.exported()).toEqual(UNFILTERED());
    expect(capture.find('warn', 'were not loaded before shutdown; 3 held records').length).toBe(1);
    expect(handle.loadingStats()).toMatchObject({ loaded: false, gaveUp: true, held: 0, passedUnfiltered: 3 });
  });

  it('forceFlush waits for the first set and releases the held records, filtered', async () => {
    const server = await syncServer();
    const p = logs({ policies: http(syncUrl(server.httpPort)) });
    p.emitProbes();
    await p.processor.forceFlush();
    expect(p.exported()).toEqual(FILTERED());
  });

  it('shutdown releases held records to the delegate before shutting it down', async () => {
    const server = await syncServer();
    const events: string[] = [];
    const contexts: unknown[] = [];
    const spy: LogRecordProcessorLike = {
      onEmit: (r, context) => {
        events.push(`emit ${String(r.body)}`);
        contexts.push(context);
      },
      forceFlush: async () => void events.push('flush'),
      shutdown: async () => void events.push('shutdown'),
    };
    const processor = new PolicyLogRecordProcessor(spy, { policies: http(syncUrl(server.httpPort)) });
    const provider = new LoggerProvider({ processors: [processor] });
    const logger = provider.getLogger('t');
    const context = ROOT_CONTEXT.setValue(createContextKey('request'), 'r-1');
    logger.emit({ severityText: 'DEBUG', body: 'noise' });
    logger.emit({ body: 'login password=hunter2', context });
    expect(events).toEqual([]);
    await provider.shutdown();
    expect(events).toEqual(['emit login password=***', 'shutdown']);
    // Held with the context it was emitted in.
    expect(contexts).toEqual([context]);
  });

  it('shutdown with a silent server passes the held records (fail-open) before shutting the delegate down', async () => {
    const url = await silentServer();
    const events: string[] = [];
    const spy: LogRecordProcessorLike = {
      onEmit: (r) => void events.push(`emit ${String(r.body)}`),
      forceFlush: async () => {},
      shutdown: async () => void events.push('shutdown'),
    };
    const processor = new PolicyLogRecordProcessor(spy, { policies: http(url), holdTimeoutMs: 150 });
    const provider = new LoggerProvider({ processors: [processor] });
    provider.getLogger('t').emit({ body: 'a' });
    await provider.shutdown();
    expect(events).toEqual(['emit a', 'shutdown']);
  });

  it('the metric exporter waits for the first set before exporting, within the bound', async () => {
    const server = await syncServer();
    const memory = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const exporter = new PolicyMetricExporter(memory, { policies: http(syncUrl(server.httpPort)) });
    cleanups.push(() => exporter.shutdown());
    const done = new Promise<number>((resolve) => exporter.export(metricsBatch(), (r) => resolve(r.code)));
    expect(memory.getMetrics()).toEqual([]);
    expect(await done).toBe(0);
    expect(exportedMetricNames(memory)).toEqual(['ok.counter']);

    const silent = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const unanswered = new PolicyMetricExporter(silent, { policies: http(await silentServer()), holdTimeoutMs: 150 });
    cleanups.push(() => unanswered.shutdown());
    expect(await new Promise<number>((resolve) => unanswered.export(metricsBatch(), (r) => resolve(r.code)))).toBe(0);
    expect(exportedMetricNames(silent)).toEqual(['debug.counter', 'ok.counter']);

    const dropping = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const dropper = new PolicyMetricExporter(dropping, { policies: http(await silentServer()), whileLoading: 'drop' });
    cleanups.push(() => dropper.shutdown());
    expect(await new Promise<number>((resolve) => dropper.export(metricsBatch(), (r) => resolve(r.code)))).toBe(0);
    expect(dropping.getMetrics()).toEqual([]);
  });
});

describe('a sync provider with a last-known-good cache', () => {
  it('restarts with the cached policies, from the first record, while the server is down', async () => {
    const cachePath = path.join(tempDir(), 'cache', 'policies.json');
    const server = await syncServer();
    const url = syncUrl(server.httpPort);
    const first = openPolicies(http(url, { cachePath }));
    await first.loaded;
    expect(await waitFor(() => existsSync(cachePath), 5000, 10)).toBe(true);
    await first.shutdown();
    await server.stop();

    // The server is gone (its port refuses connections).
    const p = logs({ policies: http(url, { cachePath }) });
    p.emitProbes();
    expect(p.exported()).toEqual(FILTERED());
    expect(p.processor.policies.loadingStats()).toMatchObject({ loaded: true, held: 0, passedUnfiltered: 0 });
  });

  it('a corrupt cache is reported once and ignored: records wait for the server', async () => {
    const capture = captureDiag();
    const cachePath = path.join(tempDir(), 'policies.json');
    writeFileSync(cachePath, '{"format": "otel-policy-sync-cache/v1", "key": "x", "polic');
    const server = await syncServer();
    const p = logs({ policies: http(syncUrl(server.httpPort), { cachePath }) });
    p.emitProbes();
    expect(p.exported()).toEqual([]);
    await p.processor.policies.loaded;
    expect(p.exported()).toEqual(FILTERED());
    expect(capture.find('warn', 'corrupt policy cache').length).toBe(1);
  });
});

/** A metrics batch with two counters: `debug.counter` (dropped by the policies) and `ok.counter`. */
function metricsBatch(): ResourceMetrics {
  const counter = (name: string) => ({
    descriptor: { name, description: '', unit: '', valueType: 1 },
    dataPointType: DataPointType.SUM,
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    isMonotonic: true,
    dataPoints: [{ startTime: [0, 0] as [number, number], endTime: [0, 0] as [number, number], attributes: {}, value: 1 }],
  });
  return {
    resource: resourceFromAttributes({ 'service.name': 's' }),
    scopeMetrics: [{ scope: { name: 'lib' }, metrics: [counter('debug.counter'), counter('ok.counter')] }],
  } as ResourceMetrics;
}

function exportedMetricNames(memory: InMemoryMetricExporter): string[] {
  return memory.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.descriptor.name)));
}
