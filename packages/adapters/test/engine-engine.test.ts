/**
 * Engine-level behaviour: fail-open on accessor errors, disabled policies,
 * reloads carrying state of unchanged policies, empty policy sets and
 * policies without matchers.
 */
import { describe, expect, it } from 'vitest';
import { EvalResult, PolicyEngine, parsePolicyText, type Transformable } from '@otel-policy/core';
import {
  applyToLogs,
  applyToMetrics,
  applyToTraces,
  otlpJsonLogAccessor,
  otlpJsonSpanAccessor,
  otlpJsonDataPointAccessor,
  type LogCursor,
  type LogsData,
  type MetricsData,
  type TracesData,
} from '@otel-policy/adapters';

type Json = Record<string, unknown>;

interface KV {
  key: string;
  value: { stringValue?: string; intValue?: string | number };
}
const kv = (key: string, s: string): KV => ({ key, value: { stringValue: s } });

function logPolicy(id: string, log: Json, extra: Json = {}): Json {
  return { id, name: id, ...extra, log };
}

const text = (policies: Json[]): string => JSON.stringify({ policies });

interface Rec {
  body?: string;
  severity?: string;
  attrs?: KV[];
}

function recordOf(r: Rec): Json {
  const rec: Json = {};
  if (r.severity !== undefined) rec.severityText = r.severity;
  if (r.body !== undefined) rec.body = { stringValue: r.body };
  rec.attributes = r.attrs ?? [];
  return rec;
}

function cursorOf(r: Rec): LogCursor {
  const record = recordOf(r);
  const scopeLogs = { scope: { name: 's', attributes: [] }, logRecords: [record] };
  const resourceLogs = { resource: { attributes: [kv('service.name', 'svc')] }, scopeLogs: [scopeLogs] };
  return { resourceLogs, scopeLogs, record } as unknown as LogCursor;
}

function logsOf(records: Rec[]): LogsData {
  return { resourceLogs: [{ resource: { attributes: [kv('service.name', 'svc')] }, scopeLogs: [{ scope: { name: 's' }, logRecords: records.map(recordOf) }] }] } as unknown as LogsData;
}

function stat(engine: PolicyEngine, id: string): { hits: number; misses: number } {
  const s = engine.stats().find((p) => p.policyId === id);
  if (!s) throw new Error(`no stats for ${id}`);
  return { hits: s.hits, misses: s.misses };
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

// ---------------------------------------------------------------------------

describe('fail-open', () => {
  const policies = text([
    logPolicy('drop', { match: [{ log_field: 'body', contains: 'drop' }], keep: 'none' }),
    logPolicy('typed', { match: [{ log_attribute: 'code', gte: 500 }], keep: 'none' }),
    logPolicy('exists', { match: [{ log_attribute: 'flag', exists: true }], keep: 'none' }),
    logPolicy('tx', { match: [{ log_field: 'body', contains: 'tx' }], transform: { remove: [{ log_attribute: 'secret' }], add: [{ log_attribute: 'added', value: '1' }] } }),
  ]);

  const throwing = (method: keyof Transformable<LogCursor>): Transformable<LogCursor> => ({
    ...otlpJsonLogAccessor,
    [method]: () => {
      throw new Error(`accessor ${String(method)} failed`);
    },
  });

  it.each<keyof Transformable<LogCursor>>(['getString', 'getTyped', 'exists'])('an accessor whose %s throws: Failed (passes), record unmodified, error counted', (method) => {
    const engine = new PolicyEngine({ policies });
    const records: Rec[] = [
      { body: 'please drop me', attrs: [kv('secret', 's')] },
      { body: 'tx here', attrs: [kv('secret', 's'), { key: 'code', value: { intValue: 503 } }, kv('flag', 'x')] },
    ];
    let expectedErrors = 0;
    for (const r of records) {
      const cursor = cursorOf(r);
      const before = clone(cursor.record);
      expect(engine.evaluateLog(cursor, throwing(method))).toBe(EvalResult.Failed);
      expect(cursor.record).toEqual(before);
      expectedErrors++;
      expect(engine.internalErrors).toBe(expectedErrors);
    }
  });

  it('an accessor that throws while transforming: Failed (passes) and the error is counted', () => {
    const engine = new PolicyEngine({ policies });
    const acc: Transformable<LogCursor> = {
      ...otlpJsonLogAccessor,
      remove: () => {
        throw new Error('remove failed');
      },
    };
    const cursor = cursorOf({ body: 'tx', attrs: [kv('secret', 's')] });
    const before = clone(cursor.record);
    expect(engine.evaluateLog(cursor, acc)).toBe(EvalResult.Failed);
    expect(cursor.record).toEqual(before);
    expect(engine.internalErrors).toBe(1);
  });

  it('a transform that throws part-way: the record is kept (never lost) and the error counted', () => {
    // Transforms are not transactional: writes made before the failing one stay.
    // Only a custom accessor that throws on write can get here; the record still
    // passes (fail-open), which is what spec.md's "no telemetry loss" requires.
    const engine = new PolicyEngine({ policies });
    const acc: Transformable<LogCursor> = {
      ...otlpJsonLogAccessor,
      set: () => {
        throw new Error('set failed');
      },
    };
    const cursor = cursorOf({ body: 'tx', attrs: [kv('secret', 's'), kv('keep', 'k')] });
    expect(engine.evaluateLog(cursor, acc)).toBe(EvalResult.Failed);
    expect(engine.internalErrors).toBe(1);
    expect((cursor.record as unknown as { body: { stringValue: string } }).body.stringValue).toBe('tx');
    expect((cursor.record as unknown as { attributes: KV[] }).attributes.map((a) => a.key)).toContain('keep');
  });

  it('the engine keeps working normally after an accessor error', () => {
    const engine = new PolicyEngine({ policies });
    const bad = throwing('getString');
    expect(engine.evaluateLog(cursorOf({ body: 'drop' }), bad)).toBe(EvalResult.Failed);
    expect(engine.evaluateLog(cursorOf({ body: 'drop' }), otlpJsonLogAccessor)).toBe(EvalResult.Dropped);
    expect(engine.evaluateLog(cursorOf({ body: 'fine' }), otlpJsonLogAccessor)).toBe(EvalResult.NoMatch);
    const c = cursorOf({ body: 'tx', attrs: [kv('secret', 's')] });
    expect(engine.evaluateLog(c, otlpJsonLogAccessor)).toBe(EvalResult.KeptModified);
    expect((c.record as unknown as { attributes: KV[] }).attributes.map((a) => a.key)).toEqual(['added']);
    expect(engine.internalErrors).toBe(1);
  });

  it('metric and span evaluation fail open too', () => {
    const engine = new PolicyEngine({
      policies: text([
        { id: 'm', name: 'm', metric: { match: [{ metric_field: 'name', exact: 'x' }], keep: false } },
        { id: 't', name: 't', trace: { match: [{ trace_field: 'name', exact: 'x' }], keep: { percentage: 0 } } },
      ]),
    });
    const boom = () => {
      throw new Error('boom');
    };
    const badMetric = { ...otlpJsonDataPointAccessor, getString: boom, getTyped: boom, exists: boom };
    const badSpan = { ...otlpJsonSpanAccessor, getString: boom, getTyped: boom, exists: boom };
    expect(engine.evaluateMetric({} as never, badMetric)).toBe(EvalResult.Failed);
    expect(engine.evaluateTrace({} as never, badSpan)).toBe(EvalResult.Failed);
    expect(engine.internalErrors).toBe(2);
  });

  it('reports errors to the logger without throwing', () => {
    const seen: string[] = [];
    const engine = new PolicyEngine({ policies, logger: { error: (m: string) => seen.push(m), warn: () => {} } });
    expect(() => engine.evaluateLog(cursorOf({ body: 'x' }), throwing('getString'))).not.toThrow();
    expect(seen.length).toBe(1);
  });
});

describe('disabled policies behave as absent', () => {
  it('a disabled policy neither drops, transforms nor counts', () => {
    const engine = new PolicyEngine({
      policies: text([
        logPolicy('off-drop', { match: [{ log_field: 'body', contains: 'x' }], keep: 'none' }, { enabled: false }),
        logPolicy('off-tx', { match: [{ log_field: 'body', contains: 'x' }], transform: { add: [{ log_attribute: 'off', value: '1' }] } }, { enabled: false }),
        logPolicy('on', { match: [{ log_field: 'body', contains: 'x' }], keep: 'all', transform: { add: [{ log_attribute: 'on', value: '1' }] } }),
      ]),
    });
    const data = logsOf([{ body: 'x1' }, { body: 'x2' }]);
    applyToLogs(engine, data);
    const recs = (data as unknown as { resourceLogs: { scopeLogs: { logRecords: { attributes: KV[] }[] }[] }[] }).resourceLogs[0].scopeLogs[0].logRecords;
    expect(recs.length).toBe(2);
    expect(recs.map((r) => r.attributes.map((a) => a.key))).toEqual([['on'], ['on']]);
    // A disabled, more restrictive policy does not make the enabled one miss.
    expect(stat(engine, 'on')).toEqual({ hits: 2, misses: 0 });
    for (const id of ['off-drop', 'off-tx']) {
      const s = engine.stats().find((p) => p.policyId === id);
      if (s) {
        expect({ hits: s.hits, misses: s.misses }).toEqual({ hits: 0, misses: 0 });
        expect([s.remove, s.redact, s.rename, s.add]).toEqual(Array(4).fill({ hits: 0, misses: 0 }));
      }
    }
  });

  it('a disabled rate limit does not decide and a disabled policy is not counted as active', () => {
    const now = 1_000;
    const engine = new PolicyEngine({ clock: () => now });
    const res = engine.load(
      text([logPolicy('a-off', { match: [{ log_field: 'body', exact: 'r' }], keep: '1/s' }, { enabled: false }), logPolicy('b-on', { match: [{ log_field: 'body', exact: 'r' }], keep: '2/s' })]),
    );
    expect(res.active).toBe(1);
    const got = [0, 1, 2].map(() => engine.evaluateLog(cursorOf({ body: 'r' }), otlpJsonLogAccessor));
    expect(got).toEqual([EvalResult.Kept, EvalResult.Kept, EvalResult.RateLimited]);
  });

  it('only disabled policies: nothing matches', () => {
    const engine = new PolicyEngine({ policies: text([logPolicy('off', { match: [{ log_field: 'body', exact: 'x' }], keep: 'none' }, { enabled: false })]) });
    expect(engine.evaluateLog(cursorOf({ body: 'x' }), otlpJsonLogAccessor)).toBe(EvalResult.NoMatch);
  });

  it('metric and trace policies can be disabled too', () => {
    const engine = new PolicyEngine({
      policies: text([
        { id: 'm', name: 'm', enabled: false, metric: { match: [{ metric_field: 'name', exact: 'x' }], keep: false } },
        { id: 't', name: 't', enabled: false, trace: { match: [{ trace_field: 'name', exact: 'x' }], keep: { percentage: 0 } } },
      ]),
    });
    const metrics = { resourceMetrics: [{ resource: {}, scopeMetrics: [{ scope: {}, metrics: [{ name: 'x', gauge: { dataPoints: [{ asInt: '1' }] } }] }] }] } as unknown as MetricsData;
    const traces = {
      resourceSpans: [{ resource: {}, scopeSpans: [{ scope: {}, spans: [{ name: 'x', traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '0102030405060708' }] }] }],
    } as unknown as TracesData;
    const mBefore = clone(metrics);
    const tBefore = clone(traces);
    expect(applyToMetrics(engine, metrics).noMatch).toBe(1);
    expect(applyToTraces(engine, traces).noMatch).toBe(1);
    expect(metrics).toEqual(mBefore);
    expect(traces).toEqual(tBefore);
  });
});

describe('reload', () => {
  const rl = (id: string, keep: string, body = 'r') => logPolicy(id, { match: [{ log_field: 'body', exact: body }], keep });
  const ev = (engine: PolicyEngine, body = 'r') => engine.evaluateLog(cursorOf({ body }), otlpJsonLogAccessor);

  it('an unchanged policy keeps its stats and its rate-limiter window', () => {
    const now = 5_000;
    const engine = new PolicyEngine({ clock: () => now, policies: text([rl('limit', '2/m')]) });
    expect([ev(engine), ev(engine), ev(engine)]).toEqual([EvalResult.Kept, EvalResult.Kept, EvalResult.RateLimited]);
    expect(stat(engine, 'limit')).toEqual({ hits: 3, misses: 0 });
    // Reload the same definition (as text, then as a parsed set, with another policy added).
    engine.load(text([rl('limit', '2/m')]));
    expect(stat(engine, 'limit')).toEqual({ hits: 3, misses: 0 });
    engine.load(parsePolicyText(text([rl('a-other', 'none', 'o'), rl('limit', '2/m')])));
    expect(stat(engine, 'limit')).toEqual({ hits: 3, misses: 0 });
    expect(ev(engine)).toBe(EvalResult.RateLimited);
    expect(stat(engine, 'limit')).toEqual({ hits: 4, misses: 0 });
  });

  it('a changed policy starts over: stats reset and a fresh rate-limit budget', () => {
    const now = 5_000;
    const engine = new PolicyEngine({ clock: () => now, policies: text([rl('limit', '2/m'), rl('stable', 'none', 's')]) });
    ev(engine);
    ev(engine);
    expect(ev(engine)).toBe(EvalResult.RateLimited);
    ev(engine, 's');
    // Same keep, different matcher: a different definition.
    engine.load(text([logPolicy('limit', { match: [{ log_field: 'body', starts_with: 'r' }], keep: '2/m' }), rl('stable', 'none', 's')]));
    expect(stat(engine, 'limit')).toEqual({ hits: 0, misses: 0 });
    expect(stat(engine, 'stable')).toEqual({ hits: 1, misses: 0 });
    expect([ev(engine), ev(engine), ev(engine)]).toEqual([EvalResult.Kept, EvalResult.Kept, EvalResult.RateLimited]);
    expect(stat(engine, 'limit')).toEqual({ hits: 3, misses: 0 });
  });

  it('a changed limit also resets the limiter', () => {
    const now = 5_000;
    const engine = new PolicyEngine({ clock: () => now, policies: text([rl('limit', '1/m')]) });
    expect([ev(engine), ev(engine)]).toEqual([EvalResult.Kept, EvalResult.RateLimited]);
    engine.load(text([rl('limit', '3/m')]));
    expect([ev(engine), ev(engine), ev(engine), ev(engine)]).toEqual([EvalResult.Kept, EvalResult.Kept, EvalResult.Kept, EvalResult.RateLimited]);
  });

  it('transform stats of an unchanged policy survive a reload; a changed one resets', () => {
    const a = logPolicy('a', { match: [{ log_field: 'body', exact: 'r' }], transform: { add: [{ log_attribute: 'x', value: '1' }] } });
    const engine = new PolicyEngine({ policies: text([a]) });
    ev(engine);
    ev(engine);
    engine.load(text([a]));
    expect(engine.stats().find((s) => s.policyId === 'a')!.add).toEqual({ hits: 2, misses: 0 });
    engine.load(text([logPolicy('a', { match: [{ log_field: 'body', exact: 'r' }], transform: { add: [{ log_attribute: 'x', value: '2' }] } })]));
    expect(engine.stats().find((s) => s.policyId === 'a')!.add).toEqual({ hits: 0, misses: 0 });
  });

  it('a removed policy stops applying', () => {
    const engine = new PolicyEngine({ policies: text([rl('drop', 'none')]) });
    expect(ev(engine)).toBe(EvalResult.Dropped);
    engine.load(text([]));
    expect(ev(engine)).toBe(EvalResult.NoMatch);
    expect(engine.stats().find((s) => s.policyId === 'drop')).toBeUndefined();
  });
});

describe('empty policy sets and policies without matchers', () => {
  it.each<[string, () => PolicyEngine]>([
    ['no options', () => new PolicyEngine()],
    ['empty policies list', () => new PolicyEngine({ policies: text([]) })],
    [
      'emptied by a reload',
      () => {
        const e = new PolicyEngine({ policies: text([logPolicy('d', { match: [{ log_field: 'body', exists: true }], keep: 'none' })]) });
        e.load({ policies: [] });
        return e;
      },
    ],
  ])('an empty policy set matches nothing (%s)', (_name, make) => {
    const engine = make();
    const logs = logsOf([{ body: 'a', attrs: [kv('k', 'v')] }, { body: 'b' }]);
    const before = clone(logs);
    const out = applyToLogs(engine, logs);
    expect(out.total).toBe(2);
    expect(out.noMatch).toBe(2);
    expect(logs).toEqual(before);
    expect(engine.evaluateLog(cursorOf({ body: 'x' }), otlpJsonLogAccessor)).toBe(EvalResult.NoMatch);
    expect(engine.evaluateMetric({} as never, otlpJsonDataPointAccessor)).toBe(EvalResult.NoMatch);
    expect(engine.evaluateTrace({} as never, otlpJsonSpanAccessor)).toBe(EvalResult.NoMatch);
    expect(engine.stats().filter((s) => s.hits > 0 || s.misses > 0)).toEqual([]);
  });

  it('a log policy with no matchers never matches', () => {
    const engine = new PolicyEngine({
      policies: text([logPolicy('empty-match', { match: [], keep: 'none' }), logPolicy('no-match-key', { keep: 'none', transform: { add: [{ log_attribute: 'x', value: '1' }] } })]),
    });
    const logs = logsOf([{ body: 'a' }, { body: '' }, {}, { body: 'b', severity: 'ERROR', attrs: [kv('k', 'v')] }]);
    const before = clone(logs);
    const out = applyToLogs(engine, logs);
    expect(out.noMatch).toBe(4);
    expect(logs).toEqual(before);
    for (const id of ['empty-match', 'no-match-key']) {
      const s = engine.stats().find((p) => p.policyId === id);
      if (s) expect({ hits: s.hits, misses: s.misses }).toEqual({ hits: 0, misses: 0 });
    }
  });

  it('metric and trace policies with no matchers never match', () => {
    const engine = new PolicyEngine({
      policies: text([
        { id: 'm', name: 'm', metric: { match: [], keep: false } },
        { id: 't', name: 't', trace: { match: [], keep: { percentage: 0 } } },
      ]),
    });
    const metrics = { resourceMetrics: [{ resource: {}, scopeMetrics: [{ scope: {}, metrics: [{ name: 'x', gauge: { dataPoints: [{ asInt: '1' }] } }] }] }] } as unknown as MetricsData;
    const traces = {
      resourceSpans: [{ resource: {}, scopeSpans: [{ scope: {}, spans: [{ name: 'x', traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '0102030405060708' }] }] }],
    } as unknown as TracesData;
    expect(applyToMetrics(engine, metrics).noMatch).toBe(1);
    expect(applyToTraces(engine, traces).noMatch).toBe(1);
  });

  it('a policy with no matchers does not disturb the others', () => {
    const engine = new PolicyEngine({
      policies: text([logPolicy('a-empty', { match: [], keep: 'none' }), logPolicy('b-real', { match: [{ log_field: 'body', exact: 'x' }], keep: '1%', sample_key: { log_attribute: 'missing' } })]),
    });
    expect(engine.evaluateLog(cursorOf({ body: 'x' }), otlpJsonLogAccessor)).toBe(EvalResult.Kept);
    expect(stat(engine, 'b-real')).toEqual({ hits: 1, misses: 0 });
  });
});
