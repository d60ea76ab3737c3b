/**
 * Each signal's exporters and processors as NodeSDK builds them from the
 * standard variables (`OTEL_TRACES_EXPORTER`, `OTEL_LOGS_EXPORTER`,
 * `OTEL_METRICS_EXPORTER`, the `OTEL_EXPORTER_OTLP_*_PROTOCOL` choice,
 * `OTEL_BSP_*`, `OTEL_BLRP_*`, `OTEL_METRIC_EXPORT_*`), so that the policy
 * processors can be put in front of them without losing any of it.
 *
 * Why a copy of NodeSDK's rules: sdk-node (0.223 and 0.301 alike) keeps its
 * `getSpanProcessorsFromEnv` and friends private, and handing NodeSDK our
 * own `spanProcessors` turns its environment handling off. So the decisions
 * (which names, which protocol, `none`, batch vs simple) are repeated here,
 * in NodeSDK's order and with its warnings; everything else is the SDK's
 * own: its exporter classes read their endpoint, headers, compression,
 * timeout and certificate variables themselves, and the env helpers are
 * `@opentelemetry/core`'s. Checked against sdk-node 0.223.0 and 0.301.0.
 */
import { policyDiag } from '../diag-logger.js';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { LogRecordProcessorLike } from '../log-record-processor.js';
import type { SpanProcessorLike } from '../span-processor.js';
import { sdkClass, type SdkPackages } from './sdk-packages.js';

interface CoreEnv {
  getStringFromEnv(name: string): string | undefined;
  getStringListFromEnv(name: string): string[] | undefined;
  getNumberFromEnv(name: string): number | undefined;
}

/** A metric reader NodeSDK would build: push readers get their exporter through `wrap`. */
export type MetricReaderFactory = (wrap: (exporter: PushMetricExporter) => PushMetricExporter) => unknown;

/** What the environment asks for, per signal; `undefined` where it asks for nothing (`none`). */
export interface EnvPipeline {
  spanProcessors?: SpanProcessorLike[];
  logRecordProcessors?: LogRecordProcessorLike[];
  metricReaders?: MetricReaderFactory[];
}

const PROTOCOLS = ['grpc', 'http/json', 'http/protobuf'] as const;
type Protocol = (typeof PROTOCOLS)[number];
const PROTOCOL_PACKAGE: Record<Protocol, string> = { grpc: 'grpc', 'http/json': 'http', 'http/protobuf': 'proto' };

/** The signal's OTLP protocol (its own variable, then the general one, then http/protobuf), as NodeSDK chooses it. */
function protocolOf(env: CoreEnv, signal: 'TRACES' | 'LOGS' | 'METRICS'): Protocol {
  const p = (env.getStringFromEnv(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`) ?? env.getStringFromEnv('OTEL_EXPORTER_OTLP_PROTOCOL'))?.trim() || 'http/protobuf';
  if ((PROTOCOLS as readonly string[]).includes(p)) return p as Protocol;
  policyDiag.warn(`Unsupported OTLP ${signal.toLowerCase()} protocol: "${p}". Using http/protobuf.`);
  return 'http/protobuf';
}

/** A positive number from the environment, else undefined (with NodeSDK's warning). */
function positive(env: CoreEnv, name: string): number | undefined {
  const v = env.getNumberFromEnv(name);
  if (v !== undefined && v <= 0) {
    policyDiag.warn(`${name} (${v}) is invalid, expected number greater than 0, using default.`);
    return undefined;
  }
  return v;
}

/** The exporter names of `variable`, deduplicated, with "otlp" when empty; undefined for `none`. */
function exporterNames(env: CoreEnv, variable: string): string[] | undefined {
  let names = [...new Set(env.getStringListFromEnv(variable) ?? [])].filter((s) => s !== 'null');
  if (names.length === 0) names = ['otlp'];
  if (names.includes('none')) {
    if (names.length === 1 || names[0] === 'none') return undefined;
    policyDiag.warn(`${variable} contains "none" along with other exporters. Using default otlp exporter.`);
    names = ['otlp'];
  }
  return names;
}

/** A BatchSpanProcessor with the `OTEL_BSP_*` settings, as NodeSDK's createBatchSpanProcessorFromEnv builds it. */
export function batchSpanProcessor(sdk: SdkPackages, exporter: unknown): SpanProcessorLike {
  const env = sdk.load('@opentelemetry/core') as unknown as CoreEnv;
  return new (sdkClass(sdk, '@opentelemetry/sdk-trace', 'BatchSpanProcessor'))({
    exporter,
    maxQueueSize: positive(env, 'OTEL_BSP_MAX_QUEUE_SIZE'),
    scheduledDelayMillis: positive(env, 'OTEL_BSP_SCHEDULE_DELAY'),
    exportTimeoutMillis: positive(env, 'OTEL_BSP_EXPORT_TIMEOUT'),
    maxExportBatchSize: positive(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
  }) as SpanProcessorLike;
}

/** OTEL_METRIC_EXPORT_INTERVAL and _TIMEOUT (the timeout clamped to the interval), as NodeSDK reads them. */
export function metricReaderTiming(sdk: SdkPackages): { exportIntervalMillis: number; exportTimeoutMillis: number } {
  const env = sdk.load('@opentelemetry/core') as unknown as CoreEnv;
  const exportIntervalMillis = positive(env, 'OTEL_METRIC_EXPORT_INTERVAL') ?? 60_000;
  return { exportIntervalMillis, exportTimeoutMillis: Math.min(positive(env, 'OTEL_METRIC_EXPORT_TIMEOUT') ?? 30_000, exportIntervalMillis) };
}

function spanProcessorsFromEnv(sdk: SdkPackages, env: CoreEnv): SpanProcessorLike[] | undefined {
  const names = exporterNames(env, 'OTEL_TRACES_EXPORTER');
  if (!names) return undefined;
  const processors: SpanProcessorLike[] = [];
  for (const name of names) {
    if (name === 'otlp') {
      const exporter = new (sdkClass(sdk, `@opentelemetry/exporter-trace-otlp-${PROTOCOL_PACKAGE[protocolOf(env, 'TRACES')]}`, 'OTLPTraceExporter'))();
      processors.push(batchSpanProcessor(sdk, exporter));
    } else if (name === 'zipkin') {
      processors.push(batchSpanProcessor(sdk, new (sdkClass(sdk, '@opentelemetry/exporter-zipkin', 'ZipkinExporter'))()));
    } else if (name === 'console') {
      const exporter = new (sdkClass(sdk, '@opentelemetry/sdk-trace', 'ConsoleSpanExporter'))();
      processors.push(new (sdkClass(sdk, '@opentelemetry/sdk-trace', 'SimpleSpanProcessor'))({ exporter }));
    } else {
      policyDiag.warn(`Unrecognized OTEL_TRACES_EXPORTER value: ${name}.`);
    }
  }
  return processors.length > 0 ? processors : undefined;
}

function logRecordProcessorsFromEnv(sdk: SdkPackages, env: CoreEnv): LogRecordProcessorLike[] | undefined {
  const names = [...new Set(env.getStringListFromEnv('OTEL_LOGS_EXPORTER') ?? [])];
  if (names.length === 0) names.push('otlp');
  // NodeSDK's logs rule (unlike traces): any "none" turns logs off.
  if (names.includes('none')) return undefined;
  const processors: LogRecordProcessorLike[] = [];
  for (const name of names) {
    if (name === 'otlp') {
      const exporter = new (sdkClass(sdk, `@opentelemetry/exporter-logs-otlp-${PROTOCOL_PACKAGE[protocolOf(env, 'LOGS')]}`, 'OTLPLogExporter'))();
      processors.push(
        new (sdkClass(sdk, '@opentelemetry/sdk-logs', 'BatchLogRecordProcessor'))({
          exporter,
          maxQueueSize: positive(env, 'OTEL_BLRP_MAX_QUEUE_SIZE'),
          scheduledDelayMillis: positive(env, 'OTEL_BLRP_SCHEDULE_DELAY'),
          exportTimeoutMillis: positive(env, 'OTEL_BLRP_EXPORT_TIMEOUT'),
          maxExportBatchSize: positive(env, 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE'),
        }),
      );
    } else if (name === 'console') {
      const exporter = new (sdkClass(sdk, '@opentelemetry/sdk-logs', 'ConsoleLogRecordExporter'))();
      processors.push(new (sdkClass(sdk, '@opentelemetry/sdk-logs', 'SimpleLogRecordProcessor'))({ exporter }));
    } else {
      policyDiag.warn(`Unsupported OTEL_LOGS_EXPORTER value: "${name}". Supported values are: otlp, console, none.`);
    }
  }
  return processors.length > 0 ? processors : undefined;
}

function metricReadersFromEnv(sdk: SdkPackages, env: CoreEnv): MetricReaderFactory[] | undefined {
  const names = [...new Set(env.getStringListFromEnv('OTEL_METRICS_EXPORTER') ?? [])];
  if (names.length === 0) names.push('otlp');
  if (names.includes('none')) return undefined;
  const readers: MetricReaderFactory[] = [];
  const Reader = () => sdkClass(sdk, '@opentelemetry/sdk-metrics', 'PeriodicExportingMetricReader');
  for (const name of names) {
    if (name === 'otlp') {
      const Exporter = sdkClass(sdk, `@opentelemetry/exporter-metrics-otlp-${PROTOCOL_PACKAGE[protocolOf(env, 'METRICS')]}`, 'OTLPMetricExporter');
      const timing = metricReaderTiming(sdk);
      readers.push((wrap) => new (Reader())({ exporter: wrap(new Exporter()), ...timing }));
    } else if (name === 'console') {
      const Exporter = sdkClass(sdk, '@opentelemetry/sdk-metrics', 'ConsoleMetricExporter');
      readers.push((wrap) => new (Reader())({ exporter: wrap(new Exporter()) }));
    } else if (name === 'prometheus') {
      const Prometheus = sdkClass(sdk, '@opentelemetry/exporter-prometheus', 'PrometheusExporter');
      policyDiag.warn('OTEL_METRICS_EXPORTER=prometheus: metrics are scraped, not pushed, so metric policies do not apply to them (logs and spans still are filtered)');
      readers.push(() => new Prometheus({ host: env.getStringFromEnv('OTEL_EXPORTER_PROMETHEUS_HOST'), port: env.getNumberFromEnv('OTEL_EXPORTER_PROMETHEUS_PORT') }));
    } else {
      policyDiag.warn(`Unsupported OTEL_METRICS_EXPORTER value: "${name}". Supported values are: otlp, console, prometheus, none.`);
    }
  }
  return readers.length > 0 ? readers : undefined;
}

/** Build what NodeSDK would build from the environment, per signal. */
export function pipelineFromEnv(sdk: SdkPackages): EnvPipeline {
  const env = sdk.load('@opentelemetry/core') as unknown as CoreEnv;
  return {
    spanProcessors: spanProcessorsFromEnv(sdk, env),
    logRecordProcessors: logRecordProcessorsFromEnv(sdk, env),
    metricReaders: metricReadersFromEnv(sdk, env),
  };
}
