import { policyDiag } from './diag-logger.js';
import { ShutdownOnce } from './shutdown-once.js';
import type { ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { AggregationOption, AggregationTemporality, InstrumentType, PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { applyToResourceMetrics } from '@otel-policy/adapters';
import { releasePolicies, resolvePolicies, type PolicyConfig, type PolicyHandle } from './policy-source.js';

// ExportResultCode values (stable since @opentelemetry/core 1.0), so that the
// SDK packages are needed for their types only.
const SUCCESS: ExportResult = Object.freeze({ code: 0 as ExportResultCode.SUCCESS });
const FAILED = 1 as ExportResultCode.FAILED;

/**
 * A `PushMetricExporter` that applies the metric policies to every export,
 * one data point at a time, then hands what is left to the wrapped exporter.
 *
 * - A point is dropped when the winning matching policy has `keep: false`; a
 *   metric left with no points is removed, and a scope left with no metrics.
 *   The SDK's objects are never modified (it may reuse them): changed
 *   containers are copied, unchanged ones passed as they are.
 * - When every point of a batch is dropped, nothing is exported and the
 *   export reports success: like `PeriodicExportingMetricReader`, which does
 *   not export a collection without scope metrics.
 * - Policy files, directories and inline sets are in force from the start.
 *   While a sync server's first set is not installed, an export waits for it
 *   (`whileLoading: 'hold'`, within the hold bound, then exports unfiltered),
 *   is exported unfiltered (`pass`), or dropped, reporting success (`drop`).
 * - Fails open: if filtering throws, the batch is exported unfiltered and the
 *   error reported through `diag`.
 * - `selectAggregationTemporality` and `selectAggregation` are those of the
 *   wrapped exporter, present only when it has them.
 *
 * Pair it with {@link dropViewsFor} so that instruments dropped whole by
 * static policies are not even aggregated.
 *
 * @example
 * const reader = new PeriodicExportingMetricReader({
 *   exporter: new PolicyMetricExporter(new OTLPMetricExporter(), { policies: './policies.yaml' }),
 * });
 * const meterProvider = new MeterProvider({ readers: [reader] });
 */
export class PolicyMetricExporter implements PushMetricExporter {
  // `declare`: no own property unless the wrapped exporter has the method.
  /** The wrapped exporter's temporality preference, when it has one. */
  declare readonly selectAggregationTemporality?: (instrumentType: InstrumentType) => AggregationTemporality;
  /** The wrapped exporter's aggregation preference, when it has one. */
  declare readonly selectAggregation?: (instrumentType: InstrumentType) => AggregationOption;
  /** The policies applied: shared when `config.policies` was a {@link PolicyHandle}, else owned by this exporter. */
  readonly policies: PolicyHandle;

  private readonly _exporter: PushMetricExporter;
  private readonly _ownsPolicies: boolean;
  private readonly _shutdownOnce = new ShutdownOnce(() => this._doShutdown());

  /**
   * @param exporter the exporter that receives the filtered metrics
   * @param config where the policies come from (see {@link PolicyConfig})
   */
  constructor(exporter: PushMetricExporter, config: PolicyConfig) {
    this._exporter = exporter;
    const { handle, owned } = resolvePolicies(config);
    this.policies = handle;
    this._ownsPolicies = owned;
    if (typeof exporter.selectAggregationTemporality === 'function') {
      this.selectAggregationTemporality = exporter.selectAggregationTemporality.bind(exporter);
    }
    if (typeof exporter.selectAggregation === 'function') {
      this.selectAggregation = exporter.selectAggregation.bind(exporter);
    }
  }

  /** Filter `metrics` through the policies and export what is left. */
  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    if (this._shutdownOnce.isCalled) {
      resultCallback({ code: FAILED, error: new Error('PolicyMetricExporter is shut down') });
      return;
    }
    const gate = this.policies.gate;
    if (!gate.loading) {
      this._filterAndExport(metrics, resultCallback);
      return;
    }
    switch (gate.whileLoading) {
      case 'pass':
        this._filterAndExport(metrics, resultCallback);
        return;
      case 'drop':
        policyDiag.debug('metrics dropped: the policies are still loading');
        resultCallback(SUCCESS);
        return;
      default: {
        // Resolves within the hold bound, set or not (then unfiltered: fail-open).
        const go = () => this._filterAndExport(metrics, resultCallback);
        gate.ended.then(go, go);
      }
    }
  }

  /** Flush the wrapped exporter. */
  forceFlush(): Promise<void> {
    return this._exporter.forceFlush();
  }

  /** Shut down the wrapped exporter, then the policies if this exporter owns them. Idempotent. */
  shutdown(): Promise<void> {
    return this._shutdownOnce.call();
  }

  private async _doShutdown(): Promise<void> {
    try {
      await this._exporter.shutdown();
    } finally {
      if (this._ownsPolicies) await releasePolicies(this.policies);
    }
  }

  private _filterAndExport(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    let filtered: ResourceMetrics;
    try {
      const { resourceMetrics, outcome } = applyToResourceMetrics(this.policies.engine, metrics);
      filtered = resourceMetrics;
      if (outcome.removed > 0) policyDiag.debug(`dropped ${outcome.removed} of ${outcome.total} metric data points`);
    } catch (err) {
      filtered = metrics;
      policyDiag.error('metric policy evaluation failed; exporting the batch unfiltered', err);
    }
    if (filtered !== metrics && filtered.scopeMetrics.length === 0) {
      resultCallback(SUCCESS);
      return;
    }
    let done = false;
    const once = (result: ExportResult) => {
      if (done) return;
      done = true;
      resultCallback(result);
    };
    try {
      this._exporter.export(filtered, once);
    } catch (err) {
      once({ code: FAILED, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }
}
