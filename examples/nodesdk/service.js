// A small "checkout" service instrumented with the OpenTelemetry NodeSDK. Its
// exporters serialise to OTLP protobuf (as a real OTLP exporter would) and
// count what they would have sent. otel-policy sits in front of them, wrapping
// the processors and exporter the service already had, and applies
// policies.yaml (watched: edit it while the service runs).
import { fileURLToPath } from 'node:url';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { metrics, trace, SpanStatusCode } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporality, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { openPolicies, PolicyLogRecordProcessor, PolicyMetricExporter, PolicySpanProcessor } from '@otel-policy/sdk-processor';

const REQUESTS = Number(process.env.REQUESTS ?? 2000);

/** An exporter that does the expensive part of OTLP export (serialising) and counts what it would send. */
class CountingOtlpExporter {
  constructor(serializer, count) {
    this.serializer = serializer;
    this.count = count;
    this.items = 0;
    this.bytes = 0;
  }
  export(items, done) {
    if (Array.isArray(items)) this.sample ??= items.find((r) => r.attributes?.['pii.redacted'] === 'true');
    this.items += this.count(items);
    this.bytes += this.serializer.serializeRequest(items)?.byteLength ?? 0;
    done({ code: 0 });
  }
  selectAggregationTemporality() {
    return AggregationTemporality.DELTA;
  }
  forceFlush() {
    return Promise.resolve();
  }
  shutdown() {
    return Promise.resolve();
  }
}

const logExporter = new CountingOtlpExporter(ProtobufLogsSerializer, (records) => records.length);
const spanExporter = new CountingOtlpExporter(ProtobufTraceSerializer, (spans) => spans.length);
const metricExporter = new CountingOtlpExporter(ProtobufMetricsSerializer, (rm) => rm.scopeMetrics.reduce((n, sm) => n + sm.metrics.reduce((m, md) => m + md.dataPoints.length, 0), 0));

/**
 * Counts what the policies let through to the SDK's batch processor, so that
 * the numbers below separate what the policies dropped from anything the
 * SDK itself lost (a full batch queue drops records silently).
 */
class Forwarded {
  constructor(delegate) {
    this.delegate = delegate;
    this.count = 0;
  }
  onEmit(record, context) {
    this.count++;
    this.delegate.onEmit(record, context);
  }
  onStart(span, context) {
    this.delegate.onStart(span, context);
  }
  onEnd(span) {
    this.count++;
    this.delegate.onEnd(span);
  }
  forceFlush() {
    return this.delegate.forceFlush();
  }
  shutdown() {
    return this.delegate.shutdown();
  }
}

// The whole run is emitted in a burst, faster than a batch export cycle: queues
// sized to hold it (the SDK default, 2048, would overflow and drop records).
const QUEUE = { maxQueueSize: 100_000, maxExportBatchSize: 512 };
const logsForwarded = new Forwarded(new BatchLogRecordProcessor({ exporter: logExporter, ...QUEUE }));
const spansForwarded = new Forwarded(new BatchSpanProcessor(spanExporter, QUEUE));

// One policy source shared by the three signals: one file watch, one set of stats.
const policies = openPolicies(fileURLToPath(new URL('./policies.yaml', import.meta.url)));

const sdk = new NodeSDK({
  resource: resourceFromAttributes({ 'service.name': 'checkout', 'deployment.environment': 'demo' }),
  logRecordProcessors: [new PolicyLogRecordProcessor(logsForwarded, { policies })],
  spanProcessors: [new PolicySpanProcessor(spansForwarded, { policies })],
  metricReader: new PeriodicExportingMetricReader({
    exporter: new PolicyMetricExporter(metricExporter, { policies }),
    exportIntervalMillis: 60_000,
  }),
  instrumentations: [],
});
sdk.start();
await policies.ready;

const logger = logs.getLogger('checkout');
const tracer = trace.getTracer('checkout');
const meter = metrics.getMeter('checkout');
const requests = meter.createCounter('http.server.requests');
const latency = meter.createHistogram('http.server.duration', { unit: 'ms' });
const debugQueue = meter.createUpDownCounter('debug.queue.depth');
const debugCache = meter.createCounter('debug.cache.evictions');

const emitted = { logs: 0, spans: 0, points: new Set() };
const log = (severityText, body, attributes) => {
  emitted.logs++;
  const severityNumber = { DEBUG: SeverityNumber.DEBUG, INFO: SeverityNumber.INFO, ERROR: SeverityNumber.ERROR }[severityText];
  logger.emit({ severityText, severityNumber, body, attributes });
};
const span = (name, attributes, fn) =>
  tracer.startActiveSpan(name, { attributes }, (s) => {
    emitted.spans++;
    try {
      fn?.(s);
    } finally {
      s.end();
    }
  });
const count = (instrument, name, value, attributes) => {
  instrument.add(value, attributes);
  emitted.points.add(`${name}${JSON.stringify(attributes)}`);
};

for (let i = 0; i < REQUESTS; i++) {
  const requestId = `req-${i}`;
  const health = i % 4 === 0;
  const route = health ? '/healthz' : ['/cart', '/checkout', '/products/:id'][i % 3];
  span(`GET ${route}`, { 'http.route': route, 'http.request.method': 'GET' }, (s) => {
    log('INFO', `GET ${route} 200`, { 'http.route': route, 'request.id': requestId });
    count(requests, 'http.server.requests', 1, { 'http.route': route });
    latency.record(3 + (i % 50), { 'http.route': route });
    emitted.points.add(`http.server.duration{"http.route":"${route}"}`);
    if (health) return;
    log('DEBUG', `resolved handler for ${route}`, { 'request.id': requestId });
    for (let c = 0; c < 3; c++) {
      span('cache.get', { 'cache.key': `product:${(i * 7 + c) % 500}` });
      log('INFO', `cache hit for product:${(i * 7 + c) % 500}`, { 'request.id': requestId });
    }
    if (route === '/checkout') log('INFO', `order confirmation sent to customer${i}@example.com`, { 'request.id': requestId });
    if (i % 10 === 3) {
      s.setStatus({ code: SpanStatusCode.ERROR, message: 'payment gateway timeout' });
      log('ERROR', `payment gateway timeout for ${requestId}`, { 'request.id': requestId });
    }
  });
  count(debugQueue, 'debug.queue.depth', (i % 7) - 3, { worker: `w${i % 4}` });
  count(debugCache, 'debug.cache.evictions', 1, { tier: i % 2 ? 'l1' : 'l2' });
}

await sdk.shutdown();
await policies.shutdown();

const pct = (kept, all) => `${((100 * (all - kept)) / Math.max(1, all)).toFixed(0)}% not exported`;
console.log(`otel-policy NodeSDK demo: ${REQUESTS} requests through a NodeSDK-instrumented service\n`);
console.log(`  logs:    emitted ${emitted.logs}, reached the exporter ${logExporter.items} (${pct(logExporter.items, emitted.logs)}), ${logExporter.bytes} OTLP bytes`);
console.log(`  spans:   emitted ${emitted.spans}, reached the exporter ${spanExporter.items} (${pct(spanExporter.items, emitted.spans)}), ${spanExporter.bytes} OTLP bytes`);
console.log(`  metrics: ${emitted.points.size} data point series recorded, ${metricExporter.items} reached the exporter (${pct(metricExporter.items, emitted.points.size)})\n`);
const lost = logsForwarded.count - logExporter.items + (spansForwarded.count - spanExporter.items);
console.log(
  lost === 0
    ? 'every record the policies kept reached the exporter (none lost to a full SDK queue)\n'
    : `WARNING: ${lost} records kept by the policies were dropped by the SDK's batch queue, not by a policy\n`,
);
if (logExporter.sample) console.log(`a redacted log as exported: ${JSON.stringify(logExporter.sample.body)}\n`);
console.log('per policy (hits / misses):');
for (const s of policies.stats()) {
  if (s.errors.length) console.log(`  ${s.policyId.padEnd(26)} INVALID: ${s.errors.join('; ')}`);
  else console.log(`  ${s.policyId.padEnd(26)} ${String(s.hits).padStart(6)} / ${s.misses}`);
}
