import { policyDiag } from './diag-logger.js';
import type { Context } from '@opentelemetry/api';
import { SdkLogRecordAccessor, type InstrumentationScopeLike, type SdkLogRecordLike } from '@otel-policy/adapters';
import { EvalResult, isDropped } from '@otel-policy/core';
import { DelegatingPolicyProcessor } from './delegating-processor.js';
import type { PolicyConfig } from './policy-source.js';

/**
 * The SDK `LogRecordProcessor` contract (sdk-logs 0.2xx), structurally, so
 * that no SDK version is imported: any SDK log record processor fits.
 */
export interface LogRecordProcessorLike {
  onEmit(logRecord: SdkLogRecordLike, context?: Context): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  enabled?(options: LogRecordEnabledOptions): boolean;
}

/** The argument of `LogRecordProcessor.enabled` (sdk-logs 0.2xx). */
export interface LogRecordEnabledOptions {
  context: Context;
  instrumentationScope: InstrumentationScopeLike;
  severityNumber?: number;
  eventName?: string;
}

/** A log record held while the first policy set loads, with the context it was emitted in. */
interface HeldLogRecord {
  readonly record: SdkLogRecordLike;
  readonly context: Context | undefined;
}

const own = (value: unknown): PropertyDescriptor => ({ value, writable: true, enumerable: true, configurable: true });

/**
 * An object whose prototype is `record` (every other property and method
 * reads through to it) with its own, writable copies of the fields the SDK
 * guards with setters once a record is emitted. Attribute maps are the
 * record's own objects and stay writable; resource and scope writes give
 * the view its own copies, as for any record.
 */
function writableView(record: SdkLogRecordLike): SdkLogRecordLike {
  return Object.create(record, {
    body: own(record.body),
    severityText: own(record.severityText),
    eventName: own(record.eventName),
    spanContext: own(record.spanContext),
  }) as SdkLogRecordLike;
}

/**
 * A log record processor that applies Tero policies before handing records
 * to its delegates (typically a `BatchLogRecordProcessor` or
 * `SimpleLogRecordProcessor` wrapping an exporter), in the manner of the
 * SDK's filtering processors.
 *
 * For each emitted record the policies are evaluated: a dropped, sampled-out
 * or rate-limited record is not forwarded; a kept record is transformed in
 * place (attributes, body, ...) and forwarded. Transforms of resource or
 * scope attributes give the record its own copy: the shared `Resource` and
 * scope are never modified, so other records are unaffected.
 *
 * Fail-open: if evaluation fails, the record is forwarded unmodified (any
 * partial change is rolled back) and the error is reported through `diag`.
 *
 * Startup: a policy file, directory or inline set is in force from the first
 * record. Records that arrive before a sync server's first set are held
 * (bounded; see {@link PolicyConfig.whileLoading}) and forwarded, evaluated
 * and in order, once it is installed; `forceFlush` and `shutdown` release
 * them first.
 *
 * @example
 * ```ts
 * const provider = new LoggerProvider({
 *   processors: [
 *     new PolicyLogRecordProcessor(new BatchLogRecordProcessor({ exporter: new OTLPLogExporter() }), {
 *       policies: './policies.yaml',
 *     }),
 *   ],
 * });
 * ```
 */
export class PolicyLogRecordProcessor extends DelegatingPolicyProcessor<LogRecordProcessorLike, HeldLogRecord> implements LogRecordProcessorLike {
  private readonly accessor = new SdkLogRecordAccessor({ journal: true });
  private readonly logger = policyDiag;

  /**
   * @param delegate the processor(s) that receive the records the policies keep
   * @param config where the policies come from (a file path is watched for
   *   changes; a {@link PolicyHandle} is shared and not shut down by this
   *   processor), plus optional stats metrics and regex engine
   */
  constructor(delegate: LogRecordProcessorLike | readonly LogRecordProcessorLike[], config: PolicyConfig) {
    super(delegate, config);
  }

  /**
   * Evaluate the record; forward it to the delegates unless a policy drops
   * it. Kept records carry the policies' transforms.
   */
  onEmit(logRecord: SdkLogRecordLike, context?: Context): void {
    if (this.shutdownOnce.isCalled) return;
    // Before the first policy set is in: held, dropped or passed per `whileLoading`.
    if ((!this.handle.gate.loaded || this.held.size > 0) && this.held.take({ record: logRecord, context })) return;
    this.process(logRecord, context);
  }

  /** Evaluate and forward what is kept. */
  private process(logRecord: SdkLogRecordLike, context: Context | undefined): void {
    if (isDropped(this.evaluate(logRecord))) return;
    const delegates = this.delegates;
    for (let i = 0; i < delegates.length; i++) delegates[i].onEmit(logRecord, context);
  }

  /**
   * A held record is read-only by now (the SDK locks a record once `onEmit`
   * returns; its setters ignore writes): evaluate and forward a writable
   * view of it instead, so that redactions apply.
   */
  protected releaseHeld(item: HeldLogRecord): void {
    this.process(writableView(item.record), item.context);
  }

  /**
   * Whether any delegate would take a record with these properties. Policies
   * need the record itself, so they do not take part in this early check.
   */
  enabled(options: LogRecordEnabledOptions): boolean {
    for (const d of this.delegates) if (!d.enabled || d.enabled(options)) return true;
    return false;
  }

  /** Evaluate with fail-open: on an error, undo any partial change and keep the record. */
  private evaluate(record: SdkLogRecordLike): EvalResult {
    const engine = this.handle.engine;
    const acc = this.accessor;
    try {
      const result = engine.evaluateLog(record, acc);
      // The engine catches, counts and reports its own failures and says so in the result.
      if (result !== EvalResult.Failed) {
        acc.commit(record);
        return result;
      }
    } catch (err) {
      this.logger.error('policy evaluation of a log record failed; record passed unmodified', err);
    }
    try {
      acc.rollback(record);
    } catch (err) {
      this.logger.error('could not restore a log record after a failed policy evaluation', err);
    }
    return EvalResult.NoMatch;
  }
}
