/**
 * withPolicies: a NodeSDK configuration with every signal behind one shared
 * policy handle, on the suite's SDK line (real providers, in-memory exporters).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { openPolicies, PolicyLogRecordProcessor, PolicySpanProcessor } from '@otel-policy/sdk-processor';
import { withPolicies } from '../src/node/index.js';
import { pipelineFromEnv } from '../src/node/env-pipeline.js';
import { sdkPackages } from '../src/node/sdk-packages.js';

const POLICIES = {
  policies: [
    { id: 'drop-debug', name: 'drop debug', log: { match: [{ log_field: 'severity_text', equals: 'DEBUG' }], keep: 'none' } },
    { id: 'drop-health', name: 'drop health', trace: { match: [{ trace_field: 'name', equals: 'GET /healthz' }], keep: { percentage: 0 } } },
  ],
};

function providers(config: ReturnType<typeof withPolicies>) {
  const tracerProvider = new BasicTracerProvider({ spanProcessors: config.spanProcessors as never });
  const loggerProvider = new LoggerProvider({ processors: config.logRecordProcessors as never });
  return { tracer: tracerProvider.getTracer('t'), logger: loggerProvider.getLogger('l'), tracerProvider, loggerProvider };
}

describe('withPolicies', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('puts the given span and log record processors behind one shared policy handle', async () => {
    // Metrics are left out, so they would be built from the environment: none here.
    process.env.OTEL_METRICS_EXPORTER = 'none';
    const spans = new InMemorySpanExporter();
    const logs = new InMemoryLogRecordExporter();
    const config = withPolicies(
      { serviceName: 'shop', spanProcessors: [new SimpleSpanProcessor(spans)], logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: logs })] },
      { policies: POLICIES },
    );
    expect(config.serviceName).toBe('shop');
    const [spanProcessor] = config.spanProcessors as PolicySpanProcessor[];
    const [logProcessor] = config.logRecordProcessors as PolicyLogRecordProcessor[];
    expect(spanProcessor).toBeInstanceOf(PolicySpanProcessor);
    expect(logProcessor).toBeInstanceOf(PolicyLogRecordProcessor);
    expect(spanProcessor.policies).toBe(logProcessor.policies);

    const { tracer, logger, tracerProvider, loggerProvider } = providers(config);
    tracer.startSpan('GET /healthz').end();
    tracer.startSpan('GET /orders').end();
    logger.emit({ severityText: 'DEBUG', severityNumber: SeverityNumber.DEBUG, body: 'noise' });
    logger.emit({ severityText: 'INFO', severityNumber: SeverityNumber.INFO, body: 'order paid' });
    await loggerProvider.forceFlush();
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(['GET /orders']);
    expect(logs.getFinishedLogRecords().map((r) => r.body)).toEqual(['order paid']);
    expect(spanProcessor.policies.stats().find((s) => s.policyId === 'drop-debug')?.hits).toBe(1);

    // The shared handle shuts down with the last processor that uses it.
    const handle = logProcessor.policies;
    let closed = 0;
    const shutdown = handle.shutdown.bind(handle);
    handle.shutdown = () => (closed++, shutdown());
    expect(handle.users).toBe(2);
    await tracerProvider.shutdown();
    expect(closed).toBe(0);
    await loggerProvider.shutdown();
    expect(closed).toBe(1);
  });

  it('keeps a handle of the caller open, and the rest of the configuration as it was', async () => {
    process.env.OTEL_METRICS_EXPORTER = 'none';
    const handle = openPolicies(POLICIES);
    const spans = new InMemorySpanExporter();
    const config = withPolicies({ spanProcessors: [new SimpleSpanProcessor(spans)], logRecordProcessors: [] }, { policies: handle });
    expect((config.spanProcessors![0] as PolicySpanProcessor).policies).toBe(handle);
    expect(config.logRecordProcessors).toEqual([]);
    const { tracer, tracerProvider } = providers(config);
    await tracerProvider.shutdown();
    // Still usable: the caller owns it.
    tracer.startSpan('GET /healthz').end();
    expect(handle.stats().find((s) => s.policyId === 'drop-health')).toBeDefined();
    await handle.shutdown();
  });

  it('builds what the environment asks for when the configuration leaves a signal out, as NodeSDK would', () => {
    const sdk = sdkPackages();
    process.env.OTEL_TRACES_EXPORTER = 'console';
    process.env.OTEL_LOGS_EXPORTER = 'none';
    process.env.OTEL_METRICS_EXPORTER = 'otlp';
    process.env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL = 'grpc';
    const env = pipelineFromEnv(sdk);
    expect(env.spanProcessors?.map((p) => p.constructor.name)).toEqual(['SimpleSpanProcessor']);
    expect(env.logRecordProcessors).toBeUndefined();
    expect(env.metricReaders).toHaveLength(1);
    const seen: string[] = [];
    const reader = env.metricReaders![0]((e) => {
      seen.push(e.constructor.name);
      return e;
    }) as { shutdown(): Promise<void> };
    expect(seen).toEqual(['OTLPMetricExporter']);
    void reader.shutdown();

    process.env.OTEL_TRACES_EXPORTER = 'otlp,zipkin';
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = 'http/json';
    delete process.env.OTEL_LOGS_EXPORTER;
    const env2 = pipelineFromEnv(sdk);
    expect(env2.spanProcessors?.map((p) => p.constructor.name)).toEqual(['BatchSpanProcessor', 'BatchSpanProcessor']);
    expect(env2.logRecordProcessors?.map((p) => p.constructor.name)).toEqual(['BatchLogRecordProcessor']);
    return Promise.all([...env2.spanProcessors!, ...env2.logRecordProcessors!, ...env.spanProcessors!].map((p) => p.shutdown()));
  });

  it('leaves a signal the environment turns off to NodeSDK (off), and wraps the others', async () => {
    process.env.OTEL_TRACES_EXPORTER = 'none';
    process.env.OTEL_LOGS_EXPORTER = 'console';
    process.env.OTEL_METRICS_EXPORTER = 'none';
    const config = withPolicies({}, { policies: POLICIES });
    expect(config.spanProcessors).toBeUndefined();
    expect(config.metricReaders).toBeUndefined();
    expect(config.logRecordProcessors).toHaveLength(1);
    expect(config.logRecordProcessors![0]).toBeInstanceOf(PolicyLogRecordProcessor);
    await config.logRecordProcessors![0].shutdown();
  });
});
