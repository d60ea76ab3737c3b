// The test page of chromium.test.ts: a web application instrumented the way
// the OpenTelemetry web SDK's documentation shows (document load, fetch and
// XMLHttpRequest instrumentations; OTLP/HTTP exporters to its own origin),
// with otel-policy's processors between the SDK and the exporters. Span
// policies are given inline (literal matches only: installed at once);
// log policies come from a policy sync server on another origin (fetched
// with the browser HttpPolicyProvider), and one of them redacts with a regex, so the regex
// engine's chunk is loaded on first need. The page emits its logs before
// either has arrived: they are held, then filtered.
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { DocumentLoadInstrumentation } from '@opentelemetry/instrumentation-document-load';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { XMLHttpRequestInstrumentation } from '@opentelemetry/instrumentation-xml-http-request';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, WebTracerProvider } from '@opentelemetry/sdk-trace-web';
import { HttpPolicyProvider } from '@otel-policy/providers';
import { PolicyLogRecordProcessor, PolicySpanProcessor } from '@otel-policy/sdk-processor';

const origin = window.location.origin;
const params = new URLSearchParams(window.location.search);
const NOISY = Number(params.get('noisy') ?? 200);

const spanPolicies = {
  policies: [
    {
      id: 'drop-health-pings',
      name: 'Drop health-check requests',
      trace: { match: [{ span_attribute: 'url.full', contains: '/health' }], keep: { percentage: 0 } },
    },
    {
      id: 'sample-noisy-route',
      name: 'Keep a quarter of the polling requests',
      trace: { match: [{ span_attribute: 'url.full', contains: '/api/noisy' }], keep: { percentage: 25 } },
    },
  ],
};

const tracerProvider = new WebTracerProvider({
  spanProcessors: [new PolicySpanProcessor(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${origin}/v1/traces` })), { policies: spanPolicies })],
});
tracerProvider.register();

const loggerProvider = new LoggerProvider({
  processors: [
    new PolicyLogRecordProcessor(new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${origin}/v1/logs` }) }), {
      // A policy sync server on another origin, which allows this page (CORS).
      // The last set received is kept in localStorage: a page loaded again applies it from its first record.
      policies: new HttpPolicyProvider({ url: params.get('sync'), clientMetadata: { serviceName: 'shop-frontend' }, cacheKey: 'otel-policy:shop-frontend' }),
      // Hold logs up to 30 s for the first set (default 5 s), so that a slow CI machine does not let them through.
      holdTimeoutMs: 30_000,
    }),
  ],
});
logs.setGlobalLoggerProvider(loggerProvider);

registerInstrumentations({
  instrumentations: [
    new DocumentLoadInstrumentation(),
    // The exporters' and the policy sync's own requests are not application traffic.
    new FetchInstrumentation({ ignoreUrls: [/\/v1\//] }),
    new XMLHttpRequestInstrumentation({ ignoreUrls: [/\/v1\//] }),
  ],
});

// Logged while the log policies are still on their way: held, not let through.
const logger = logs.getLogger('shop-frontend');
for (let i = 0; i < 5; i++) logger.emit({ severityNumber: SeverityNumber.DEBUG, severityText: 'DEBUG', body: `render pass ${i}` });
logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'checkout started by alice@example.com' });
logger.emit({ severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'coupon rejected for bob.smith@mail.example.org and carol@example.net' });
logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'cart has 3 items' });

function xhr(url) {
  return new Promise((resolve, reject) => {
    const req = new XMLHttpRequest();
    req.open('GET', url);
    req.onload = () => resolve(req.status);
    req.onerror = () => reject(new Error(`XHR ${url} failed`));
    req.send();
  });
}

async function scenario() {
  for (let i = 0; i < 5; i++) await fetch(`/health?ping=${i}`);
  for (let i = 0; i < 3; i++) await xhr(`/healthz?ping=${i}`);
  await fetch('/api/orders');
  await xhr('/api/cart');
  for (let i = 0; i < NOISY; i++) await fetch(`/api/noisy?poll=${i}`);
  logger.emit({ severityNumber: SeverityNumber.DEBUG, severityText: 'DEBUG', body: 'polling done' });
  logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: `receipt sent to dave@example.com after ${NOISY} polls` });
  await tracerProvider.forceFlush();
  await loggerProvider.forceFlush();
}

/** For the test's second phase: log one record and flush it out. */
window.__log = async (severityText, body) => {
  logger.emit({ severityNumber: SeverityNumber[severityText], severityText, body });
  await loggerProvider.forceFlush();
};

window.addEventListener('load', () => {
  // After the load event, so that the document-load spans have ended.
  setTimeout(() => {
    scenario().then(
      () => (window.__done = { ok: true }),
      (err) => (window.__done = { ok: false, error: String(err && err.stack ? err.stack : err) }),
    );
  }, 0);
});
