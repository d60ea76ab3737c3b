/**
 * `withPolicies`: a NodeSDK configuration, returned with every signal behind
 * the policy processors and one shared policy handle. What the configuration
 * already has is wrapped (its span and log record processors, its trace
 * exporter, extra metric exporters); what it leaves to NodeSDK's environment
 * handling is built the way NodeSDK would build it (see env-pipeline.ts) and
 * wrapped too, so adopting policies never means re-wiring exporters by hand.
 */
import '../file-source.js';
import { policyDiag } from '../diag-logger.js';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { PolicyLogRecordProcessor, type LogRecordProcessorLike } from '../log-record-processor.js';
import { PolicyMetricExporter } from '../metric-exporter.js';
import { openSharedPolicies, PolicyHandle, type PolicyConfig } from '../policy-source.js';
import { PolicySpanProcessor, type SpanProcessorLike } from '../span-processor.js';
import { batchSpanProcessor, metricReaderTiming, pipelineFromEnv, type EnvPipeline } from './env-pipeline.js';
import { sdkClass, sdkPackages } from './sdk-packages.js';

/** The NodeSDK configuration fields {@link withPolicies} reads and replaces; the rest passes through. */
export interface PolicyPipelineConfig {
  /** Wrapped in a BatchSpanProcessor (with the `OTEL_BSP_*` settings), then the policies. */
  traceExporter?: unknown;
  spanProcessors?: SpanProcessorLike[];
  logRecordProcessors?: LogRecordProcessorLike[];
  /** Kept as they are: a reader's exporter cannot be reached, so pass `metricExporters` to filter metrics. */
  metricReaders?: unknown[];
}

/** Options of {@link withPolicies}: the policies, plus metric exporters to read through them. */
export interface WithPoliciesOptions extends PolicyConfig {
  /**
   * Push metric exporters (e.g. `new OTLPMetricExporter()`), each read by a
   * PeriodicExportingMetricReader (every `OTEL_METRIC_EXPORT_INTERVAL`, 60 s
   * by default, with `OTEL_METRIC_EXPORT_TIMEOUT`) through a {@link PolicyMetricExporter}; added to
   * `metricReaders`.
   */
  metricExporters?: PushMetricExporter[];
}

/** The configuration as NodeSDK takes it, every signal behind the policies. */
export type WithPolicies<C> = Omit<C, 'traceExporter' | 'spanProcessors' | 'logRecordProcessors' | 'metricReaders'> & {
  spanProcessors?: SpanProcessorLike[];
  logRecordProcessors?: LogRecordProcessorLike[];
  metricReaders?: unknown[];
};

/**
 * Put every signal of a NodeSDK configuration behind the policies.
 *
 * - `spanProcessors` / `logRecordProcessors` given: each list goes behind one
 *   policy processor. A `traceExporter` becomes a BatchSpanProcessor behind it.
 * - A signal the configuration leaves out is built from the standard
 *   variables as NodeSDK would (`OTEL_TRACES_EXPORTER`, `OTEL_LOGS_EXPORTER`,
 *   `OTEL_METRICS_EXPORTER`, the OTLP protocol and batch settings) and put
 *   behind the policies; one the environment turns off (`none`) stays off.
 *   Needs `@opentelemetry/sdk-node` installed (the application's own).
 * - `metricReaders` given are kept but cannot be filtered (their exporter is
 *   private): pass `metricExporters` instead.
 *
 * Every processor shares one policy handle (one file watch or sync client,
 * one set of stats); it shuts down with the last of them, unless
 * `options.policies` is a {@link PolicyHandle} of yours.
 *
 * @example
 * const sdk = new NodeSDK(withPolicies({ instrumentations: [getNodeAutoInstrumentations()] }, { policies: './policies.yaml' }));
 * sdk.start();
 */
export function withPolicies<C extends object>(config: C & PolicyPipelineConfig, options: WithPoliciesOptions): WithPolicies<C> {
  // sdk-node 0.223's deprecated singular options join their lists (NodeSDK would let the lists win and drop them).
  const { traceExporter, spanProcessor, logRecordProcessor, metricReader, ...restWithLists } = config as PolicyPipelineConfig & {
    spanProcessor?: SpanProcessorLike;
    logRecordProcessor?: LogRecordProcessorLike;
    metricReader?: unknown;
  };
  const { spanProcessors: givenSpans, logRecordProcessors: givenLogs, metricReaders: givenReaders, ...rest } = restWithLists;
  const spanProcessors = spanProcessor ? [...(givenSpans ?? []), spanProcessor] : givenSpans;
  const logRecordProcessors = logRecordProcessor ? [...(givenLogs ?? []), logRecordProcessor] : givenLogs;
  const metricReaders = metricReader ? [...(givenReaders ?? []), metricReader] : givenReaders;
  const { metricExporters, policies, ...policyOptions } = options;
  const handle = policies instanceof PolicyHandle ? policies : openSharedPolicies(policies, policyOptions);
  const shared: PolicyConfig = { policies: handle };
  let env: EnvPipeline | undefined;
  const fromEnv = (): EnvPipeline => (env ??= pipelineFromEnv(sdkPackages()));

  let spans: SpanProcessorLike[] | undefined = spanProcessors;
  if (!spans && traceExporter !== undefined) {
    spans = [batchSpanProcessor(sdkPackages(), traceExporter)];
  }
  spans ??= fromEnv().spanProcessors;
  const logs = logRecordProcessors ?? fromEnv().logRecordProcessors;

  const wrapMetrics = (exporter: PushMetricExporter) => new PolicyMetricExporter(exporter, shared);
  let readers: unknown[] | undefined;
  if (metricReaders) {
    policyDiag.warn('metricReaders passed to withPolicies are kept unfiltered (their exporters cannot be reached); pass metricExporters to filter metrics');
    readers = [...metricReaders];
  }
  if (metricExporters?.length) {
    const Reader = sdkClass(sdkPackages(), '@opentelemetry/sdk-metrics', 'PeriodicExportingMetricReader');
    const timing = metricReaderTiming(sdkPackages());
    readers = [...(readers ?? []), ...metricExporters.map((e) => new Reader({ exporter: wrapMetrics(e), ...timing }))];
  }
  readers ??= fromEnv().metricReaders?.map((make) => make(wrapMetrics));

  const result = {
    ...(rest as Omit<C, 'traceExporter' | 'spanProcessors' | 'logRecordProcessors' | 'metricReaders'>),
    spanProcessors: spans?.length ? [new PolicySpanProcessor(spans, shared)] : spans,
    logRecordProcessors: logs?.length ? [new PolicyLogRecordProcessor(logs, shared)] : logs,
    metricReaders: readers,
  };
  // Every signal is off: nothing will shut the handle down, so do it now.
  if (handle.sharedByUsers && handle.users === 0) void handle.shutdown();
  return result;
}
