/**
 * The SDK accessors on their own: how SDK log records and spans read and
 * write, against the OTLP/JSON semantics they mirror.
 */
import { describe, expect, it } from 'vitest';
import { createTraceState } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { EvalResult, LogField, PolicyEngine, RefKind, TraceField, TRACE_STATE_REF, TypedValue, ValueKind, type FieldRef } from '@otel-policy/core';
import { SdkLogRecordAccessor, SdkSpanCursor, sdkAttributes, sdkLogRecordAccessor, sdkSpanAccessor, type ReadableSpanLike, type SdkLogRecordLike } from '@otel-policy/adapters';

function ref(kind: number, opts: { code?: number; path?: string[]; name?: string; bytes?: boolean; multi?: boolean } = {}): FieldRef {
  const r = { kind, code: opts.code ?? 0, path: opts.path ?? [], name: opts.name ?? '', bytes: opts.bytes ?? false, multi: opts.multi ?? false };
  return { ...r, key: JSON.stringify(r) } as FieldRef;
}
const field = (code: number, bytes = false) => ref(RefKind.Field, { code, bytes });
const attr = (...path: string[]) => ref(RefKind.RecordAttribute, { path });
const resAttr = (...path: string[]) => ref(RefKind.ResourceAttribute, { path });
const scopeAttr = (...path: string[]) => ref(RefKind.ScopeAttribute, { path });

function record(over: Partial<SdkLogRecordLike> = {}): SdkLogRecordLike {
  return {
    body: 'hello',
    attributes: {},
    resource: resourceFromAttributes({ 'service.name': 'svc' }, { schemaUrl: 'https://example.com/r' }),
    instrumentationScope: { name: 'scope', version: '1', schemaUrl: 'https://example.com/s', attributes: { team: 'core' } },
    ...over,
  };
}

function typed(acc: SdkLogRecordAccessor | typeof sdkLogRecordAccessor, r: SdkLogRecordLike, f: FieldRef): TypedValue {
  const out = new TypedValue();
  acc.getTyped(r, f, out, 0);
  return out;
}

describe('SDK log record accessor: reads', () => {
  const acc = sdkLogRecordAccessor;

  it('gives string matchers non-empty strings only', () => {
    expect(acc.getString(record(), field(LogField.Body), 0)).toBe('hello');
    expect(acc.getString(record({ body: '' }), field(LogField.Body), 0)).toBeUndefined();
    expect(acc.getString(record({ body: 42 }), field(LogField.Body), 0)).toBeUndefined();
    expect(acc.exists(record({ body: '' }), field(LogField.Body), 0)).toBe(false);
    expect(acc.exists(record({ body: 0 }), field(LogField.Body), 0)).toBe(true);
    expect(acc.exists(record({ body: { a: 1 } }), field(LogField.Body), 0)).toBe(true);
    expect(acc.exists(record({ body: undefined }), field(LogField.Body), 0)).toBe(false);
    expect(acc.getString(record({ severityText: '' }), field(LogField.SeverityText), 0)).toBeUndefined();
    expect(acc.getString(record({ eventName: 'e' }), field(LogField.EventName), 0)).toBe('e');
  });

  it('types values as OTLP would encode them', () => {
    const r = record({
      attributes: { i: 42, d: 1.5, b: true, s: '', bytes: Uint8Array.of(0xab, 0x01), arr: [1, 2], map: { a: 1 }, nul: null, und: undefined, big: 2n ** 60n },
    });
    expect(typed(acc, r, attr('i'))).toMatchObject({ kind: ValueKind.Int, num: 42 });
    expect(typed(acc, r, attr('d'))).toMatchObject({ kind: ValueKind.Double, num: 1.5 });
    expect(typed(acc, r, attr('b'))).toMatchObject({ kind: ValueKind.Bool, bool: true });
    expect(typed(acc, r, attr('s'))).toMatchObject({ kind: ValueKind.String, str: '' });
    expect(typed(acc, r, attr('bytes'))).toMatchObject({ kind: ValueKind.Bytes, str: 'ab01' });
    expect(typed(acc, r, attr('arr')).kind).toBe(ValueKind.Array);
    expect(typed(acc, r, attr('map')).kind).toBe(ValueKind.KvList);
    expect(typed(acc, r, attr('nul')).kind).toBe(ValueKind.None);
    expect(typed(acc, r, attr('big'))).toMatchObject({ kind: ValueKind.Int, big: 2n ** 60n });
    expect(typed(acc, r, attr('missing')).kind).toBe(ValueKind.None);
  });

  it('finds attributes by own key, whatever the value, and nested paths through maps only', () => {
    const r = record({ attributes: { und: undefined, empty: '', http: { req: { method: 'GET' } }, list: [{ a: 1 }] } });
    expect(acc.exists(r, attr('und'), 0)).toBe(true);
    expect(acc.exists(r, attr('empty'), 0)).toBe(true);
    expect(acc.getString(r, attr('empty'), 0)).toBeUndefined();
    expect(acc.exists(r, attr('toString'), 0)).toBe(false);
    expect(acc.exists(r, attr('constructor'), 0)).toBe(false);
    expect(acc.getString(r, attr('http', 'req', 'method'), 0)).toBe('GET');
    expect(acc.exists(r, attr('http', 'req'), 0)).toBe(true);
    expect(acc.exists(r, attr('http', 'nope', 'method'), 0)).toBe(false);
    expect(acc.exists(r, attr('list', '0', 'a'), 0)).toBe(false);
    expect(acc.getString(r, resAttr('service.name'), 0)).toBe('svc');
    expect(acc.getString(r, scopeAttr('team'), 0)).toBe('core');
    expect(acc.getString(r, field(LogField.ResourceSchemaUrl), 0)).toBe('https://example.com/r');
    expect(acc.getString(r, field(LogField.ScopeSchemaUrl), 0)).toBe('https://example.com/s');
  });

  it('reads trace and span IDs as lowercase hex, all-zero meaning absent', () => {
    const r = record({ spanContext: { traceId: '0AF7651916CD43DD8448EB211C80319C', spanId: '0000000000000000', traceFlags: 1 } });
    expect(acc.getString(r, field(LogField.TraceId, true), 0)).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(typed(acc, r, field(LogField.TraceId, true))).toMatchObject({ kind: ValueKind.Bytes, str: '0af7651916cd43dd8448eb211c80319c' });
    expect(acc.exists(r, field(LogField.SpanId, true), 0)).toBe(false);
    expect(acc.exists(record(), field(LogField.TraceId, true), 0)).toBe(false);
  });
});

describe('SDK log record accessor: writes', () => {
  it('sets and removes fields, replacing (never mutating) the span context', () => {
    const acc = new SdkLogRecordAccessor();
    const sc = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
    const r = record({ severityText: 'INFO', eventName: 'e', spanContext: sc });
    expect(acc.remove(r, field(LogField.TraceId, true))).toBe(true);
    expect(r.spanContext).toEqual({ traceId: '', spanId: 'b7ad6b7169203331', traceFlags: 1 });
    expect(sc.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(acc.remove(r, field(LogField.SpanId, true))).toBe(true);
    expect(r.spanContext).toBeUndefined();
    acc.set(r, field(LogField.SpanId, true), 'b7ad6b7169203331');
    expect(r.spanContext).toEqual({ traceId: '', spanId: 'b7ad6b7169203331', traceFlags: 0 });
    expect(acc.remove(r, field(LogField.Body))).toBe(true);
    expect(r.body).toBeUndefined();
    expect(acc.remove(r, field(LogField.Body))).toBe(false);
    acc.set(r, field(LogField.Body), 'new');
    acc.set(r, field(LogField.SeverityText), 'WARN');
    acc.remove(r, field(LogField.EventName));
    expect(r).toMatchObject({ body: 'new', severityText: 'WARN', eventName: undefined });
  });

  it('keeps attribute order: updates in place, appends new keys, renames to the end', () => {
    const acc = new SdkLogRecordAccessor();
    const r = record({ attributes: { a: 1, b: 2, c: 3 } });
    acc.set(r, attr('b'), 'B');
    acc.set(r, attr('d'), 'D');
    acc.rename(r, attr('a'), 'z');
    expect(Object.entries(r.attributes)).toEqual([
      ['b', 'B'],
      ['c', 3],
      ['d', 'D'],
      ['z', 1],
    ]);
    acc.rename(r, attr('z'), 'c');
    expect(Object.entries(r.attributes)).toEqual([
      ['b', 'B'],
      ['c', 1],
      ['d', 'D'],
    ]);
  });

  it('copies foreign nested maps before writing, once per record', () => {
    const acc = new SdkLogRecordAccessor();
    const shared = { method: 'GET', auth: 'secret' };
    const r = record({ attributes: { http: shared, n: 1 } });
    acc.set(r, attr('http', 'auth'), 'x');
    const copy = r.attributes.http;
    expect(copy).not.toBe(shared);
    expect(shared).toEqual({ method: 'GET', auth: 'secret' });
    acc.remove(r, attr('http', 'method'));
    expect(r.attributes.http).toBe(copy);
    expect(r.attributes).toEqual({ http: { auth: 'x' }, n: 1 });
    // A missing intermediate map is created; a non-map intermediate refuses the write.
    acc.set(r, attr('meta', 'k'), 'v');
    acc.set(r, attr('n', 'k'), 'v');
    expect(r.attributes).toEqual({ http: { auth: 'x' }, n: 1, meta: { k: 'v' } });
  });

  it('gives the record its own resource and scope on write', () => {
    const acc = new SdkLogRecordAccessor();
    const r = record();
    const resource = r.resource;
    const scope = r.instrumentationScope;
    acc.set(r, resAttr('added'), 'yes');
    acc.set(r, field(LogField.ResourceSchemaUrl), 'https://example.com/new');
    acc.remove(r, scopeAttr('team'));
    acc.set(r, field(LogField.ScopeSchemaUrl), 'https://example.com/scope');
    expect(resource.attributes).toEqual({ 'service.name': 'svc' });
    expect(resource.schemaUrl).toBe('https://example.com/r');
    expect(scope).toEqual({ name: 'scope', version: '1', schemaUrl: 'https://example.com/s', attributes: { team: 'core' } });
    expect(r.resource.attributes).toEqual({ 'service.name': 'svc', added: 'yes' });
    expect(r.resource.schemaUrl).toBe('https://example.com/new');
    expect(Object.getPrototypeOf(r.resource)).toBe(resource);
    expect(r.instrumentationScope).toEqual({ name: 'scope', version: '1', schemaUrl: 'https://example.com/scope', attributes: {} });
    // Removing what is absent copies nothing.
    const r2 = record();
    const res2 = r2.resource;
    expect(acc.remove(r2, resAttr('absent'))).toBe(false);
    expect(r2.resource).toBe(res2);
  });

  it('rolls a record back to its state before the first write', () => {
    const acc = new SdkLogRecordAccessor({ journal: true });
    const sc = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
    const nested = { x: '1' };
    const r = record({ severityText: 'INFO', spanContext: sc, attributes: { a: 1, nested, b: 2 } });
    const before = { resource: r.resource, scope: r.instrumentationScope };
    acc.remove(r, attr('a'));
    acc.set(r, attr('nested', 'x'), '2');
    acc.set(r, attr('c'), 'c');
    acc.set(r, field(LogField.Body), 'changed');
    acc.remove(r, field(LogField.TraceId, true));
    acc.set(r, resAttr('r'), 'r');
    acc.set(r, scopeAttr('s'), 's');
    expect(acc.rollback(r)).toBe(true);
    expect(Object.entries(r.attributes)).toEqual([
      ['a', 1],
      ['nested', nested],
      ['b', 2],
    ]);
    expect(nested).toEqual({ x: '1' });
    expect(r).toMatchObject({ body: 'hello', severityText: 'INFO' });
    expect(r.spanContext).toBe(sc);
    expect(r.resource).toBe(before.resource);
    expect(r.instrumentationScope).toBe(before.scope);
    expect(acc.rollback(r)).toBe(false);
  });

  it('shares equal resource and scope copies between records once committed', () => {
    const acc = new SdkLogRecordAccessor();
    const resource = resourceFromAttributes({ 'service.name': 'svc' });
    const scope = { name: 's' };
    const make = () => record({ resource, instrumentationScope: scope });
    const [r1, r2, r3] = [make(), make(), make()];
    for (const r of [r1, r2]) {
      acc.set(r, resAttr('tag'), 'a');
      acc.set(r, scopeAttr('tag'), 'a');
      acc.commit(r);
    }
    acc.set(r3, resAttr('tag'), 'b');
    acc.commit(r3);
    expect(r2.resource).toBe(r1.resource);
    expect(r2.instrumentationScope).toBe(r1.instrumentationScope);
    expect(r3.resource).not.toBe(r1.resource);
    expect(r3.resource.attributes).toEqual({ 'service.name': 'svc', tag: 'b' });
    // A shared copy is read-only: writing to a record that holds it copies again.
    acc.set(r2, resAttr('more'), 'x');
    expect(r1.resource.attributes).toEqual({ 'service.name': 'svc', tag: 'a' });
    expect(r2.resource.attributes).toEqual({ 'service.name': 'svc', tag: 'a', more: 'x' });
  });

  it('evaluates with the engine like the OTLP/JSON accessor', () => {
    const engine = new PolicyEngine({
      policies: JSON.stringify({
        policies: [
          {
            id: 'p',
            name: 'p',
            log: {
              match: [
                { log_attribute: ['http', 'method'], exact: 'POST' },
                { resource_attribute: 'service.name', exact: 'svc' },
              ],
              keep: 'all',
              transform: { redact: [{ log_field: 'body', regex: '\\d+', replacement: '#' }], add: [{ log_attribute: 'seen', value: 'y' }] },
            },
          },
        ],
      }),
    });
    const acc = new SdkLogRecordAccessor();
    const r = record({ body: 'id 123 and 45', attributes: { http: { method: 'POST' } } });
    expect(engine.evaluateLog(r, acc)).toBe(EvalResult.KeptModified);
    expect(r.body).toBe('id # and #');
    expect(r.attributes.seen).toBe('y');
    expect(engine.evaluateLog(record({ attributes: { http: { method: 'GET' } } }), acc)).toBe(EvalResult.NoMatch);
  });
});

describe('sdkAttributes helpers', () => {
  it('documents the one ordering exception of JS objects: index-like keys come first', () => {
    const attrs: Record<string, unknown> = { b: 1 };
    sdkAttributes.setAttribute(attrs, ['7'], 'x');
    expect(Object.keys(attrs)).toEqual(['7', 'b']);
  });

  it('compares attribute maps deeply, order included', () => {
    expect(sdkAttributes.sameAttributes({ a: [1, { b: Uint8Array.of(1) }] }, { a: [1, { b: Uint8Array.of(1) }] })).toBe(true);
    expect(sdkAttributes.sameAttributes({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
    expect(sdkAttributes.sameAttributes({ a: NaN }, { a: NaN })).toBe(true);
  });
});

describe('SDK span accessor', () => {
  const span = (over: Partial<ReadableSpanLike> & Record<string, unknown> = {}): ReadableSpanLike => ({
    name: 'GET /users',
    kind: 1,
    spanContext: () => ({ traceId: '0AF7651916CD43DD8448EB211C80319C', spanId: 'b7ad6b7169203331', traceFlags: 1, traceState: createTraceState('vendor=x') }),
    status: { code: 2 },
    attributes: { 'http.route': '/users', nested: { a: 'b' } },
    events: [
      { name: 'e1', attributes: { k: 'v1' } },
      { name: 'e2', attributes: { k: 'v2', n: 3 } },
    ],
    links: [{ context: { traceId: 'ABCDEF1234567890ABCDEF1234567890' } }],
    resource: { attributes: { 'service.name': 'api' }, schemaUrl: 'https://example.com/r' },
    instrumentationScope: { name: 'lib', version: '2', schemaUrl: 'https://example.com/s', attributes: { t: 'u' } },
    parentSpanContext: { spanId: '00f067aa0ba902b7' },
    ...over,
  });
  const at = (s: ReadableSpanLike) => new SdkSpanCursor().reset(s);
  const acc = sdkSpanAccessor;

  it('reads fields, kinds and statuses (API enums) as OTLP names', () => {
    const c = at(span());
    expect(acc.getString(c, field(TraceField.Name), 0)).toBe('GET /users');
    expect(acc.getString(c, field(TraceField.TraceId, true), 0)).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(acc.getString(c, field(TraceField.ParentSpanId, true), 0)).toBe('00f067aa0ba902b7');
    expect(acc.getString(c, field(TraceField.TraceState), 0)).toBe('vendor=x');
    expect(acc.getString(c, field(TraceField.ScopeName), 0)).toBe('lib');
    expect(acc.getString(c, field(TraceField.ScopeVersion), 0)).toBe('2');
    expect(acc.getString(c, field(TraceField.ScopeSchemaUrl), 0)).toBe('https://example.com/s');
    expect(acc.getString(c, field(TraceField.ResourceSchemaUrl), 0)).toBe('https://example.com/r');
    expect(acc.getString(c, ref(RefKind.SpanKind), 0)).toBe('server');
    expect(acc.getString(c, ref(RefKind.SpanStatus), 0)).toBe('error');
    expect(['internal', 'server', 'client', 'producer', 'consumer'].map((_, k) => acc.getString(at(span({ kind: k })), ref(RefKind.SpanKind), 0))).toEqual([
      'internal',
      'server',
      'client',
      'producer',
      'consumer',
    ]);
    expect(acc.exists(at(span({ kind: undefined })), ref(RefKind.SpanKind), 0)).toBe(false);
    expect(acc.getString(at(span({ status: { code: 0 } })), ref(RefKind.SpanStatus), 0)).toBe('unset');
    expect(acc.getString(c, ref(RefKind.ResourceAttribute, { path: ['service.name'] }), 0)).toBe('api');
    expect(acc.getString(c, ref(RefKind.ScopeAttribute, { path: ['t'] }), 0)).toBe('u');
    expect(acc.getString(c, ref(RefKind.RecordAttribute, { path: ['nested', 'a'] }), 0)).toBe('b');
  });

  it('reads SDK 1.x spans (instrumentationLibrary, parentSpanId)', () => {
    const c = at(span({ instrumentationScope: undefined, instrumentationLibrary: { name: 'old-lib' }, parentSpanContext: undefined, parentSpanId: 'AAAAAAAAAAAAAAAA' }));
    expect(acc.getString(c, field(TraceField.ScopeName), 0)).toBe('old-lib');
    expect(acc.getString(c, field(TraceField.ParentSpanId, true), 0)).toBe('aaaaaaaaaaaaaaaa');
  });

  it('reads events and links', () => {
    const c = at(span());
    const ev = ref(RefKind.EventAttribute, { path: ['k'], multi: true });
    expect(acc.elementCount(c, ev)).toBe(2);
    expect([0, 1].map((e) => acc.getString(c, ev, e))).toEqual(['v1', 'v2']);
    const n = new TypedValue();
    acc.getTyped(c, ref(RefKind.EventAttribute, { path: ['n'], multi: true }), n, 1);
    expect(n).toMatchObject({ kind: ValueKind.Int, num: 3 });
    expect(acc.exists(c, ref(RefKind.EventName, { name: 'e2' }), 0)).toBe(true);
    expect(acc.exists(c, ref(RefKind.EventName, { name: 'e3' }), 0)).toBe(false);
    expect(acc.exists(c, ref(RefKind.LinkTraceId, { name: 'abcdef1234567890abcdef1234567890', bytes: true }), 0)).toBe(true);
    expect(acc.exists(c, ref(RefKind.LinkTraceId, { name: '11111111111111111111111111111111', bytes: true }), 0)).toBe(false);
  });

  it('writes the tracestate into the cursor only', () => {
    const s = span();
    const c = at(s);
    acc.set(c, TRACE_STATE_REF, 'ot=th:8,vendor=x');
    expect(c.traceState).toBe('ot=th:8,vendor=x');
    expect(acc.getString(c, TRACE_STATE_REF, 0)).toBe('ot=th:8,vendor=x');
    expect(s.spanContext().traceState?.serialize()).toBe('vendor=x');
    expect(acc.remove(c, TRACE_STATE_REF)).toBe(true);
    expect(acc.getString(c, TRACE_STATE_REF, 0)).toBeUndefined();
    c.reset(s);
    expect(acc.getString(c, TRACE_STATE_REF, 0)).toBe('vendor=x');
  });

  it('lets the engine sample through the cursor', () => {
    const engine = new PolicyEngine({
      policies: JSON.stringify({ policies: [{ id: 't', name: 't', trace: { match: [{ trace_field: 'name', exact: 'GET /users' }], keep: { percentage: 50 } } }] }),
    });
    const kept = at(span({ spanContext: () => ({ traceId: 'aabbccdd000000000180000000000000', spanId: 'b7ad6b7169203331', traceFlags: 1 }) }));
    expect(engine.evaluateTrace(kept, acc)).toBe(EvalResult.KeptModified);
    expect(kept.traceState).toBe('ot=th:8');
    const dropped = at(span({ spanContext: () => ({ traceId: 'aabbccdd00000000007fffffffffffff', spanId: 'b7ad6b7169203331', traceFlags: 1 }) }));
    expect(engine.evaluateTrace(dropped, acc)).toBe(EvalResult.SampledOut);
  });
});
