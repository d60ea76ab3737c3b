import { policyDiag } from './diag-logger.js';
import { createTraceState, TraceFlags, type Context, type SpanContext, type TraceState } from '@opentelemetry/api';
import { SdkSpanCursor, sdkSpanAccessor, type ReadableSpanLike } from '@otel-policy/adapters';
import { EvalResult, isDropped } from '@otel-policy/core';
import { DelegatingPolicyProcessor } from './delegating-processor.js';
import type { PolicyConfig } from './policy-source.js';

/**
 * The SDK `SpanProcessor` contract (sdk-trace-base 2.x), structurally, so
 * that no SDK version is imported: any SDK span processor fits.
 */
export interface SpanProcessorLike {
  onStart(span: ReadableSpanLike, parentContext: Context): void;
  onEnding?(span: ReadableSpanLike): void;
  onEnd(span: ReadableSpanLike): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * A view of an ended span whose `spanContext()` carries another tracestate:
 * an object whose prototype is the span (every other property and method
 * reads through to it) with its own `spanContext`. The span is not modified.
 * Exporters read `spanContext().traceState?.serialize()`, so the exported
 * span carries the new tracestate. (Being a view, it has no other own
 * properties: code that copies spans with object spread would lose them;
 * the SDK's exporters and processors read properties directly.)
 *
 * @param traceState the new tracestate: a W3C tracestate header value (`''`
 *   for none) or an API `TraceState`
 */
export function withTraceState<S extends ReadableSpanLike>(span: S, traceState: string | TraceState): S {
  const ts = typeof traceState === 'string' ? (traceState === '' ? undefined : createTraceState(traceState)) : traceState;
  const viewContext: SpanContext = { ...(span.spanContext() as SpanContext), traceState: ts };
  return Object.create(span, {
    spanContext: { value: () => viewContext, writable: true, configurable: true },
  }) as S;
}

/**
 * A span processor that applies Tero trace policies to ended spans before
 * handing them to its delegates (typically a `BatchSpanProcessor` or
 * `SimpleSpanProcessor` wrapping an exporter).
 *
 * `onStart` (and `onEnding`) are forwarded as they come. In `onEnd`, each
 * sampled span is evaluated: a span a policy drops or samples out is not
 * forwarded. A kept span whose tracestate the policies
 * changed (consistent probability sampling writes its threshold, `ot=th:...`)
 * is forwarded as a view whose `spanContext().traceState` carries the new
 * value; the ended span itself is never modified. Spans the SDK did not
 * sample (no `SAMPLED` flag) are forwarded without evaluation, so that they
 * do not count in policy stats (exporters drop them anyway).
 *
 * Fail-open: if evaluation fails, the span is forwarded unmodified and the
 * error is reported through `diag`.
 *
 * Startup: a policy file, directory or inline set is in force from the first
 * span. Spans that end before a sync server's first set are held in `onEnd`
 * (bounded; see {@link PolicyConfig.whileLoading}; `onStart` is forwarded
 * as it comes) and evaluated once it is installed.
 *
 * @example
 * ```ts
 * const provider = new NodeTracerProvider({
 *   spanProcessors: [
 *     new PolicySpanProcessor(new BatchSpanProcessor(new OTLPTraceExporter()), {
 *       policies: './policies.yaml',
 *     }),
 *   ],
 * });
 * ```
 */
export class PolicySpanProcessor extends DelegatingPolicyProcessor<SpanProcessorLike, ReadableSpanLike> implements SpanProcessorLike {
  private readonly cursor = new SdkSpanCursor();
  private readonly logger = policyDiag;
  /** Sampled tracestates the API's TraceState could not carry as written. */
  private alteredTraceStates = 0;

  /**
   * @param delegate the processor(s) that receive the spans the policies keep
   * @param config where the policies come from (a file path is watched for
   *   changes; a {@link PolicyHandle} is shared and not shut down by this
   *   processor), plus optional stats metrics and regex engine
   */
  constructor(delegate: SpanProcessorLike | readonly SpanProcessorLike[], config: PolicyConfig) {
    super(delegate, config);
  }

  /** Forward to every delegate. */
  onStart(span: ReadableSpanLike, parentContext: Context): void {
    const delegates = this.delegates;
    for (let i = 0; i < delegates.length; i++) delegates[i].onStart(span, parentContext);
  }

  /** Forward to every delegate that implements `onEnding`. */
  onEnding(span: ReadableSpanLike): void {
    const delegates = this.delegates;
    for (let i = 0; i < delegates.length; i++) delegates[i].onEnding?.(span);
  }

  /** Evaluate the span; forward it (or its view with a new tracestate) unless a policy drops it. */
  onEnd(span: ReadableSpanLike): void {
    if (this.shutdownOnce.isCalled) return;
    // Before the first policy set is in: held, dropped or passed per `whileLoading`.
    if ((!this.handle.gate.loaded || this.held.size > 0) && this.held.take(span)) return;
    this.process(span);
  }

  /** Ended spans are immutable: a held span is evaluated as it is. */
  protected releaseHeld(span: ReadableSpanLike): void {
    this.process(span);
  }

  private process(span: ReadableSpanLike): void {
    let out = span;
    if (((span.spanContext().traceFlags ?? 0) & TraceFlags.SAMPLED) !== 0) {
      const traceState = this.evaluate(span);
      if (traceState === null) return;
      if (traceState !== undefined) out = this.view(span, traceState);
    }
    const delegates = this.delegates;
    for (let i = 0; i < delegates.length; i++) delegates[i].onEnd(out);
  }

  /**
   * Evaluate with fail-open. Returns null when the span is dropped, the new
   * tracestate when the policies wrote one, else undefined.
   */
  private evaluate(span: ReadableSpanLike): string | null | undefined {
    const engine = this.handle.engine;
    const cursor = this.cursor.reset(span);
    let result: EvalResult;
    try {
      result = engine.evaluateTrace(cursor, sdkSpanAccessor);
    } catch (err) {
      this.logger.error('policy evaluation of a span failed; span passed unmodified', err);
      result = EvalResult.Failed;
    }
    // On a failure (reported by the engine itself), forget any write: the span goes out as it came.
    const traceState = result > EvalResult.NoMatch ? cursor.traceState : undefined;
    cursor.clear();
    return isDropped(result) ? null : traceState;
  }

  /** The span to forward with `traceState`, or the span itself when its tracestate already reads so. */
  private view(span: ReadableSpanLike, traceState: string): ReadableSpanLike {
    try {
      const current = span.spanContext().traceState?.serialize() ?? '';
      if (current === traceState) return span;
      const ts = traceState === '' ? undefined : createTraceState(traceState);
      if (ts !== undefined && ts.serialize() !== traceState) {
        // The API's TraceState drops what W3C rules reject (e.g. beyond 512 characters).
        const n = ++this.alteredTraceStates;
        if (n <= 10 || n % 1000 === 0) {
          this.logger.warn(`the sampled tracestate ${JSON.stringify(traceState)} is not a valid W3C tracestate; exported as ${JSON.stringify(ts.serialize())} (${n} so far)`);
        }
      }
      return withTraceState(span, ts ?? '');
    } catch (err) {
      this.logger.error('could not attach the sampled tracestate to a span; span passed unmodified', err);
      return span;
    }
  }
}
