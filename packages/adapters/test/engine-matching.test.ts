/**
 * Matching semantics, end to end: policy text -> PolicyEngine -> OTLP/JSON
 * payloads through the adapters. Each test builds its own small payload.
 *
 * The contract is spec.md, with SEMANTICS.md settling the open points (and
 * winning where the two differ).
 */
import { describe, expect, it } from 'vitest';
import { EvalResult, PolicyEngine, parsePolicyText } from '@otel-policy/core';
import { applyToLogs, applyToMetrics, applyToTraces, type LogsData, type MetricsData, type TracesData, type otlpJson } from '@otel-policy/adapters';

type KeyValue = otlpJson.KeyValue;
type AnyValue = otlpJson.AnyValue;
type LogRecord = otlpJson.LogRecord;
type Span = otlpJson.Span;
type Metric = otlpJson.Metric;
type DataPoint = otlpJson.DataPoint;

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

type Json = Record<string, unknown>;

interface EngineOptions {
  random?: () => number;
  clock?: () => number;
}

/** An engine over the given policies; fails the test if any policy has compile errors. */
function engineOf(policies: Json[], options: EngineOptions = {}): PolicyEngine {
  const engine = new PolicyEngine({ policies: parsePolicyText(JSON.stringify({ policies })), ...options });
  const broken = engine.stats().filter((s) => s.errors.length > 0);
  expect(broken.map((s) => ({ id: s.policyId, errors: s.errors }))).toEqual([]);
  return engine;
}

const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });
const str = (key: string, v: string): KeyValue => kv(key, { stringValue: v });
const int = (key: string, v: number | string): KeyValue => kv(key, { intValue: v });
const dbl = (key: string, v: number): KeyValue => kv(key, { doubleValue: v });
const bool = (key: string, v: boolean): KeyValue => kv(key, { boolValue: v });
const bytes = (key: string, hex: string): KeyValue => kv(key, { bytesValue: Buffer.from(hex, 'hex').toString('base64') });
const kvlist = (key: string, values: KeyValue[]): KeyValue => kv(key, { kvlistValue: { values } });
const array = (key: string, values: AnyValue[]): KeyValue => kv(key, { arrayValue: { values } });

interface LogCtx {
  resource?: KeyValue[];
  scope?: KeyValue[];
  resourceSchemaUrl?: string;
  scopeSchemaUrl?: string;
}

function logsPayload(records: LogRecord[], ctx: LogCtx = {}): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: ctx.resource ?? [] },
        ...(ctx.resourceSchemaUrl !== undefined ? { schemaUrl: ctx.resourceSchemaUrl } : {}),
        scopeLogs: [
          {
            scope: { name: 'scope', attributes: ctx.scope ?? [] },
            ...(ctx.scopeSchemaUrl !== undefined ? { schemaUrl: ctx.scopeSchemaUrl } : {}),
            logRecords: records,
          },
        ],
      },
    ],
  };
}

/** The log records left in a payload after policies ran. */
function keptLogs(data: LogsData): LogRecord[] {
  return (data.resourceLogs ?? []).flatMap((rl) => (rl.scopeLogs ?? []).flatMap((sl) => sl.logRecords ?? []));
}

/** Does a log policy with these matchers (keep: none) match this record? */
function logMatches(match: Json | Json[], record: LogRecord, ctx: LogCtx = {}): boolean {
  const engine = engineOf([{ id: 'p', name: 'p', log: { match: Array.isArray(match) ? match : [match], keep: 'none' } }]);
  const outcome = applyToLogs(engine, logsPayload([record], ctx));
  expect(outcome.total).toBe(1);
  const matched = outcome.dropped === 1;
  // Stats agree with the outcome: a match is a hit, a non-match counts nothing.
  const s = engine.stats().find((x) => x.policyId === 'p')!;
  expect(s.hits).toBe(matched ? 1 : 0);
  expect(s.misses).toBe(0);
  return matched;
}

interface SpanCtx {
  resource?: KeyValue[];
  scope?: { name?: string; version?: string; attributes?: KeyValue[] };
  resourceSchemaUrl?: string;
  scopeSchemaUrl?: string;
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

function span(over: Partial<Span> = {}): Span {
  return { traceId: TRACE_ID, spanId: SPAN_ID, name: 'GET /api/users', kind: 'SPAN_KIND_SERVER', ...over };
}

function tracesPayload(spans: Span[], ctx: SpanCtx = {}): TracesData {
  return {
    resourceSpans: [
      {
        resource: { attributes: ctx.resource ?? [] },
        ...(ctx.resourceSchemaUrl !== undefined ? { schemaUrl: ctx.resourceSchemaUrl } : {}),
        scopeSpans: [
          {
            scope: { attributes: [], ...(ctx.scope ?? {}) },
            ...(ctx.scopeSchemaUrl !== undefined ? { schemaUrl: ctx.scopeSchemaUrl } : {}),
            spans,
          },
        ],
      },
    ],
  };
}

function keptSpans(data: TracesData): Span[] {
  return (data.resourceSpans ?? []).flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []));
}

/** Does a trace policy with these matchers (keep 0%) match this span? */
function spanMatches(match: Json | Json[], s: Span, ctx: SpanCtx = {}): boolean {
  const engine = engineOf([{ id: 'p', name: 'p', trace: { match: Array.isArray(match) ? match : [match], keep: { percentage: 0 } } }]);
  const outcome = applyToTraces(engine, tracesPayload([s], ctx));
  expect(outcome.total).toBe(1);
  return outcome.dropped === 1;
}

interface MetricCtx {
  resource?: KeyValue[];
  scope?: { name?: string; version?: string; attributes?: KeyValue[] };
  resourceSchemaUrl?: string;
  scopeSchemaUrl?: string;
}

const point = (attributes: KeyValue[] = [], asDouble = 1): DataPoint => ({ attributes, asDouble, timeUnixNano: '1' });
const gauge = (name: string, points: DataPoint[] = [point()], extra: Partial<Metric> = {}): Metric => ({ name, gauge: { dataPoints: points }, ...extra });
const sum = (name: string, temporality: string | number, points: DataPoint[] = [point()]): Metric => ({
  name,
  sum: { dataPoints: points, aggregationTemporality: temporality, isMonotonic: true },
});

function metricsPayload(metrics: Metric[], ctx: MetricCtx = {}): MetricsData {
  return {
    resourceMetrics: [
      {
        resource: { attributes: ctx.resource ?? [] },
        ...(ctx.resourceSchemaUrl !== undefined ? { schemaUrl: ctx.resourceSchemaUrl } : {}),
        scopeMetrics: [
          {
            scope: { attributes: [], ...(ctx.scope ?? {}) },
            ...(ctx.scopeSchemaUrl !== undefined ? { schemaUrl: ctx.scopeSchemaUrl } : {}),
            metrics,
          },
        ],
      },
    ],
  };
}

function keptMetrics(data: MetricsData): Metric[] {
  return (data.resourceMetrics ?? []).flatMap((rm) => (rm.scopeMetrics ?? []).flatMap((sm) => sm.metrics ?? []));
}

/** Does a metric policy with these matchers (keep: false) match this one-point metric? */
function metricMatches(match: Json | Json[], m: Metric, ctx: MetricCtx = {}): boolean {
  const engine = engineOf([{ id: 'p', name: 'p', metric: { match: Array.isArray(match) ? match : [match], keep: false } }]);
  const outcome = applyToMetrics(engine, metricsPayload([m], ctx));
  expect(outcome.total).toBe(1);
  return outcome.dropped === 1;
}

const body = (s: string): LogRecord => ({ body: { stringValue: s }, severityText: 'INFO' });
const withAttrs = (attributes: KeyValue[]): LogRecord => ({ body: { stringValue: 'msg' }, attributes });

// ---------------------------------------------------------------------------
// string matchers
// ---------------------------------------------------------------------------

describe('string matchers on a string value', () => {
  const BODY = body('Hello World');
  const field = { log_field: 'body' };

  // [kind, matching literal, literal that matches only case-insensitively, non-matching literal]
  const kinds: [string, unknown, unknown, unknown][] = [
    ['exact', 'Hello World', 'hello world', 'Hello'],
    ['equals', 'Hello World', 'HELLO WORLD', 'Hello Worl'],
    ['regex', '^Hel+o\\sW', '^hello\\s+world$', '^World'],
    ['starts_with', 'Hello', 'hELLO', 'World'],
    ['ends_with', 'World', 'WORLD', 'Hello'],
    ['contains', 'lo Wo', 'LO WO', 'xyz'],
  ];

  for (const [kind, yes, ciOnly, no] of kinds) {
    describe(kind, () => {
      it('matches a value that satisfies it', () => {
        expect(logMatches({ ...field, [kind]: yes }, BODY)).toBe(true);
      });
      it('does not match a value that does not satisfy it', () => {
        expect(logMatches({ ...field, [kind]: no }, BODY)).toBe(false);
      });
      it('is case-sensitive by default', () => {
        expect(logMatches({ ...field, [kind]: ciOnly }, BODY)).toBe(false);
      });
      it('case_insensitive: true ignores case', () => {
        expect(logMatches({ ...field, [kind]: ciOnly, case_insensitive: true }, BODY)).toBe(true);
        expect(logMatches({ ...field, [kind]: yes, case_insensitive: true }, BODY)).toBe(true);
        expect(logMatches({ ...field, [kind]: no, case_insensitive: true }, BODY)).toBe(false);
      });
      it('negate inverts a match into a non-match', () => {
        expect(logMatches({ ...field, [kind]: yes, negate: true }, BODY)).toBe(false);
      });
      it('negate inverts a non-match into a match', () => {
        expect(logMatches({ ...field, [kind]: no, negate: true }, BODY)).toBe(true);
      });
      it('negate with case_insensitive inverts the case-insensitive result', () => {
        expect(logMatches({ ...field, [kind]: ciOnly, negate: true, case_insensitive: true }, BODY)).toBe(false);
        expect(logMatches({ ...field, [kind]: ciOnly, negate: true }, BODY)).toBe(true);
      });
      it('a missing field never satisfies it, and negate then succeeds', () => {
        const noBody: LogRecord = { severityText: 'INFO' };
        expect(logMatches({ ...field, [kind]: yes }, noBody)).toBe(false);
        expect(logMatches({ ...field, [kind]: yes, negate: true }, noBody)).toBe(true);
      });
    });
  }

  it('literal matchers treat regex metacharacters literally (also case-insensitively)', () => {
    const rec = body('price is a.b (x+y)*');
    expect(logMatches({ ...field, contains: 'a.b (x+y)*' }, rec)).toBe(true);
    expect(logMatches({ ...field, contains: 'A.B (X+Y)*', case_insensitive: true }, rec)).toBe(true);
    expect(logMatches({ ...field, contains: 'axb', case_insensitive: true }, body('price is axb'))).toBe(true);
    expect(logMatches({ ...field, contains: 'a.b', case_insensitive: true }, body('price is axb'))).toBe(false);
    expect(logMatches({ ...field, starts_with: 'P.ICE', case_insensitive: true }, body('PRICE'))).toBe(false);
    expect(logMatches({ ...field, ends_with: '(X+Y)*', case_insensitive: true }, rec)).toBe(true);
    expect(logMatches({ ...field, exact: 'PRICE IS A.B (X+Y)*', case_insensitive: true }, rec)).toBe(true);
    expect(logMatches({ ...field, exact: 'price is a.b (x+y)' }, rec)).toBe(false);
  });

  it('case_insensitive folds non-ASCII letters too', () => {
    const rec = body('École Ünïcode ΣΟΦΙΑ');
    expect(logMatches({ ...field, exact: 'école ünïcode σοφια', case_insensitive: true }, rec)).toBe(true);
    expect(logMatches({ ...field, exact: 'école ünïcode σοφια' }, rec)).toBe(false);
    expect(logMatches({ ...field, starts_with: 'ÉCOLE', case_insensitive: true }, rec)).toBe(true);
    expect(logMatches({ ...field, contains: 'ünïcode', case_insensitive: true }, body('ÜNÏCODE'))).toBe(true);
    expect(logMatches({ ...field, ends_with: 'σοφια', case_insensitive: true }, rec)).toBe(true);
    expect(logMatches({ ...field, equals: 'ÉCOLE ÜNÏCODE ΣΟΦΙΑ', case_insensitive: true }, body('école ünïcode σοφια'))).toBe(true);
  });

  it('exact and equals require the whole value; regex is unanchored unless anchored', () => {
    expect(logMatches({ ...field, exact: 'World' }, BODY)).toBe(false);
    expect(logMatches({ ...field, equals: 'World' }, BODY)).toBe(false);
    expect(logMatches({ ...field, regex: 'o W' }, BODY)).toBe(true);
    expect(logMatches({ ...field, regex: '^o W' }, BODY)).toBe(false);
  });

  it('canonical equals.string_value behaves like the shorthand, with case_insensitive', () => {
    expect(logMatches({ ...field, equals: { string_value: 'Hello World' } }, BODY)).toBe(true);
    expect(logMatches({ ...field, equals: { string_value: 'hello world' } }, BODY)).toBe(false);
    expect(logMatches({ ...field, equals: { string_value: 'hello world' }, case_insensitive: true }, BODY)).toBe(true);
  });

  it('applies to attributes, resource attributes and scope attributes', () => {
    const rec = withAttrs([str('user', 'alice')]);
    const ctx = { resource: [str('service.name', 'checkout-api')], scope: [str('lib', 'otel-go')] };
    expect(logMatches({ log_attribute: 'user', starts_with: 'ali' }, rec, ctx)).toBe(true);
    expect(logMatches({ resource_attribute: 'service.name', ends_with: '-api' }, rec, ctx)).toBe(true);
    expect(logMatches({ scope_attribute: 'lib', contains: 'otel' }, rec, ctx)).toBe(true);
    expect(logMatches({ resource_attribute: 'user', exists: true }, rec, ctx)).toBe(false);
    expect(logMatches({ log_attribute: 'service.name', exists: true }, rec, ctx)).toBe(false);
    expect(logMatches({ scope_attribute: 'service.name', exists: true }, rec, ctx)).toBe(false);
  });

  it('reads severity_text and event_name', () => {
    const rec: LogRecord = { body: { stringValue: 'x' }, severityText: 'ERROR', eventName: 'user.login' };
    expect(logMatches({ log_field: 'severity_text', equals: 'ERROR' }, rec)).toBe(true);
    expect(logMatches({ log_field: 'severity_text', equals: 'error', case_insensitive: true }, rec)).toBe(true);
    expect(logMatches({ log_field: 'event_name', starts_with: 'user.' }, rec)).toBe(true);
    expect(logMatches({ log_field: 'event_name', exact: 'user.logout' }, rec)).toBe(false);
  });
});

describe('string matchers never see a value that is not a non-empty string', () => {
  const values: [string, KeyValue[]][] = [
    ['missing', []],
    ['empty string', [str('a', '')]],
    ['int', [int('a', 42)]],
    ['int as a JSON string', [int('a', '42')]],
    ['double', [dbl('a', 4.5)]],
    ['bool', [bool('a', true)]],
    ['kvlist', [kvlist('a', [str('b', 'c')])]],
    ['array', [array('a', [{ stringValue: 'x' }])]],
    ['bytes', [bytes('a', 'deadbeef')]],
  ];
  // Literals that would match the value's textual rendering, if it had one.
  const matchers: Json[] = [
    { regex: '.*' },
    { regex: '^$' },
    { regex: '42|4\\.5|true|dead|3q2|x|c' },
    { exact: '42' },
    { exact: '' },
    { exact: 'true' },
    { exact: 'deadbeef' },
    { exact: '3q2+7w==' },
    { equals: '42' },
    { equals: 'true' },
    { equals: '4.5' },
    { equals: '' },
    { starts_with: '4' },
    { starts_with: 'de' },
    { ends_with: '2' },
    { ends_with: 'ef' },
    { contains: '4' },
    { contains: 'e' },
    { contains: '' },
  ];

  for (const [what, attrs] of values) {
    it(`${what}: no string matcher matches; with negate each succeeds`, () => {
      for (const m of matchers) {
        for (const ci of [false, true]) {
          const matcher = { log_attribute: 'a', ...m, case_insensitive: ci };
          expect([what, m, ci, logMatches(matcher, withAttrs(attrs))]).toEqual([what, m, ci, false]);
          expect([what, m, ci, 'negated', logMatches({ ...matcher, negate: true }, withAttrs(attrs))]).toEqual([what, m, ci, 'negated', true]);
        }
      }
    });
  }

  it('a body of a non-string type, or an empty body, never satisfies string matchers', () => {
    const bodies: AnyValue[] = [{ intValue: '42' }, { boolValue: true }, { doubleValue: 4.5 }, { stringValue: '' }, { kvlistValue: { values: [] } }, { bytesValue: '3q2+7w==' }];
    for (const b of bodies) {
      const rec: LogRecord = { body: b };
      expect(logMatches({ log_field: 'body', regex: '.*' }, rec)).toBe(false);
      expect(logMatches({ log_field: 'body', exact: '42' }, rec)).toBe(false);
      expect(logMatches({ log_field: 'body', regex: '.*', negate: true }, rec)).toBe(true);
    }
  });

  it('an empty severity_text never satisfies string matchers', () => {
    const rec: LogRecord = { body: { stringValue: 'x' }, severityText: '' };
    expect(logMatches({ log_field: 'severity_text', regex: '.*' }, rec)).toBe(false);
    expect(logMatches({ log_field: 'severity_text', exact: '' }, rec)).toBe(false);
    expect(logMatches({ log_field: 'severity_text', regex: '.*', negate: true }, rec)).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// exists
// ---------------------------------------------------------------------------

describe('exists on top-level log fields', () => {
  const cases: [string, Json, LogRecord, boolean][] = [
    ['string body', { log_field: 'body' }, { body: { stringValue: 'x' } }, true],
    ['int body', { log_field: 'body' }, { body: { intValue: '0' } }, true],
    ['bool false body', { log_field: 'body' }, { body: { boolValue: false } }, true],
    ['double body', { log_field: 'body' }, { body: { doubleValue: 0 } }, true],
    ['kvlist body', { log_field: 'body' }, { body: { kvlistValue: { values: [str('k', 'v')] } } }, true],
    ['array body', { log_field: 'body' }, { body: { arrayValue: { values: [] } } }, true],
    ['bytes body', { log_field: 'body' }, { body: { bytesValue: '3q2+7w==' } }, true],
    ['empty string body', { log_field: 'body' }, { body: { stringValue: '' } }, false],
    ['missing body', { log_field: 'body' }, { severityText: 'INFO' }, false],
    ['severity_text set', { log_field: 'severity_text' }, { severityText: 'WARN' }, true],
    ['severity_text empty', { log_field: 'severity_text' }, { severityText: '' }, false],
    ['severity_text missing', { log_field: 'severity_text' }, {}, false],
    ['event_name set', { log_field: 'event_name' }, { eventName: 'e' }, true],
    ['event_name empty', { log_field: 'event_name' }, { eventName: '' }, false],
    ['trace_id set', { log_field: 'trace_id' }, { traceId: TRACE_ID }, true],
    ['trace_id empty', { log_field: 'trace_id' }, { traceId: '' }, false],
    ['trace_id all zero', { log_field: 'trace_id' }, { traceId: '00000000000000000000000000000000' }, false],
    ['trace_id missing', { log_field: 'trace_id' }, {}, false],
    ['span_id set', { log_field: 'span_id' }, { spanId: SPAN_ID }, true],
    ['span_id empty', { log_field: 'span_id' }, { spanId: '' }, false],
    ['span_id all zero', { log_field: 'span_id' }, { spanId: '0000000000000000' }, false],
  ];

  for (const [what, field, rec, exists] of cases) {
    it(`${what}: exists is ${exists}`, () => {
      expect(logMatches({ ...field, exists: true }, rec)).toBe(exists);
      expect(logMatches({ ...field, exists: false }, rec)).toBe(!exists);
      // negate inverts: exists XOR negate
      expect(logMatches({ ...field, exists: true, negate: true }, rec)).toBe(!exists);
      expect(logMatches({ ...field, exists: false, negate: true }, rec)).toBe(exists);
    });
  }

  it('schema URLs exist when set and non-empty', () => {
    const rec = body('x');
    for (const f of ['resource_schema_url', 'scope_schema_url']) {
      expect(logMatches({ log_field: f, exists: true }, rec, { resourceSchemaUrl: 'https://r', scopeSchemaUrl: 'https://s' })).toBe(true);
      expect(logMatches({ log_field: f, exists: true }, rec, { resourceSchemaUrl: '', scopeSchemaUrl: '' })).toBe(false);
      expect(logMatches({ log_field: f, exists: true }, rec)).toBe(false);
      expect(logMatches({ log_field: f, exists: false }, rec)).toBe(true);
    }
  });
});

describe('exists on attributes', () => {
  const cases: [string, KeyValue[], boolean][] = [
    ['string value', [str('a', 'v')], true],
    ['empty string value', [str('a', '')], true],
    ['int value', [int('a', 0)], true],
    ['bool false value', [bool('a', false)], true],
    ['double value', [dbl('a', 0)], true],
    ['kvlist value', [kvlist('a', [])], true],
    ['array value', [array('a', [])], true],
    ['bytes value', [bytes('a', '')], true],
    ['missing', [str('b', 'v')], false],
    ['no attributes', [], false],
  ];
  for (const [what, attrs, exists] of cases) {
    it(`${what}: exists is ${exists}`, () => {
      const rec = withAttrs(attrs);
      expect(logMatches({ log_attribute: 'a', exists: true }, rec)).toBe(exists);
      expect(logMatches({ log_attribute: 'a', exists: false }, rec)).toBe(!exists);
      expect(logMatches({ log_attribute: 'a', exists: true, negate: true }, rec)).toBe(!exists);
      expect(logMatches({ log_attribute: 'a', exists: false, negate: true }, rec)).toBe(exists);
    });
  }

  it('resource and scope attributes with an empty-string value exist', () => {
    const ctx = { resource: [str('r', '')], scope: [str('s', '')] };
    expect(logMatches({ resource_attribute: 'r', exists: true }, body('x'), ctx)).toBe(true);
    expect(logMatches({ scope_attribute: 's', exists: true }, body('x'), ctx)).toBe(true);
    expect(logMatches({ resource_attribute: 's', exists: true }, body('x'), ctx)).toBe(false);
  });

  it('a nested path walks kvlists', () => {
    const rec = withAttrs([kvlist('http', [kvlist('request', [str('method', 'POST')])]), str('user_id', 'u123')]);
    expect(logMatches({ log_attribute: ['http', 'request', 'method'], exists: true }, rec)).toBe(true);
    expect(logMatches({ log_attribute: ['http', 'request', 'method'], equals: 'POST' }, rec)).toBe(true);
    expect(logMatches({ log_attribute: ['http', 'request'], exists: true }, rec)).toBe(true);
    expect(logMatches({ log_attribute: ['http', 'request', 'url'], exists: true }, rec)).toBe(false);
    expect(logMatches({ log_attribute: ['http', 'response', 'method'], exists: true }, rec)).toBe(false);
    expect(logMatches({ log_attribute: ['user_id'], equals: 'u123' }, rec)).toBe(true);
    // A nested path does not reach into a kvlist through a different root.
    expect(logMatches({ log_attribute: ['request', 'method'], exists: true }, rec)).toBe(false);
  });

  it('a nested path needs every intermediate value to be a kvlist', () => {
    const notKv = [withAttrs([str('http', 'request')]), withAttrs([array('http', [{ kvlistValue: { values: [str('request', 'x')] } }])]), withAttrs([int('http', 1)])];
    for (const rec of notKv) {
      expect(logMatches({ log_attribute: ['http', 'request'], exists: true }, rec)).toBe(false);
      expect(logMatches({ log_attribute: ['http', 'request'], exists: false }, rec)).toBe(true);
    }
  });

  it('a string path is one key: dots are part of the key', () => {
    const flat = withAttrs([str('http.method', 'GET')]);
    const nested = withAttrs([kvlist('http', [str('method', 'GET')])]);
    expect(logMatches({ log_attribute: 'http.method', equals: 'GET' }, flat)).toBe(true);
    expect(logMatches({ log_attribute: 'http.method', equals: 'GET' }, nested)).toBe(false);
    expect(logMatches({ log_attribute: ['http', 'method'], equals: 'GET' }, flat)).toBe(false);
    expect(logMatches({ log_attribute: ['http', 'method'], equals: 'GET' }, nested)).toBe(true);
    expect(logMatches({ log_attribute: ['http.method'], equals: 'GET' }, flat)).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// typed equals and comparisons
// ---------------------------------------------------------------------------

describe('typed equals', () => {
  it('int equals matches an equal int, not a different one', () => {
    const rec = withAttrs([int('code', 200)]);
    expect(logMatches({ log_attribute: 'code', equals: 200 }, rec)).toBe(true);
    expect(logMatches({ log_attribute: 'code', equals: 201 }, rec)).toBe(false);
    expect(logMatches({ log_attribute: 'code', equals: { int_value: 200 } }, rec)).toBe(true);
    expect(logMatches({ log_attribute: 'code', equals: { int_value: '200' } }, rec)).toBe(true);
    expect(logMatches({ log_attribute: 'code', equals: { int_value: -200 } }, rec)).toBe(false);
  });

  it('an OTLP/JSON int64 given as a string compares as an int', () => {
    expect(logMatches({ log_attribute: 'code', equals: 200 }, withAttrs([int('code', '200')]))).toBe(true);
    expect(logMatches({ log_attribute: 'code', equals: -7 }, withAttrs([int('code', '-7')]))).toBe(true);
  });

  it('int and double compare in one numeric domain', () => {
    expect(logMatches({ log_attribute: 'v', equals: 200 }, withAttrs([dbl('v', 200)]))).toBe(true);
    expect(logMatches({ log_attribute: 'v', equals: { int_value: 200 } }, withAttrs([dbl('v', 200)]))).toBe(true);
    expect(logMatches({ log_attribute: 'v', equals: { double_value: 200 } }, withAttrs([int('v', 200)]))).toBe(true);
    expect(logMatches({ log_attribute: 'v', equals: { double_value: 200.5 } }, withAttrs([int('v', 200)]))).toBe(false);
    expect(logMatches({ log_attribute: 'v', equals: 200 }, withAttrs([dbl('v', 200.5)]))).toBe(false);
    expect(logMatches({ log_attribute: 'v', equals: 0.25 }, withAttrs([dbl('v', 0.25)]))).toBe(true);
    expect(logMatches({ log_attribute: 'v', equals: 0.25 }, withAttrs([dbl('v', 0.5)]))).toBe(false);
  });

  it('int64 beyond 2^53 (a string in OTLP JSON) compares exactly', () => {
    const rec = withAttrs([int('big', '9007199254740993')]);
    expect(logMatches({ log_attribute: 'big', equals: { int_value: '9007199254740993' } }, rec)).toBe(true);
    expect(logMatches({ log_attribute: 'big', equals: { int_value: '9007199254740992' } }, rec)).toBe(false);
    expect(logMatches({ log_attribute: 'big', equals: { int_value: '9007199254740994' } }, rec)).toBe(false);
    expect(logMatches({ log_attribute: 'big', gt: { int_value: '9007199254740992' } }, rec)).toBe(true);
    expect(logMatches({ log_attribute: 'big', lt: { int_value: '9007199254740994' } }, rec)).toBe(true);
    expect(logMatches({ log_attribute: 'big', gt: { int_value: '9007199254740993' } }, rec)).toBe(false);
    expect(logMatches({ log_attribute: 'big', gte: { int_value: '9007199254740993' } }, rec)).toBe(true);
    const max = withAttrs([int('big', '9223372036854775807')]);
    expect(logMatches({ log_attribute: 'big', equals: { int_value: '9223372036854775807' } }, max)).toBe(true);
    expect(logMatches({ log_attribute: 'big', equals: { int_value: '9223372036854775806' } }, max)).toBe(false);
    const min = withAttrs([int('big', '-9223372036854775808')]);
    expect(logMatches({ log_attribute: 'big', equals: { int_value: '-9223372036854775808' } }, min)).toBe(true);
    expect(logMatches({ log_attribute: 'big', lt: { int_value: '-9223372036854775807' } }, min)).toBe(true);
  });

  it('bool equals', () => {
    expect(logMatches({ log_attribute: 'b', equals: true }, withAttrs([bool('b', true)]))).toBe(true);
    expect(logMatches({ log_attribute: 'b', equals: false }, withAttrs([bool('b', true)]))).toBe(false);
    expect(logMatches({ log_attribute: 'b', equals: false }, withAttrs([bool('b', false)]))).toBe(true);
    expect(logMatches({ log_attribute: 'b', equals: { bool_value: true } }, withAttrs([bool('b', true)]))).toBe(true);
    expect(logMatches({ log_attribute: 'b', equals: { bool_value: false } }, withAttrs([bool('b', false)]))).toBe(true);
  });

  it('bytes equals by hex_value or bytes_value (interchangeable; hex case-insensitive)', () => {
    const rec = withAttrs([bytes('tok', 'deadbeef')]);
    expect(logMatches({ log_attribute: 'tok', equals: { hex_value: 'deadbeef' } }, rec)).toBe(true);
    expect(logMatches({ log_attribute: 'tok', equals: { hex_value: 'DEADBEEF' } }, rec)).toBe(true);
    expect(logMatches({ log_attribute: 'tok', equals: { bytes_value: '3q2+7w==' } }, rec)).toBe(true);
    expect(logMatches({ log_attribute: 'tok', equals: { hex_value: 'deadbe' } }, rec)).toBe(false);
    expect(logMatches({ log_attribute: 'tok', equals: { hex_value: 'deadbeef00' } }, rec)).toBe(false);
    expect(logMatches({ log_attribute: 'tok', equals: { bytes_value: '3q2+7g==' } }, rec)).toBe(false);
  });

  it('a type mismatch never matches (and negate then succeeds)', () => {
    const pairs: [Json, KeyValue][] = [
      [{ equals: 200 }, str('a', '200')],
      [{ equals: { int_value: 1 } }, bool('a', true)],
      [{ equals: '200' }, int('a', 200)],
      [{ equals: 'true' }, bool('a', true)],
      [{ equals: true }, str('a', 'true')],
      [{ equals: true }, int('a', 1)],
      [{ equals: false }, int('a', 0)],
      [{ equals: { double_value: 1 } }, bool('a', true)],
      [{ equals: { hex_value: 'deadbeef' } }, str('a', 'deadbeef')],
      [{ equals: { bytes_value: '3q2+7w==' } }, str('a', '3q2+7w==')],
      [{ equals: 'deadbeef' }, bytes('a', 'deadbeef')],
      [{ equals: 1 }, kvlist('a', [])],
      [{ equals: 1 }, array('a', [{ intValue: 1 }])],
    ];
    for (const [m, attr] of pairs) {
      expect([m, attr, logMatches({ log_attribute: 'a', ...m }, withAttrs([attr]))]).toEqual([m, attr, false]);
      expect([m, attr, 'negated', logMatches({ log_attribute: 'a', ...m, negate: true }, withAttrs([attr]))]).toEqual([m, attr, 'negated', true]);
    }
  });

  it('a typed matcher on an absent value does not match (and negate then succeeds)', () => {
    for (const m of [{ equals: 1 }, { equals: true }, { equals: { hex_value: 'ab' } }, { gt: 0 }, { lte: 0 }]) {
      expect(logMatches({ log_attribute: 'a', ...m }, withAttrs([]))).toBe(false);
      expect(logMatches({ log_attribute: 'a', ...m, negate: true }, withAttrs([]))).toBe(true);
    }
  });

  it('case_insensitive has no effect on non-string equals', () => {
    expect(logMatches({ log_attribute: 'b', equals: true, case_insensitive: true }, withAttrs([bool('b', true)]))).toBe(true);
    expect(logMatches({ log_attribute: 'b', equals: true, case_insensitive: true }, withAttrs([str('b', 'TRUE')]))).toBe(false);
    expect(logMatches({ log_attribute: 'n', equals: 5, case_insensitive: true }, withAttrs([int('n', 5)]))).toBe(true);
  });

  it('typed matchers read the body too', () => {
    expect(logMatches({ log_field: 'body', equals: 42 }, { body: { intValue: '42' } })).toBe(true);
    expect(logMatches({ log_field: 'body', gt: 40 }, { body: { intValue: 42 } })).toBe(true);
    expect(logMatches({ log_field: 'body', equals: true }, { body: { boolValue: true } })).toBe(true);
    expect(logMatches({ log_field: 'body', equals: { hex_value: 'deadbeef' } }, { body: { bytesValue: '3q2+7w==' } })).toBe(true);
    expect(logMatches({ log_field: 'body', equals: 42 }, { body: { stringValue: '42' } })).toBe(false);
  });

  it('typed matchers read resource and scope attributes', () => {
    const ctx = { resource: [int('shard', 3)], scope: [bool('beta', true)] };
    expect(logMatches({ resource_attribute: 'shard', gte: 3 }, body('x'), ctx)).toBe(true);
    expect(logMatches({ resource_attribute: 'shard', gt: 3 }, body('x'), ctx)).toBe(false);
    expect(logMatches({ scope_attribute: 'beta', equals: true }, body('x'), ctx)).toBe(true);
  });
});

describe('numeric comparisons', () => {
  const cases: [string, Json, KeyValue, boolean][] = [
    ['gt below', { gt: 500 }, int('s', 499), false],
    ['gt equal', { gt: 500 }, int('s', 500), false],
    ['gt above', { gt: 500 }, int('s', 501), true],
    ['gte below', { gte: 500 }, int('s', 499), false],
    ['gte equal', { gte: 500 }, int('s', 500), true],
    ['gte above', { gte: 500 }, int('s', 501), true],
    ['lt below', { lt: 500 }, int('s', 499), true],
    ['lt equal', { lt: 500 }, int('s', 500), false],
    ['lt above', { lt: 500 }, int('s', 501), false],
    ['lte below', { lte: 500 }, int('s', 499), true],
    ['lte equal', { lte: 500 }, int('s', 500), true],
    ['lte above', { lte: 500 }, int('s', 501), false],
    ['negative ints', { lt: -1 }, int('s', -5), true],
    ['double literal, double value', { lt: 0.5 }, dbl('s', 0.25), true],
    ['double literal, double value equal', { lt: 0.5 }, dbl('s', 0.5), false],
    ['double literal, int value', { gt: 0.5 }, int('s', 1), true],
    ['double literal, int value below', { gt: 1.5 }, int('s', 1), false],
    ['int literal, double value', { gt: 1 }, dbl('s', 1.5), true],
    ['int literal, double value equal', { gte: 1 }, dbl('s', 1), true],
    ['int literal, double value below', { gte: 2 }, dbl('s', 1.999), false],
    ['canonical int_value', { gte: { int_value: 500 } }, int('s', 500), true],
    ['canonical int_value string', { gte: { int_value: '500' } }, int('s', 499), false],
    ['canonical double_value', { lte: { double_value: 0.75 } }, dbl('s', 0.75), true],
    ['canonical double_value vs int', { lte: { double_value: 0.75 } }, int('s', 1), false],
    ['int value as a JSON string', { gt: 10 }, int('s', '11'), true],
    ['string value never compares', { gt: 0 }, str('s', '500'), false],
    ['bool value never compares', { gte: 0 }, bool('s', true), false],
    ['bytes value never compares', { gte: 0 }, bytes('s', '01'), false],
    ['kvlist value never compares', { gte: 0 }, kvlist('s', []), false],
  ];
  for (const [what, m, attr, expected] of cases) {
    it(`${what}: ${expected}`, () => {
      expect(logMatches({ log_attribute: 's', ...m }, withAttrs([attr]))).toBe(expected);
      expect(logMatches({ log_attribute: 's', ...m, negate: true }, withAttrs([attr]))).toBe(!expected);
    });
  }

  it('NaN never compares or equals; infinities compare', () => {
    const nan = withAttrs([kv('v', { doubleValue: 'NaN' as unknown as number })]);
    for (const m of [{ gt: 0 }, { lt: 0 }, { gte: { double_value: 0 } }, { lte: 0 }, { equals: { double_value: 'NaN' } }, { equals: 0 }]) {
      expect([m, logMatches({ log_attribute: 'v', ...m }, nan)]).toEqual([m, false]);
    }
    const inf = withAttrs([kv('v', { doubleValue: 'Infinity' as unknown as number })]);
    expect(logMatches({ log_attribute: 'v', gt: { int_value: '9223372036854775807' } }, inf)).toBe(true);
    expect(logMatches({ log_attribute: 'v', gt: 1e308 }, inf)).toBe(true);
    const ninf = withAttrs([kv('v', { doubleValue: '-Infinity' as unknown as number })]);
    expect(logMatches({ log_attribute: 'v', lt: { int_value: '-9223372036854775808' } }, ninf)).toBe(true);
  });

  it('a double at 2^53 equals the int 2^53 and not 2^53 + 1', () => {
    const rec = withAttrs([dbl('v', 2 ** 53)]);
    expect(logMatches({ log_attribute: 'v', equals: { int_value: '9007199254740992' } }, rec)).toBe(true);
    expect(logMatches({ log_attribute: 'v', equals: { int_value: '9007199254740993' } }, rec)).toBe(false);
    expect(logMatches({ log_attribute: 'v', lt: { int_value: '9007199254740993' } }, rec)).toBe(true);
  });

  it('a range built from two matchers (AND)', () => {
    const m = [
      { log_attribute: 'http.response.status_code', gte: 200 },
      { log_attribute: 'http.response.status_code', lt: 400 },
    ];
    expect(logMatches(m, withAttrs([int('http.response.status_code', 200)]))).toBe(true);
    expect(logMatches(m, withAttrs([int('http.response.status_code', 399)]))).toBe(true);
    expect(logMatches(m, withAttrs([int('http.response.status_code', 400)]))).toBe(false);
    expect(logMatches(m, withAttrs([int('http.response.status_code', 199)]))).toBe(false);
  });
});

// ---------------------------------------------------------------------------
// identifiers
// ---------------------------------------------------------------------------

describe('trace_id and span_id (bytes, compared as lowercase hex)', () => {
  const UPPER = TRACE_ID.toUpperCase();
  const recs: [string, LogRecord][] = [
    ['lowercase in payload', { body: { stringValue: 'x' }, traceId: TRACE_ID, spanId: SPAN_ID }],
    ['uppercase in payload', { body: { stringValue: 'x' }, traceId: UPPER, spanId: SPAN_ID.toUpperCase() }],
  ];
  for (const [what, rec] of recs) {
    describe(`log record, ${what}`, () => {
      it('regex and starts_with/ends_with/contains run on the lowercase hex', () => {
        expect(logMatches({ log_field: 'trace_id', regex: '^4bf92f35' }, rec)).toBe(true);
        expect(logMatches({ log_field: 'trace_id', regex: '^[0-9a-f]{32}$' }, rec)).toBe(true);
        expect(logMatches({ log_field: 'trace_id', starts_with: '4bf92f' }, rec)).toBe(true);
        expect(logMatches({ log_field: 'trace_id', ends_with: '0e4736' }, rec)).toBe(true);
        expect(logMatches({ log_field: 'trace_id', contains: 'a3ce929d' }, rec)).toBe(true);
        expect(logMatches({ log_field: 'trace_id', starts_with: 'a3ce' }, rec)).toBe(false);
        expect(logMatches({ log_field: 'span_id', regex: '^00f067aa' }, rec)).toBe(true);
        expect(logMatches({ log_field: 'span_id', ends_with: 'a902b7' }, rec)).toBe(true);
      });
      it('equals hex_value compares bytes (hex literal case-insensitive)', () => {
        expect(logMatches({ log_field: 'trace_id', equals: { hex_value: TRACE_ID } }, rec)).toBe(true);
        expect(logMatches({ log_field: 'trace_id', equals: { hex_value: UPPER } }, rec)).toBe(true);
        expect(logMatches({ log_field: 'trace_id', equals: { hex_value: TRACE_ID.slice(0, 30) } }, rec)).toBe(false);
        expect(logMatches({ log_field: 'trace_id', equals: { hex_value: TRACE_ID.replace('4bf9', '4bf8') } }, rec)).toBe(false);
        expect(logMatches({ log_field: 'span_id', equals: { hex_value: SPAN_ID } }, rec)).toBe(true);
        expect(logMatches({ log_field: 'span_id', equals: { hex_value: TRACE_ID } }, rec)).toBe(false);
      });
      it('equals bytes_value compares the same bytes', () => {
        const b64 = Buffer.from(TRACE_ID, 'hex').toString('base64');
        expect(logMatches({ log_field: 'trace_id', equals: { bytes_value: b64 } }, rec)).toBe(true);
      });
    });
  }

  it('an all-zero or empty trace ID never satisfies a matcher other than exists:false', () => {
    for (const id of ['', '00000000000000000000000000000000']) {
      const rec: LogRecord = { body: { stringValue: 'x' }, traceId: id };
      expect(logMatches({ log_field: 'trace_id', regex: '.*' }, rec)).toBe(false);
      expect(logMatches({ log_field: 'trace_id', starts_with: '0' }, rec)).toBe(false);
      expect(logMatches({ log_field: 'trace_id', equals: { hex_value: '00000000000000000000000000000000' } }, rec)).toBe(false);
      expect(logMatches({ log_field: 'trace_id', exists: false }, rec)).toBe(true);
    }
  });

  it('trace spans: trace_id, span_id and parent_span_id', () => {
    const s = span({ traceId: TRACE_ID.toUpperCase(), parentSpanId: 'AABBCCDDEEFF0011' });
    expect(spanMatches({ trace_field: 'trace_id', equals: { hex_value: TRACE_ID } }, s)).toBe(true);
    expect(spanMatches({ trace_field: 'trace_id', regex: '^4bf92f' }, s)).toBe(true);
    expect(spanMatches({ trace_field: 'span_id', equals: { hex_value: '00F067AA0BA902B7' } }, s)).toBe(true);
    expect(spanMatches({ trace_field: 'span_id', starts_with: '00f0' }, s)).toBe(true);
    expect(spanMatches({ trace_field: 'parent_span_id', equals: { hex_value: 'aabbccddeeff0011' } }, s)).toBe(true);
    expect(spanMatches({ trace_field: 'parent_span_id', contains: 'ccdd' }, s)).toBe(true);
    expect(spanMatches({ trace_field: 'parent_span_id', exists: true }, s)).toBe(true);
    expect(spanMatches({ trace_field: 'parent_span_id', exists: true }, span())).toBe(false);
    expect(spanMatches({ trace_field: 'parent_span_id', exists: true }, span({ parentSpanId: '' }))).toBe(false);
    expect(spanMatches({ trace_field: 'parent_span_id', exists: true }, span({ parentSpanId: '0000000000000000' }))).toBe(false);
    expect(spanMatches({ trace_field: 'parent_span_id', exists: false }, span({ parentSpanId: '0000000000000000' }))).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// schema URLs, AND, precedence
// ---------------------------------------------------------------------------

describe('log schema URLs', () => {
  const ctx = { resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.21.0', scopeSchemaUrl: 'https://example.com/scope/2.0' };
  it("resource_schema_url reads the resource's schema URL", () => {
    expect(logMatches({ log_field: 'resource_schema_url', ends_with: '1.21.0' }, body('x'), ctx)).toBe(true);
    expect(logMatches({ log_field: 'resource_schema_url', contains: 'example.com' }, body('x'), ctx)).toBe(false);
    expect(logMatches({ log_field: 'LOG_FIELD_RESOURCE_SCHEMA_URL', equals: ctx.resourceSchemaUrl }, body('x'), ctx)).toBe(true);
  });
  it("scope_schema_url reads the scope's schema URL", () => {
    expect(logMatches({ log_field: 'scope_schema_url', equals: ctx.scopeSchemaUrl }, body('x'), ctx)).toBe(true);
    expect(logMatches({ log_field: 'scope_schema_url', contains: 'opentelemetry.io' }, body('x'), ctx)).toBe(false);
    expect(logMatches({ log_field: 'LOG_FIELD_SCOPE_SCHEMA_URL', regex: '/scope/' }, body('x'), ctx)).toBe(true);
  });
});

describe('multiple matchers are ANDed', () => {
  const rec: LogRecord = { body: { stringValue: 'payment failed' }, severityText: 'ERROR', attributes: [str('user', 'bob'), int('code', 502)] };
  it('matches only when every matcher succeeds', () => {
    const all = [
      { log_field: 'body', contains: 'failed' },
      { log_field: 'severity_text', equals: 'ERROR' },
      { log_attribute: 'code', gte: 500 },
      { log_attribute: 'user', exists: true },
    ];
    expect(logMatches(all, rec)).toBe(true);
    for (let i = 0; i < all.length; i++) {
      const broken = all.map((m, j) => (j === i ? { ...m, negate: true } : m));
      expect([i, logMatches(broken, rec)]).toEqual([i, false]);
    }
  });
  it('two string matchers on the same field must both succeed', () => {
    expect(
      logMatches(
        [
          { log_field: 'body', starts_with: 'payment' },
          { log_field: 'body', ends_with: 'failed' },
        ],
        rec,
      ),
    ).toBe(true);
    expect(
      logMatches(
        [
          { log_field: 'body', starts_with: 'payment' },
          { log_field: 'body', ends_with: 'ok' },
        ],
        rec,
      ),
    ).toBe(false);
    expect(
      logMatches(
        [
          { log_field: 'body', contains: 'pay' },
          { log_field: 'body', contains: 'zzz', negate: true },
        ],
        rec,
      ),
    ).toBe(true);
    expect(
      logMatches(
        [
          { log_field: 'body', contains: 'zzz', negate: true },
          { log_field: 'body', contains: 'fail', negate: true },
        ],
        rec,
      ),
    ).toBe(false);
  });
  it('a policy made only of negated matchers matches a record that satisfies none of them', () => {
    expect(
      logMatches(
        [
          { log_field: 'body', contains: 'zzz', negate: true },
          { log_attribute: 'user', exists: true, negate: true },
        ],
        rec,
      ),
    ).toBe(false);
    expect(
      logMatches(
        [
          { log_field: 'body', contains: 'zzz', negate: true },
          { log_attribute: 'nobody', exists: true, negate: true },
        ],
        rec,
      ),
    ).toBe(true);
  });
  it('the same matcher in two policies is evaluated for each', () => {
    const engine = engineOf([
      { id: 'a', name: 'a', log: { match: [{ log_field: 'body', contains: 'failed' }], keep: 'all', transform: { add: [{ log_attribute: 'a', value: '1' }] } } },
      {
        id: 'b',
        name: 'b',
        log: {
          match: [
            { log_field: 'body', contains: 'failed' },
            { log_attribute: 'user', equals: 'alice' },
          ],
          keep: 'none',
        },
      },
    ]);
    const data = logsPayload([structuredClone(rec)]);
    applyToLogs(engine, data);
    expect(keptLogs(data)).toHaveLength(1);
    const stats = Object.fromEntries(engine.stats().map((s) => [s.policyId, [s.hits, s.misses]]));
    expect(stats).toEqual({ a: [1, 0], b: [0, 0] });
  });
});

describe('many policies reading the same field', () => {
  it("each policy sees exactly its own matchers' results", () => {
    const specs: [string, Json][] = [
      ['exact', { exact: 'Disk Full on /var' }],
      ['exact-ci', { exact: 'disk full on /VAR', case_insensitive: true }],
      ['regex', { regex: '/v[a-z]+$' }],
      ['regex-ci', { regex: '^DISK', case_insensitive: true }],
      ['regex-no', { regex: '^Memory' }],
      ['prefix', { starts_with: 'Disk' }],
      ['prefix-ci-no', { starts_with: 'memory', case_insensitive: true }],
      ['suffix', { ends_with: '/var' }],
      ['suffix-no', { ends_with: '/VAR' }],
      ['contains', { contains: 'Full' }],
      ['contains-ci', { contains: 'FULL', case_insensitive: true }],
      ['contains-neg', { contains: 'Full', negate: true }],
      ['contains-neg-no-match', { contains: 'Memory', negate: true }],
      ['equals', { equals: 'Disk Full on /var' }],
      ['equals-no', { equals: 'Disk Full' }],
    ];
    const policies = specs.map(([id, m]) => ({
      id,
      name: id,
      log: { match: [{ log_field: 'body', ...m }], keep: 'all', transform: { add: [{ log_attribute: `hit.${id}`, value: 'y' }] } },
    }));
    const e = engineOf(policies);
    const data = logsPayload([body('Disk Full on /var')]);
    applyToLogs(e, data);
    const added = (keptLogs(data)[0].attributes ?? []).map((a) => a.key.slice(4)).sort();
    expect(added).toEqual(['exact', 'exact-ci', 'regex', 'regex-ci', 'prefix', 'suffix', 'contains', 'contains-ci', 'contains-neg-no-match', 'equals'].sort());
  });
});

describe('which policy decides (most restrictive wins)', () => {
  const policy = (id: string, keep: string, extra: Json = {}): Json => ({ id, name: id, log: { match: [{ log_field: 'body', contains: 'x' }], keep, ...extra } });
  const statsOf = (e: PolicyEngine) => Object.fromEntries(e.stats().map((s) => [s.policyId, { hits: s.hits, misses: s.misses }]));

  function run(engine: PolicyEngine, n = 1): { kept: number; outcome: ReturnType<typeof applyToLogs> } {
    const data = logsPayload(Array.from({ length: n }, () => body('x')));
    const outcome = applyToLogs(engine, data);
    return { kept: keptLogs(data).length, outcome };
  }

  it('none beats all; the winner gets a hit, the other matching policy a miss', () => {
    const e = engineOf([policy('a-all', 'all', { transform: { add: [{ log_attribute: 't', value: 'v' }] } }), policy('b-none', 'none')]);
    const { kept, outcome } = run(e);
    expect(kept).toBe(0);
    expect(outcome.dropped).toBe(1);
    expect(statsOf(e)).toEqual({ 'a-all': { hits: 0, misses: 1 }, 'b-none': { hits: 1, misses: 0 } });
  });

  it('none beats any percentage, even one that would keep', () => {
    const e = engineOf([policy('a-none', 'none'), policy('b-10', '10%')], { random: () => 0 });
    const { kept, outcome } = run(e);
    expect(kept).toBe(0);
    expect(outcome.dropped).toBe(1);
    expect(statsOf(e)).toEqual({ 'a-none': { hits: 1, misses: 0 }, 'b-10': { hits: 0, misses: 1 } });
  });

  it('a lower percentage beats a higher one, whatever the IDs', () => {
    // random 0.5 -> 50: kept under 90%, sampled out under 10%.
    for (const [low, high] of [
      ['a-10', 'z-90'],
      ['z-10', 'a-90'],
    ]) {
      const e = engineOf([policy(low, '10%'), policy(high, '90%')], { random: () => 0.5 });
      const { kept, outcome } = run(e);
      expect(kept).toBe(0);
      expect(outcome.sampledOut).toBe(1);
      expect(statsOf(e)).toEqual({ [low]: { hits: 1, misses: 0 }, [high]: { hits: 0, misses: 1 } });
    }
  });

  it('when the winning percentage keeps, every matching policy gets a hit', () => {
    const e = engineOf([policy('a-10', '10%'), policy('b-90', '90%'), policy('c-all', 'all')], { random: () => 0.05 });
    const { kept } = run(e);
    expect(kept).toBe(1);
    expect(statsOf(e)).toEqual({ 'a-10': { hits: 1, misses: 0 }, 'b-90': { hits: 1, misses: 0 }, 'c-all': { hits: 1, misses: 0 } });
  });

  it('a rate limit ties with 50%: the lowest ID wins (rate limit first)', () => {
    // random 0.99 -> 99: 50% would sample out; the rate limit (1/s) lets the first record through.
    const e = engineOf([policy('a-rate', '1/s'), policy('b-50', '50%')], { random: () => 0.99, clock: () => 0 });
    const { kept } = run(e);
    expect(kept).toBe(1);
    expect(statsOf(e)).toEqual({ 'a-rate': { hits: 1, misses: 0 }, 'b-50': { hits: 1, misses: 0 } });
  });

  it('a rate limit ties with 50%: the lowest ID wins (percentage first)', () => {
    const e = engineOf([policy('a-50', '50%'), policy('b-rate', '1/s')], { random: () => 0.99, clock: () => 0 });
    const { kept, outcome } = run(e);
    expect(kept).toBe(0);
    expect(outcome.sampledOut).toBe(1);
    expect(statsOf(e)).toEqual({ 'a-50': { hits: 1, misses: 0 }, 'b-rate': { hits: 0, misses: 1 } });
  });

  it('a rate limit outranks a percentage above 50%', () => {
    // random 0 -> 60% would keep everything; the 1/s rate limit decides.
    const e = engineOf([policy('a-60', '60%'), policy('b-rate', '1/s')], { random: () => 0, clock: () => 0 });
    const { kept, outcome } = run(e, 3);
    expect(kept).toBe(1);
    expect(outcome.rateLimited).toBe(2);
    expect(statsOf(e)).toEqual({ 'a-60': { hits: 1, misses: 2 }, 'b-rate': { hits: 3, misses: 0 } });
  });

  it('a percentage below 50% outranks a rate limit', () => {
    // random 0.99 -> 40% samples out; the rate limit would have allowed the records.
    const e = engineOf([policy('a-rate', '100/s'), policy('b-40', '40%')], { random: () => 0.99, clock: () => 0 });
    const { kept, outcome } = run(e, 2);
    expect(kept).toBe(0);
    expect(outcome.sampledOut).toBe(2);
  });

  it("only the winner's keep action runs: a losing rate limit is not consumed", () => {
    const e = engineOf(
      [
        { id: 'a-none', name: 'a', log: { match: [{ log_field: 'body', equals: 'drop me' }], keep: 'none' } },
        { id: 'b-rate', name: 'b', log: { match: [{ log_field: 'body', exists: true }], keep: '1/m' } },
      ],
      { clock: () => 0 },
    );
    const data = logsPayload([body('drop me'), body('drop me'), body('keep me'), body('limited')]);
    applyToLogs(e, data);
    expect(keptLogs(data).map((r) => r.body?.stringValue)).toEqual(['keep me']);
  });

  it('ties go to the lowest ID in byte-wise (UTF-8) order', () => {
    // Byte-wise, 'B' (0x42) sorts before 'a' (0x61).
    const e1 = engineOf([policy('a-none', 'none'), policy('B-none', 'none')]);
    run(e1);
    expect(statsOf(e1)).toEqual({ 'B-none': { hits: 1, misses: 0 }, 'a-none': { hits: 0, misses: 1 } });
    // U+FF21 is EF BC A1 in UTF-8 and sorts before U+1F600 (F0 9F 98 80),
    // although UTF-16 code units order them the other way round.
    const e2 = engineOf([policy('\u{1F600}', 'none'), policy('\uFF21', 'none')]);
    run(e2);
    expect(statsOf(e2)).toEqual({ '\uFF21': { hits: 1, misses: 0 }, '\u{1F600}': { hits: 0, misses: 1 } });
  });

  it('traces: the lower percentage wins and only its threshold is written', () => {
    const tp = (id: string, percentage: number): Json => ({ id, name: id, trace: { match: [{ trace_field: 'name', exists: true }], keep: { percentage } } });
    const e = engineOf([tp('a-50', 50), tp('b-10', 10), tp('c-100', 100)]);
    // R = last 7 bytes: 0xf0... is kept by both 50% and 10%; 0x90... only by 50%.
    const data = tracesPayload([span({ name: 'high', traceId: '0000000000000000' + '00f0000000000000' }), span({ name: 'mid', traceId: '0000000000000000' + '0090000000000000' })]);
    applyToTraces(e, data);
    expect(keptSpans(data).map((s) => [s.name, s.traceState])).toEqual([['high', 'ot=th:e666']]);
    expect(statsOf(e)).toEqual({ 'a-50': { hits: 1, misses: 1 }, 'b-10': { hits: 2, misses: 0 }, 'c-100': { hits: 1, misses: 1 } });
  });

  it('traces: 0% beats any sampling percentage', () => {
    const tp = (id: string, percentage: number): Json => ({ id, name: id, trace: { match: [{ trace_field: 'name', exists: true }], keep: { percentage } } });
    const e = engineOf([tp('a-1', 1), tp('b-0', 0)]);
    const data = tracesPayload([span({ traceId: '000000000000000000ffffffffffffff' })]);
    applyToTraces(e, data);
    expect(keptSpans(data)).toEqual([]);
    expect(statsOf(e)).toEqual({ 'a-1': { hits: 0, misses: 1 }, 'b-0': { hits: 1, misses: 0 } });
  });

  it('non-matching policies count nothing', () => {
    const e = engineOf([policy('a', 'none'), { id: 'b', name: 'b', log: { match: [{ log_field: 'body', contains: 'nope' }], keep: 'none' } }]);
    run(e);
    expect(statsOf(e)).toEqual({ a: { hits: 1, misses: 0 }, b: { hits: 0, misses: 0 } });
  });

  it('the result kinds are reported per record', () => {
    const e = engineOf([policy('a', 'none')]);
    const data = logsPayload([body('x'), body('y')]);
    const outcome = applyToLogs(e, data);
    expect(outcome.dropped).toBe(1);
    expect(outcome.noMatch).toBe(1);
    expect(EvalResult.Dropped).toBeGreaterThan(EvalResult.KeptModified);
  });
});

// ---------------------------------------------------------------------------
// metrics
// ---------------------------------------------------------------------------

describe('metrics: one data point at a time', () => {
  const dropEnv = (env: string): Json => ({ id: 'drop', name: 'drop', metric: { match: [{ datapoint_attribute: 'env', equals: env }], keep: false } });

  it('drops only the data points that match; the metric keeps the others in order', () => {
    const e = engineOf([dropEnv('dev')]);
    const m = gauge('requests', [point([str('env', 'prod')], 1), point([str('env', 'dev')], 2), point([str('env', 'staging')], 3)]);
    const data = metricsPayload([m]);
    const outcome = applyToMetrics(e, data);
    expect(outcome.total).toBe(3);
    expect(outcome.dropped).toBe(1);
    const kept = keptMetrics(data);
    expect(kept).toHaveLength(1);
    expect(kept[0].gauge!.dataPoints!.map((p) => p.asDouble)).toEqual([1, 3]);
    expect(e.stats().find((s) => s.policyId === 'drop')!.hits).toBe(1);
  });

  it('removes a metric whose points all drop, keeping the other metrics', () => {
    const e = engineOf([dropEnv('dev')]);
    const data = metricsPayload([gauge('a', [point([str('env', 'dev')]), point([str('env', 'dev')])]), gauge('b', [point([str('env', 'prod')])])]);
    applyToMetrics(e, data);
    expect(keptMetrics(data).map((m) => m.name)).toEqual(['b']);
  });

  it('prunes the scope and resource when every metric is removed', () => {
    const e = engineOf([dropEnv('dev')]);
    const data = metricsPayload([gauge('a', [point([str('env', 'dev')])])]);
    applyToMetrics(e, data);
    expect(data.resourceMetrics).toEqual([]);
  });

  it('works for sum and histogram points too', () => {
    const e = engineOf([dropEnv('dev')]);
    const h: Metric = {
      name: 'latency',
      histogram: { aggregationTemporality: 2, dataPoints: [point([str('env', 'dev')]), point([str('env', 'prod')])] },
    };
    const s = sum('count', 1, [point([str('env', 'prod')]), point([str('env', 'dev')])]);
    const data = metricsPayload([h, s]);
    applyToMetrics(e, data);
    const kept = keptMetrics(data);
    expect(kept.map((m) => m.name)).toEqual(['latency', 'count']);
    expect(kept[0].histogram!.dataPoints).toHaveLength(1);
    expect(kept[1].sum!.dataPoints).toHaveLength(1);
  });

  it("metric fields are read alongside each point's attributes (AND)", () => {
    const e = engineOf([
      {
        id: 'p',
        name: 'p',
        metric: {
          match: [
            { metric_field: 'name', equals: 'requests' },
            { datapoint_attribute: 'code', gte: 500 },
          ],
          keep: false,
        },
      },
    ]);
    const data = metricsPayload([gauge('requests', [point([int('code', 200)], 1), point([int('code', 503)], 2), point([], 3)]), gauge('other', [point([int('code', 503)], 4)])]);
    applyToMetrics(e, data);
    const kept = keptMetrics(data);
    expect(kept.map((m) => [m.name, m.gauge!.dataPoints!.map((p) => p.asDouble)])).toEqual([
      ['requests', [1, 3]],
      ['other', [4]],
    ]);
  });

  it('metric keep: true keeps the metric and counts a hit; keep: false wins over it', () => {
    const e = engineOf([
      { id: 'a-keep', name: 'a', metric: { match: [{ metric_field: 'name', starts_with: 'req' }], keep: true } },
      { id: 'b-drop', name: 'b', metric: { match: [{ metric_field: 'name', equals: 'requests.debug' }], keep: false } },
    ]);
    const data = metricsPayload([gauge('requests'), gauge('requests.debug')]);
    applyToMetrics(e, data);
    expect(keptMetrics(data).map((m) => m.name)).toEqual(['requests']);
    const stats = Object.fromEntries(e.stats().map((s) => [s.policyId, [s.hits, s.misses]]));
    expect(stats).toEqual({ 'a-keep': [1, 1], 'b-drop': [1, 0] });
  });

  describe('metric_type', () => {
    const all: Metric[] = [
      gauge('g'),
      sum('s', 2),
      { name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [point()] } },
      { name: 'eh', exponentialHistogram: { aggregationTemporality: 1, dataPoints: [point()] } },
      { name: 'sm', summary: { dataPoints: [point()] } },
    ];
    const names: [string, string][] = [
      ['METRIC_TYPE_GAUGE', 'g'],
      ['sum', 's'],
      ['METRIC_TYPE_HISTOGRAM', 'h'],
      ['exponential_histogram', 'eh'],
      ['METRIC_TYPE_SUMMARY', 'sm'],
    ];
    for (const [type, name] of names) {
      it(`${type} selects only that type`, () => {
        const e = engineOf([{ id: 'p', name: 'p', metric: { match: [{ metric_type: type }], keep: false } }]);
        const data = metricsPayload(structuredClone(all));
        applyToMetrics(e, data);
        expect(keptMetrics(data).map((m) => m.name)).toEqual(all.map((m) => m.name).filter((n) => n !== name));
      });
    }
    it('negate selects every other type', () => {
      const e = engineOf([{ id: 'p', name: 'p', metric: { match: [{ metric_type: 'gauge', negate: true }], keep: false } }]);
      const data = metricsPayload(structuredClone(all));
      applyToMetrics(e, data);
      expect(keptMetrics(data).map((m) => m.name)).toEqual(['g']);
    });
  });

  describe('aggregation_temporality', () => {
    const mk = (): Metric[] => [
      sum('delta-sum', 1),
      sum('cumulative-sum', 'AGGREGATION_TEMPORALITY_CUMULATIVE'),
      { name: 'delta-hist', histogram: { aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA', dataPoints: [point()] } },
      { name: 'cumulative-exp', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [point()] } },
      gauge('gauge'),
    ];
    it('delta selects delta sums/histograms only', () => {
      const e = engineOf([{ id: 'p', name: 'p', metric: { match: [{ aggregation_temporality: 'delta' }], keep: false } }]);
      const data = metricsPayload(mk());
      applyToMetrics(e, data);
      expect(keptMetrics(data).map((m) => m.name)).toEqual(['cumulative-sum', 'cumulative-exp', 'gauge']);
    });
    it('AGGREGATION_TEMPORALITY_CUMULATIVE selects cumulative ones only', () => {
      const e = engineOf([{ id: 'p', name: 'p', metric: { match: [{ aggregation_temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE' }], keep: false } }]);
      const data = metricsPayload(mk());
      applyToMetrics(e, data);
      expect(keptMetrics(data).map((m) => m.name)).toEqual(['delta-sum', 'delta-hist', 'gauge']);
    });
  });

  it('metric name, description, unit', () => {
    const m = gauge('http.server.duration', [point()], { description: 'Duration of HTTP requests', unit: 'ms' });
    expect(metricMatches({ metric_field: 'name', starts_with: 'http.' }, m)).toBe(true);
    expect(metricMatches({ metric_field: 'METRIC_FIELD_NAME', regex: '^debug\\.' }, m)).toBe(false);
    expect(metricMatches({ metric_field: 'description', contains: 'http', case_insensitive: true }, m)).toBe(true);
    expect(metricMatches({ metric_field: 'unit', equals: 'ms' }, m)).toBe(true);
    expect(metricMatches({ metric_field: 'unit', equals: 's' }, m)).toBe(false);
    expect(metricMatches({ metric_field: 'unit', exists: true }, gauge('x'))).toBe(false);
  });

  it('metric scope_name and scope_version', () => {
    const ctx = { scope: { name: 'io.opentelemetry.jvm', version: '1.32.0' } };
    expect(metricMatches({ metric_field: 'scope_name', starts_with: 'io.opentelemetry' }, gauge('m'), ctx)).toBe(true);
    expect(metricMatches({ metric_field: 'METRIC_FIELD_SCOPE_NAME', equals: 'io.opentelemetry.jvm' }, gauge('m'), ctx)).toBe(true);
    expect(metricMatches({ metric_field: 'scope_name', equals: 'other' }, gauge('m'), ctx)).toBe(false);
    expect(metricMatches({ metric_field: 'scope_version', equals: '1.32.0' }, gauge('m'), ctx)).toBe(true);
    expect(metricMatches({ metric_field: 'METRIC_FIELD_SCOPE_VERSION', regex: '^1\\.' }, gauge('m'), ctx)).toBe(true);
    expect(metricMatches({ metric_field: 'scope_version', exists: true }, gauge('m'), { scope: { name: 'x' } })).toBe(false);
    expect(metricMatches({ metric_field: 'scope_name', exists: false }, gauge('m'), { scope: {} })).toBe(true);
  });

  it('metric schema URLs and resource/scope attributes', () => {
    const ctx = {
      resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
      scopeSchemaUrl: 'https://example.com/s',
      resource: [str('service.name', 'api'), int('replica', 2)],
      scope: { name: 'x', attributes: [str('lib.kind', 'auto')] },
    };
    expect(metricMatches({ metric_field: 'resource_schema_url', ends_with: '1.24.0' }, gauge('m'), ctx)).toBe(true);
    expect(metricMatches({ metric_field: 'scope_schema_url', equals: 'https://example.com/s' }, gauge('m'), ctx)).toBe(true);
    expect(metricMatches({ resource_attribute: 'service.name', equals: 'api' }, gauge('m'), ctx)).toBe(true);
    expect(metricMatches({ resource_attribute: 'replica', gt: 1 }, gauge('m'), ctx)).toBe(true);
    expect(metricMatches({ scope_attribute: 'lib.kind', equals: 'auto' }, gauge('m'), ctx)).toBe(true);
    expect(metricMatches({ datapoint_attribute: 'service.name', exists: true }, gauge('m'), ctx)).toBe(false);
  });
});

// ---------------------------------------------------------------------------
// traces
// ---------------------------------------------------------------------------

describe('traces', () => {
  it('span name', () => {
    expect(spanMatches({ trace_field: 'name', starts_with: 'GET ' }, span())).toBe(true);
    expect(spanMatches({ trace_field: 'TRACE_FIELD_NAME', equals: 'get /api/users', case_insensitive: true }, span())).toBe(true);
    expect(spanMatches({ trace_field: 'name', exists: true }, span({ name: '' }))).toBe(false);
  });

  describe('span_kind', () => {
    const kinds: [string | number, string][] = [
      ['SPAN_KIND_INTERNAL', 'internal'],
      ['SPAN_KIND_SERVER', 'server'],
      ['SPAN_KIND_CLIENT', 'client'],
      ['SPAN_KIND_PRODUCER', 'producer'],
      ['SPAN_KIND_CONSUMER', 'consumer'],
    ];
    for (const [payloadKind, policyKind] of kinds) {
      it(`${policyKind} matches only ${payloadKind}`, () => {
        for (const [other] of kinds) {
          expect([other, spanMatches({ span_kind: policyKind }, span({ kind: other }))]).toEqual([other, other === payloadKind]);
        }
      });
    }
    it('matches a numeric kind in the payload', () => {
      expect(spanMatches({ span_kind: 'SPAN_KIND_CLIENT' }, span({ kind: 3 }))).toBe(true);
      expect(spanMatches({ span_kind: 'SPAN_KIND_CLIENT' }, span({ kind: 2 }))).toBe(false);
    });
    it('negate matches every other kind', () => {
      expect(spanMatches({ span_kind: 'server', negate: true }, span({ kind: 'SPAN_KIND_SERVER' }))).toBe(false);
      expect(spanMatches({ span_kind: 'server', negate: true }, span({ kind: 'SPAN_KIND_CLIENT' }))).toBe(true);
    });
  });

  describe('span_status', () => {
    const statuses: [string, Span['status'] | undefined][] = [
      ['error', { code: 'STATUS_CODE_ERROR' }],
      ['error', { code: 2 }],
      ['ok', { code: 'STATUS_CODE_OK' }],
      ['ok', { code: 1 }],
      ['unset', { code: 'STATUS_CODE_UNSET' }],
      ['unset', { code: 0 }],
      ['unset', {}],
      ['unset', { message: 'no code' }],
      ['unset', undefined],
    ];
    const spellings: Record<string, string[]> = {
      error: ['error', 'ERROR', 'SPAN_STATUS_CODE_ERROR'],
      ok: ['ok', 'SPAN_STATUS_CODE_OK'],
      unset: ['unset', 'SPAN_STATUS_CODE_UNSET', 'SPAN_STATUS_CODE_UNSPECIFIED'],
    };
    for (const [want, spellingsOf] of Object.entries(spellings)) {
      for (const spelling of spellingsOf) {
        it(`${spelling} matches status ${want} only`, () => {
          for (const [actual, status] of statuses) {
            const s = status === undefined ? span() : span({ status });
            expect([actual, status, spanMatches({ span_status: spelling }, s)]).toEqual([actual, status, actual === want]);
          }
        });
      }
    }
    it('negate on status', () => {
      expect(spanMatches({ span_status: 'error', negate: true }, span({ status: { code: 'STATUS_CODE_OK' } }))).toBe(true);
      expect(spanMatches({ span_status: 'error', negate: true }, span({ status: { code: 'STATUS_CODE_ERROR' } }))).toBe(false);
      expect(spanMatches({ span_status: 'unset', negate: true }, span())).toBe(false);
    });
  });

  it('trace_state', () => {
    const s = span({ traceState: 'vendor=abc,debug=true' });
    expect(spanMatches({ trace_field: 'trace_state', contains: 'debug=true' }, s)).toBe(true);
    expect(spanMatches({ trace_field: 'TRACE_FIELD_TRACE_STATE', starts_with: 'vendor=' }, s)).toBe(true);
    expect(spanMatches({ trace_field: 'trace_state', contains: 'debug=false' }, s)).toBe(false);
    expect(spanMatches({ trace_field: 'trace_state', exists: true }, span())).toBe(false);
    expect(spanMatches({ trace_field: 'trace_state', exists: true }, span({ traceState: '' }))).toBe(false);
    expect(spanMatches({ trace_field: 'trace_state', exists: true }, s)).toBe(true);
  });

  it('scope name and version, schema URLs', () => {
    const ctx = { scope: { name: 'io.opentelemetry.http', version: '2.1.0' }, resourceSchemaUrl: 'https://r/1.0', scopeSchemaUrl: 'https://s/2.0' };
    expect(spanMatches({ trace_field: 'scope_name', equals: 'io.opentelemetry.http' }, span(), ctx)).toBe(true);
    expect(spanMatches({ trace_field: 'TRACE_FIELD_SCOPE_NAME', ends_with: '.grpc' }, span(), ctx)).toBe(false);
    expect(spanMatches({ trace_field: 'scope_version', starts_with: '2.' }, span(), ctx)).toBe(true);
    expect(spanMatches({ trace_field: 'TRACE_FIELD_SCOPE_VERSION', equals: '2.1.1' }, span(), ctx)).toBe(false);
    expect(spanMatches({ trace_field: 'scope_version', exists: true }, span(), { scope: { name: 'x' } })).toBe(false);
    expect(spanMatches({ trace_field: 'resource_schema_url', ends_with: '/1.0' }, span(), ctx)).toBe(true);
    expect(spanMatches({ trace_field: 'scope_schema_url', equals: 'https://s/2.0' }, span(), ctx)).toBe(true);
    expect(spanMatches({ trace_field: 'scope_schema_url', equals: 'https://r/1.0' }, span(), ctx)).toBe(false);
  });

  it('span, resource and scope attributes', () => {
    const ctx = { resource: [str('service.name', 'checkout')], scope: { name: 'x', attributes: [str('k', 'v')] } };
    const s = span({ attributes: [str('db.system', 'postgresql'), int('http.status_code', 503)] });
    expect(spanMatches({ span_attribute: 'db.system', exists: true }, s, ctx)).toBe(true);
    expect(spanMatches({ span_attribute: ['http.status_code'], gte: 500 }, s, ctx)).toBe(true);
    expect(spanMatches({ resource_attribute: 'service.name', equals: 'checkout' }, s, ctx)).toBe(true);
    expect(spanMatches({ scope_attribute: 'k', equals: 'v' }, s, ctx)).toBe(true);
    expect(spanMatches({ span_attribute: 'service.name', exists: true }, s, ctx)).toBe(false);
  });

  describe('event_name', () => {
    const spans = (): Span[] => [
      span({ name: 'with-exception', events: [{ name: 'retry' }, { name: 'exception', attributes: [str('exception.type', 'IOError')] }] }),
      span({ name: 'other-event', events: [{ name: 'retry' }] }),
      span({ name: 'no-events' }),
      span({ name: 'empty-events', events: [] }),
    ];
    const keptNames = (match: Json): string[] => {
      const e = engineOf([{ id: 'p', name: 'p', trace: { match: [match], keep: { percentage: 0 } } }]);
      const data = tracesPayload(spans());
      applyToTraces(e, data);
      return keptSpans(data).map((s) => s.name!);
    };
    it('exists: true matches a span that has an event of that name', () => {
      expect(keptNames({ event_name: 'exception', exists: true })).toEqual(['other-event', 'no-events', 'empty-events']);
      expect(keptNames({ event_name: 'retry', exists: true })).toEqual(['no-events', 'empty-events']);
    });
    it('exists: false (or negate) matches a span without such an event', () => {
      expect(keptNames({ event_name: 'exception', exists: false })).toEqual(['with-exception']);
      expect(keptNames({ event_name: 'exception', exists: true, negate: true })).toEqual(['with-exception']);
    });
    it('an event name that no span has matches nothing', () => {
      expect(keptNames({ event_name: 'timeout', exists: true })).toEqual(['with-exception', 'other-event', 'no-events', 'empty-events']);
    });
  });

  describe('event_attribute', () => {
    const spans = (): Span[] => [
      span({
        name: 'two-events',
        events: [
          { name: 'e1', attributes: [str('exception.type', 'ValueError'), int('attempt', 1)] },
          { name: 'e2', attributes: [str('exception.type', 'IOError'), int('attempt', 3)] },
        ],
      }),
      span({ name: 'one-event', events: [{ name: 'e1', attributes: [str('exception.type', 'ValueError'), str('note', '')] }] }),
      span({ name: 'no-attr', events: [{ name: 'e1', attributes: [str('other', 'x')] }] }),
      span({ name: 'no-events', attributes: [str('exception.type', 'IOError')] }),
    ];
    const keptNames = (match: Json | Json[]): string[] => {
      const e = engineOf([{ id: 'p', name: 'p', trace: { match: Array.isArray(match) ? match : [match], keep: { percentage: 0 } } }]);
      const data = tracesPayload(spans());
      applyToTraces(e, data);
      return keptSpans(data).map((s) => s.name!);
    };
    it('exists matches a span where any event has the attribute', () => {
      expect(keptNames({ event_attribute: 'exception.type', exists: true })).toEqual(['no-attr', 'no-events']);
      // An empty-string value still exists.
      expect(keptNames({ event_attribute: 'note', exists: true })).toEqual(['two-events', 'no-attr', 'no-events']);
    });
    it('exists: true with negate matches a span where no event has it', () => {
      expect(keptNames({ event_attribute: 'exception.type', exists: true, negate: true })).toEqual(['two-events', 'one-event']);
    });
    it('exists: false matches a span where no event has it', () => {
      expect(keptNames({ event_attribute: 'exception.type', exists: false })).toEqual(['two-events', 'one-event']);
    });
    it('exists: false with negate matches a span where some event has it', () => {
      expect(keptNames({ event_attribute: 'exception.type', exists: false, negate: true })).toEqual(['no-attr', 'no-events']);
    });
    it("a value matcher succeeds when any event's value satisfies it", () => {
      expect(keptNames({ event_attribute: 'exception.type', equals: 'IOError' })).toEqual(['one-event', 'no-attr', 'no-events']);
      expect(keptNames({ event_attribute: 'exception.type', equals: 'ValueError' })).toEqual(['no-attr', 'no-events']);
      expect(keptNames({ event_attribute: 'exception.type', starts_with: 'io', case_insensitive: true })).toEqual(['one-event', 'no-attr', 'no-events']);
      expect(keptNames({ event_attribute: ['attempt'], gte: 2 })).toEqual(['one-event', 'no-attr', 'no-events']);
      expect(keptNames({ event_attribute: { path: ['attempt'] }, equals: 1 })).toEqual(['one-event', 'no-attr', 'no-events']);
    });
    it("negate on a value matcher: no event's value satisfies it", () => {
      expect(keptNames({ event_attribute: 'exception.type', equals: 'IOError', negate: true })).toEqual(['two-events']);
    });
    it('combines with other matchers (AND)', () => {
      expect(
        keptNames([
          { event_attribute: 'exception.type', exists: true },
          { trace_field: 'name', equals: 'one-event' },
        ]),
      ).toEqual(['two-events', 'no-attr', 'no-events']);
    });
  });

  describe('link_trace_id', () => {
    const LINKED = '0af7651916cd43dd8448eb211c80319c';
    const spans = (): Span[] => [
      span({
        name: 'linked',
        links: [
          { traceId: 'ffffffffffffffffffffffffffffffff', spanId: 'b7ad6b7169203331' },
          { traceId: LINKED, spanId: 'b7ad6b7169203331' },
        ],
      }),
      span({ name: 'linked-upper', links: [{ traceId: LINKED.toUpperCase(), spanId: 'b7ad6b7169203331' }] }),
      span({ name: 'other-link', links: [{ traceId: 'ffffffffffffffffffffffffffffffff', spanId: 'b7ad6b7169203331' }] }),
      span({ name: 'no-links' }),
      span({ name: 'same-trace-no-link', traceId: LINKED }),
    ];
    const keptNames = (match: Json): string[] => {
      const e = engineOf([{ id: 'p', name: 'p', trace: { match: [match], keep: { percentage: 0 } } }]);
      const data = tracesPayload(spans());
      applyToTraces(e, data);
      return keptSpans(data).map((s) => s.name!);
    };
    it('matches a span that has a link to that trace ID (any link, hex compared case-insensitively)', () => {
      expect(keptNames({ link_trace_id: LINKED, exists: true })).toEqual(['other-link', 'no-links', 'same-trace-no-link']);
    });
    it('authored upper-case hex matches too', () => {
      expect(keptNames({ link_trace_id: LINKED.toUpperCase(), exists: true })).toEqual(['other-link', 'no-links', 'same-trace-no-link']);
    });
    it('exists: false / negate matches spans without such a link', () => {
      expect(keptNames({ link_trace_id: LINKED, exists: false })).toEqual(['linked', 'linked-upper']);
      expect(keptNames({ link_trace_id: LINKED, exists: true, negate: true })).toEqual(['linked', 'linked-upper']);
    });
  });
});
