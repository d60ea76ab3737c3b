/**
 * PolicySpanProcessor inside a real BasicTracerProvider (sdk-trace-base 2.x):
 * what reaches an in-memory exporter through SimpleSpanProcessor.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTraceState, diag, ROOT_CONTEXT, SamplingDecision, SpanKind, SpanStatusCode, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type IdGenerator, type ReadableSpan, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { PolicySpanProcessor, withTraceState, type SpanProcessorLike } from '@otel-policy/sdk-processor';
import type { ReadableSpanLike } from '@otel-policy/adapters';
import { captureDiag } from './support.js';

type Json = Record<string, unknown>;

// Compile-time check: the processor is an SDK SpanProcessor, and SDK processors are valid delegates.
const asSdkProcessor = (p: PolicySpanProcessor): SpanProcessor => p;
const asDelegate = (p: SpanProcessor): SpanProcessorLike => p;
void asSdkProcessor;
void asDelegate;

const tracePolicy = (id: string, t: Json): Json => ({ id, name: id, trace: t });

/** Hands out the trace ID set last (or a fixed default), and sequential span IDs. */
class TestIds implements IdGenerator {
  traceId = '0af7651916cd43dd8448eb211c80319c';
  private n = 0;
  generateTraceId(): string {
    return this.traceId;
  }
  generateSpanId(): string {
    return (++this.n).toString(16).padStart(16, '0');
  }
}

const providers: BasicTracerProvider[] = [];

function setup(policies: Json[], options: { sampler?: Sampler } = {}) {
  const exporter = new InMemorySpanExporter();
  const processor = new PolicySpanProcessor(new SimpleSpanProcessor(exporter), { policies: { policies } });
  const ids = new TestIds();
  const resource = resourceFromAttributes({ 'service.name': 'api-server' });
  const provider = new BasicTracerProvider({ resource, idGenerator: ids, sampler: options.sampler, spanProcessors: [processor] });
  providers.push(provider);
  const tracer = provider.getTracer('test-tracer', '2.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' });
  return { exporter, processor, ids, resource, tracer, names: () => exporter.getFinishedSpans().map((s) => s.name) };
}

afterEach(async () => {
  diag.disable();
  for (const p of providers.splice(0)) await p.shutdown();
});

describe('PolicySpanProcessor', () => {
  it('drops matching spans and forwards the others as they are', () => {
    const s = setup([
      tracePolicy('drop-health', { match: [{ span_attribute: 'http.route', exact: '/health' }], keep: { percentage: 0 } }),
      tracePolicy('drop-client', {
        match: [
          { span_kind: 'client', exists: true },
          { trace_field: 'scope_name', exact: 'test-tracer' },
        ],
        keep: { percentage: 0 },
      }),
      tracePolicy('drop-error-event', {
        match: [
          { event_name: 'cache.miss', exists: true },
          { span_status: 'error', exists: true },
        ],
        keep: { percentage: 0 },
      }),
    ]);
    const started: ReadableSpan[] = [];
    const run = (name: string, fn: (span: ReturnType<typeof s.tracer.startSpan>) => void = () => {}, opts: Json = {}) => {
      const span = s.tracer.startSpan(name, opts);
      fn(span);
      span.end();
      started.push(span as unknown as ReadableSpan);
    };
    run('health', (sp) => sp.setAttribute('http.route', '/health'));
    run('users', (sp) => sp.setAttribute('http.route', '/users'));
    run('outbound', () => {}, { kind: SpanKind.CLIENT });
    run('inbound', () => {}, { kind: SpanKind.SERVER });
    run('miss-error', (sp) => {
      sp.addEvent('cache.miss');
      sp.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    });
    run('miss-ok', (sp) => sp.addEvent('cache.miss'));
    expect(s.names()).toEqual(['users', 'inbound', 'miss-ok']);
    // Nothing was written, so the spans themselves are exported.
    expect(s.exporter.getFinishedSpans()[0]).toBe(started[1]);
  });

  it('writes the sampling threshold into the exported span, never into the live span', () => {
    const s = setup([tracePolicy('half', { match: [{ resource_attribute: 'service.name', exact: 'api-server' }], keep: { percentage: 50 } })]);
    s.ids.traceId = 'aabbccdd000000000180000000000000'; // randomness 0x80000000000000 >= T (0x80000000000000): kept
    const kept = s.tracer.startSpan('kept', { attributes: { a: 1 } });
    kept.end();
    s.ids.traceId = 'aabbccdd00000000007fffffffffffff'; // randomness below T: sampled out
    s.tracer.startSpan('dropped').end();

    const [exported] = s.exporter.getFinishedSpans();
    expect(s.names()).toEqual(['kept']);
    // What the OTLP transformer reads: spanContext().traceState?.serialize().
    expect(exported.spanContext().traceState?.serialize()).toBe('ot=th:8');
    expect(exported.spanContext().traceId).toBe('aabbccdd000000000180000000000000');
    expect((kept as unknown as ReadableSpan).spanContext().traceState).toBeUndefined();
    // The view reads everything else through to the span.
    const live = kept as unknown as ReadableSpan;
    expect(exported).not.toBe(live);
    expect(exported.name).toBe('kept');
    expect(exported.attributes).toEqual({ a: 1 });
    expect(exported.resource).toBe(s.resource);
    expect(exported.instrumentationScope).toEqual({ name: 'test-tracer', version: '2.0.0', schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' });
    expect(exported.ended).toBe(true);
    expect(exported.duration).toEqual(live.duration);
    expect(exported.kind).toBe(SpanKind.INTERNAL);
    expect(exported.spanContext().traceFlags).toBe(TraceFlags.SAMPLED);
  });

  it('keeps other vendors\u2019 tracestate entries and updates an incoming threshold', () => {
    const s = setup([tracePolicy('half', { match: [{ trace_field: 'name', exact: 'child' }], keep: { percentage: 50 } })]);
    const parent: SpanContext = {
      traceId: 'aabbccdd0000000002ffffffffffffff',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: createTraceState('vendor=keep-me,ot=th:4;rv:abc123'),
    };
    const span = s.tracer.startSpan('child', {}, trace.setSpanContext(ROOT_CONTEXT, parent));
    span.end();
    const [exported] = s.exporter.getFinishedSpans();
    expect(exported.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(exported.spanContext().traceState?.serialize()).toBe('ot=rv:abc123;th:8,vendor=keep-me');
  });

  it('warns when the sampled tracestate is too long for the API', () => {
    const capture = captureDiag();
    const s = setup([tracePolicy('half', { match: [{ trace_field: 'name', exact: 'child' }], keep: { percentage: 50 } })]);
    const incoming = `a=${'x'.repeat(250)},b=${'y'.repeat(250)}`;
    const parent: SpanContext = {
      traceId: 'aabbccdd0000000002ffffffffffffff',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState(incoming),
    };
    s.tracer.startSpan('child', {}, trace.setSpanContext(ROOT_CONTEXT, parent)).end();
    const [exported] = s.exporter.getFinishedSpans();
    expect(exported.spanContext().traceState?.serialize()).toBe('');
    expect(capture.find('warn', 'is not a valid W3C tracestate').length).toBe(1);
  });

  it('writes th:0 when a policy keeps everything', () => {
    const s = setup([tracePolicy('all', { match: [{ trace_field: 'name', exact: 'x' }], keep: { percentage: 100 } })]);
    s.tracer.startSpan('x').end();
    s.tracer.startSpan('y').end();
    const [x, y] = s.exporter.getFinishedSpans();
    expect(x.spanContext().traceState?.serialize()).toBe('ot=th:0');
    expect(y.spanContext().traceState).toBeUndefined();
  });

  it('samples about the configured share of traces', () => {
    const s = setup([tracePolicy('quarter', { match: [{ trace_field: 'name', exact: 'op' }], keep: { percentage: 25 } })]);
    for (let i = 0; i < 4000; i++) {
      s.ids.traceId = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
      s.tracer.startSpan('op').end();
    }
    const rate = s.exporter.getFinishedSpans().length / 4000;
    expect(rate).toBeGreaterThan(0.21);
    expect(rate).toBeLessThan(0.29);
    expect(new Set(s.exporter.getFinishedSpans().map((sp) => sp.spanContext().traceState?.serialize()))).toEqual(new Set(['ot=th:c']));
  });

  it('forwards spans the SDK did not sample without evaluating them', () => {
    const recordOnly: Sampler = { shouldSample: () => ({ decision: SamplingDecision.RECORD }), toString: () => 'record-only' };
    const received: ReadableSpanLike[] = [];
    const delegate: SpanProcessorLike = { onStart() {}, onEnd: (sp) => received.push(sp), forceFlush: async () => {}, shutdown: async () => {} };
    const processor = new PolicySpanProcessor(delegate, { policies: { policies: [tracePolicy('drop-all', { match: [{ trace_field: 'name', exact: 'op' }], keep: { percentage: 0 } })] } });
    const provider = new BasicTracerProvider({ sampler: recordOnly, spanProcessors: [processor] });
    providers.push(provider);
    provider.getTracer('t').startSpan('op').end();
    expect(received.map((sp) => sp.name)).toEqual(['op']);
    expect(processor.policies.stats()[0]).toMatchObject({ hits: 0, misses: 0 });
  });

  it('fails open: a span whose evaluation throws goes out unmodified and the error is reported', () => {
    const capture = captureDiag();
    const received: ReadableSpanLike[] = [];
    const delegate: SpanProcessorLike = { onStart() {}, onEnd: (sp) => received.push(sp), forceFlush: async () => {}, shutdown: async () => {} };
    const processor = new PolicySpanProcessor(delegate, {
      policies: { policies: [tracePolicy('drop', { match: [{ span_attribute: 'x', exact: 'y' }], keep: { percentage: 0 } })] },
    });
    const ctx: SpanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
    const broken = {
      name: 'broken',
      kind: SpanKind.INTERNAL,
      spanContext: () => ctx,
      get attributes(): Record<string, unknown> {
        throw new Error('attributes unavailable');
      },
    } as ReadableSpanLike;
    processor.onEnd(broken);
    expect(received).toHaveLength(1);
    expect(received[0]).toBe(broken);
    expect(capture.find('error', 'policy evaluation of a trace failed').length).toBe(1);
  });

  it('propagates onStart, onEnding, forceFlush and shutdown to every delegate', async () => {
    const calls: string[] = [];
    const spy = (name: string, withEnding: boolean): SpanProcessorLike => ({
      onStart: (sp) => calls.push(`${name}:start:${sp.name}`),
      ...(withEnding ? { onEnding: (sp: ReadableSpanLike) => calls.push(`${name}:ending:${sp.name}`) } : {}),
      onEnd: (sp) => calls.push(`${name}:end:${sp.name}`),
      forceFlush: async () => void calls.push(`${name}:flush`),
      shutdown: async () => void calls.push(`${name}:shutdown`),
    });
    const processor = new PolicySpanProcessor([spy('a', true), spy('b', false)], { policies: { policies: [] } });
    const handleShutdown = vi.spyOn(processor.policies, 'shutdown');
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    provider.getTracer('t').startSpan('op').end();
    await provider.forceFlush();
    await provider.shutdown();
    expect(calls).toEqual(['a:start:op', 'b:start:op', 'a:ending:op', 'a:end:op', 'b:end:op', 'a:flush', 'b:flush', 'a:shutdown', 'b:shutdown']);
    expect(handleShutdown).toHaveBeenCalledTimes(1);
  });

  it('reads the parent span ID of child spans', () => {
    const s = setup([tracePolicy('drop-child', { match: [{ trace_field: 'parent_span_id', exists: true }], keep: { percentage: 0 } })]);
    const root = s.tracer.startSpan('root');
    s.tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root)).end();
    root.end();
    expect(s.names()).toEqual(['root']);
  });
});

describe('withTraceState', () => {
  it('makes a view with another tracestate and leaves the span alone', () => {
    const ctx: SpanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, traceState: createTraceState('a=b') };
    const span = { name: 'n', spanContext: () => ctx, extra: 42 } as ReadableSpanLike & { extra: number };
    const view = withTraceState(span, 'ot=th:8,a=b');
    expect(view.spanContext().traceState?.serialize()).toBe('ot=th:8,a=b');
    expect(view.spanContext().traceId).toBe(ctx.traceId);
    expect(view.extra).toBe(42);
    expect(span.spanContext()).toBe(ctx);
    expect(withTraceState(span, '').spanContext().traceState).toBeUndefined();
  });
});
