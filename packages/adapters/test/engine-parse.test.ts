/**
 * Policy parsing and validation: the authoring forms a policy file may use
 * (JSON/YAML, snake_case/lowerCamelCase, enum spellings, shorthands) and the
 * compile errors an invalid policy reports while staying inert.
 *
 * The contract is spec.md, with SEMANTICS.md settling the open points (and
 * winning where the two differ). Behaviour is checked end to end through
 * PolicyEngine and OTLP/JSON payloads wherever it can be.
 */
import { describe, expect, it } from 'vitest';
import { PolicyEngine, PolicyParseError, compilePolicies, parsePolicyText } from '@otel-policy/core';
import { MAX_POLICY_DEPTH, MAX_YAML_DEPTH } from '../../core/src/policy/parse.js';
import { MAX_LOCATE_DEPTH } from '../../core/src/policy/json-text.js';
import { applyToLogs, applyToMetrics, applyToTraces, type LogsData, type MetricsData, type TracesData, type otlpJson } from '@otel-policy/adapters';

type KeyValue = otlpJson.KeyValue;
type LogRecord = otlpJson.LogRecord;
type Span = otlpJson.Span;
type Metric = otlpJson.Metric;

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

const textOf = (policies: Json[]): string => JSON.stringify({ policies });

/** Compile errors by policy ID, for a policy list or a policy file's text. */
function errorsOf(policies: Json[] | string): Record<string, string[]> {
  const set = parsePolicyText(typeof policies === 'string' ? policies : textOf(policies));
  const compiled = compilePolicies(set);
  return Object.fromEntries([...compiled.errors].map(([id, errs]) => [id, [...errs]]));
}

/** The compile errors of one policy (empty when it is valid). */
function errorsFor(policy: Json): string[] {
  return errorsOf([policy])[policy.id as string] ?? [];
}

const logPolicy = (log: Json, id = 'p'): Json => ({ id, name: id, log });
const logMatchPolicy = (matcher: Json, id = 'p'): Json => logPolicy({ match: [matcher], keep: 'none' }, id);
const tracePolicy = (trace: Json, id = 'p'): Json => ({ id, name: id, trace });
const metricPolicy = (metric: Json, id = 'p'): Json => ({ id, name: id, metric });

interface EngineOptions {
  random?: () => number;
  clock?: () => number;
}

/** An engine over the policies; fails the test when any of them has compile errors. */
function validEngine(policies: Json[] | string, options: EngineOptions = {}): PolicyEngine {
  const engine = new PolicyEngine({ policies: parsePolicyText(typeof policies === 'string' ? policies : textOf(policies)), ...options });
  expect(
    engine
      .stats()
      .filter((s) => s.errors.length > 0)
      .map((s) => [s.policyId, s.errors]),
  ).toEqual([]);
  return engine;
}

const kv = (key: string, value: otlpJson.AnyValue): KeyValue => ({ key, value });
const str = (key: string, v: string): KeyValue => kv(key, { stringValue: v });
const int = (key: string, v: number | string): KeyValue => kv(key, { intValue: v });
const dbl = (key: string, v: number): KeyValue => kv(key, { doubleValue: v });
const bool = (key: string, v: boolean): KeyValue => kv(key, { boolValue: v });
const bytes = (key: string, hex: string): KeyValue => kv(key, { bytesValue: Buffer.from(hex, 'hex').toString('base64') });
const kvlist = (key: string, values: KeyValue[]): KeyValue => kv(key, { kvlistValue: { values } });

interface LogCtx {
  resource?: KeyValue[];
  scope?: KeyValue[];
}

function logsPayload(records: LogRecord[], ctx: LogCtx = {}): LogsData {
  return {
    resourceLogs: [{ resource: { attributes: ctx.resource ?? [] }, scopeLogs: [{ scope: { attributes: ctx.scope ?? [] }, logRecords: records }] }],
  };
}

const keptLogs = (d: LogsData): LogRecord[] => (d.resourceLogs ?? []).flatMap((rl) => (rl.scopeLogs ?? []).flatMap((sl) => sl.logRecords ?? []));

const body = (s: string, attributes: KeyValue[] = [], severityText = 'INFO'): LogRecord => ({ body: { stringValue: s }, severityText, attributes });

/** Run an engine over log records; return what survived. */
function runLogs(engine: PolicyEngine, records: LogRecord[], ctx: LogCtx = {}): LogRecord[] {
  const data = logsPayload(records, ctx);
  applyToLogs(engine, data);
  return keptLogs(data);
}

/** Does a (valid) log policy with this matcher and keep: none drop this record? */
function logMatcherMatches(matcher: Json, record: LogRecord, ctx: LogCtx = {}): boolean {
  return runLogs(validEngine([logMatchPolicy(matcher)]), [record], ctx).length === 0;
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

const span = (over: Partial<Span> = {}): Span => ({ traceId: TRACE_ID, spanId: '00f067aa0ba902b7', name: 'GET /api', kind: 'SPAN_KIND_SERVER', ...over });

function tracesPayload(spans: Span[], resource: KeyValue[] = []): TracesData {
  return { resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ scope: { name: 's' }, spans }] }] };
}

const keptSpans = (d: TracesData): Span[] => (d.resourceSpans ?? []).flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []));

function runSpans(engine: PolicyEngine, spans: Span[]): Span[] {
  const data = tracesPayload(spans);
  applyToTraces(engine, data);
  return keptSpans(data);
}

/** Does a (valid) trace policy with this matcher and keep 0% drop this span? */
function traceMatcherMatches(matcher: Json, s: Span): boolean {
  return runSpans(validEngine([tracePolicy({ match: [matcher], keep: { percentage: 0 } })]), [s]).length === 0;
}

const gauge = (name: string, attrs: KeyValue[] = []): Metric => ({ name, gauge: { dataPoints: [{ attributes: attrs, asDouble: 1 }] } });

function runMetrics(engine: PolicyEngine, metrics: Metric[]): Metric[] {
  const data: MetricsData = { resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ scope: { name: 's' }, metrics }] }] };
  applyToMetrics(engine, data);
  return (data.resourceMetrics ?? []).flatMap((rm) => (rm.scopeMetrics ?? []).flatMap((sm) => sm.metrics ?? []));
}

function metricMatcherMatches(matcher: Json, m: Metric): boolean {
  return runMetrics(validEngine([metricPolicy({ match: [matcher], keep: false })]), [m]).length === 0;
}

/** Reference FNV-1a 64 over bytes. */
function fnv1a64(data: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of data) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}
const MASK56 = (1n << 56n) - 1n;

// ---------------------------------------------------------------------------
// documents
// ---------------------------------------------------------------------------

describe('policy documents', () => {
  const JSON_TEXT = `{
    "policies": [
      {
        "id": "drop-checkout-debug",
        "name": "Drop checkout debug logs",
        "enabled": true,
        "log": {
          "match": [
            { "resource_attribute": ["service.name"], "equals": "checkout-api" },
            { "log_field": "LOG_FIELD_SEVERITY_TEXT", "equals": "DEBUG" }
          ],
          "keep": "none"
        }
      },
      {
        "id": "redact-email",
        "name": "Redact e-mail",
        "log": {
          "match": [{ "log_attribute": "user.email", "exists": true }],
          "transform": { "redact": [{ "log_attribute": ["user.email"], "replacement": "[EMAIL]" }] }
        }
      },
      {
        "id": "drop-5xx",
        "name": "Drop server errors",
        "log": {
          "match": [
            { "log_attribute": ["http.response.status_code"], "gte": 500 },
            { "log_attribute": ["http.response.status_code"], "lt": 600 },
            { "log_attribute": ["cache.hit"], "equals": false }
          ],
          "keep": "none"
        }
      }
    ]
  }`;

  const YAML_TEXT = `
# The same policies, in YAML.
policies:
  - id: drop-checkout-debug
    name: Drop checkout debug logs
    enabled: true
    log:
      match:
        - resource_attribute: ["service.name"]
          equals: checkout-api
        - log_field: LOG_FIELD_SEVERITY_TEXT
          equals: DEBUG
      keep: none
  - id: redact-email
    name: Redact e-mail
    log:
      match:
        - log_attribute: user.email
          exists: true
      transform:
        redact:
          - log_attribute: ["user.email"]
            replacement: "[EMAIL]"
  - id: drop-5xx
    name: Drop server errors
    log:
      match:
        - log_attribute: ["http.response.status_code"]
          gte: 500
        - log_attribute: ["http.response.status_code"]
          lt: 600
        - log_attribute: ["cache.hit"]
          equals: false
      keep: none
`;

  const records = (): LogRecord[] => [
    body('debug line', [], 'DEBUG'),
    body('info line', [str('user.email', 'a@b.c')]),
    body('server error', [int('http.response.status_code', 503), bool('cache.hit', false)]),
    body('server error, cached', [int('http.response.status_code', 503), bool('cache.hit', true)]),
    body('client error', [int('http.response.status_code', 404), bool('cache.hit', false)]),
  ];
  const ctx = { resource: [str('service.name', 'checkout-api')] };

  it('JSON and YAML forms of the same policies behave the same', () => {
    const fromJson = runLogs(validEngine(JSON_TEXT), records(), ctx);
    const fromYaml = runLogs(validEngine(YAML_TEXT), records(), ctx);
    expect(fromJson.map((r) => r.body?.stringValue)).toEqual(['info line', 'server error, cached', 'client error']);
    expect(fromJson[0].attributes).toEqual([str('user.email', '[EMAIL]')]);
    expect(fromYaml).toEqual(fromJson);
  });

  it('reads every policy of the list, with its id', () => {
    expect(parsePolicyText(JSON_TEXT).policies.map((p) => p.id)).toEqual(['drop-checkout-debug', 'redact-email', 'drop-5xx']);
    expect(parsePolicyText(YAML_TEXT).policies.map((p) => p.id)).toEqual(['drop-checkout-debug', 'redact-email', 'drop-5xx']);
  });

  it('an empty policy list is valid and matches nothing', () => {
    const e = validEngine('{"policies": []}');
    expect(runLogs(e, [body('x')])).toHaveLength(1);
    expect(parsePolicyText('policies: []\n').policies).toEqual([]);
  });

  it('a malformed JSON file throws PolicyParseError', () => {
    expect(() => parsePolicyText('{"policies": [')).toThrow(PolicyParseError);
    expect(() => parsePolicyText('{"policies": [}')).toThrow(PolicyParseError);
    expect(() => parsePolicyText('{"policies": [{"id": "a",}]', { format: 'json' })).toThrow(PolicyParseError);
    try {
      parsePolicyText('{"policies": [');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyParseError);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).name).toBe('PolicyParseError');
    }
  });

  it('a malformed YAML file throws PolicyParseError', () => {
    expect(() => parsePolicyText('policies:\n  - id: a\n    name: [unclosed\n')).toThrow(PolicyParseError);
    expect(() => parsePolicyText('policies:\n- id: x\n  name: "unterminated\n')).toThrow(PolicyParseError);
    expect(() => parsePolicyText('a: b: c')).toThrow(PolicyParseError);
  });

  it('a document that is not a policy list throws PolicyParseError', () => {
    expect(() => parsePolicyText('{"policies": 5}')).toThrow(PolicyParseError);
    expect(() => parsePolicyText('{"policies": "none"}')).toThrow(PolicyParseError);
    expect(() => parsePolicyText('just some text')).toThrow(PolicyParseError);
  });

  it('an empty or comment-only file, or an empty policies key, is refused: a truncated file must not switch every policy off', () => {
    for (const text of ['', '   \n', '# nothing yet\n', '---\n', 'policies:\n', '{"policies": null}']) {
      expect(() => parsePolicyText(text), JSON.stringify(text)).toThrow(PolicyParseError);
    }
    expect(() => parsePolicyText('', { source: 'p.yaml' })).toThrow(/p\.yaml\): the file holds no policies list \(it is empty, or only comments\); write "policies: \[\]" for none/);
    const e = validEngine([logMatchPolicy({ log_field: 'body', contains: 'drop' })]);
    expect(() => e.load('')).toThrow(PolicyParseError);
    expect(runLogs(e, [body('drop me'), body('keep me')]).map((r) => r.body?.stringValue)).toEqual(['keep me']);
    // None, said so, is a valid set.
    expect(parsePolicyText('{}').policies).toEqual([]);
  });

  it('a flag that is no boolean makes its policy invalid (YAML 1.2 reads no/off/yes as strings)', () => {
    const set = parsePolicyText(`policies:
  - { id: neg, log: { match: [{ log_field: severity_text, exact: DEBUG, negate: no }], keep: none } }
  - { id: ci, log: { match: [{ log_field: body, contains: x, case_insensitive: yes }], keep: none } }
  - { id: off, enabled: off, log: { match: [{ log_field: body, exists: true }], keep: none } }
  - { id: ups, log: { match: [{ log_field: body, exists: true }], transform: { add: [{ log_attribute: a, value: b, upsert: maybe }] } } }
  - { id: fine, enabled: "true", log: { match: [{ log_field: body, contains: y, negate: false, case_insensitive: 1 }], keep: none } }
`);
    const errors = Object.fromEntries(compilePolicies(set).policies.map((p) => [p.id, p.errors]));
    expect(errors).toEqual({
      neg: ['log: match[0]: negate must be true or false, got "no"'],
      ci: ['log: match[0]: case_insensitive must be true or false, got "yes"'],
      off: ['enabled must be true or false, got "off"'],
      ups: ['log: transform: add[0]: upsert must be true or false, got "maybe"'],
      fine: [],
    });
    // Inert: the DEBUG record is kept, not everything else dropped.
    const e = validEngine('{"policies": []}');
    e.load(set);
    expect(runLogs(e, [{ severityText: 'DEBUG', body: { stringValue: 'Y' } }, body('info')]).map((r) => r.body?.stringValue)).toEqual(['info']);
  });

  it('says so when an id is defined more than once (the last definition is used)', async () => {
    const warnings: string[] = [];
    const engine = new PolicyEngine({ logger: { error: () => {}, warn: (m: string) => warnings.push(m) } });
    const twice = (n: number) => JSON.stringify({ policies: [...Array(n)].map((_, i) => logMatchPolicy({ log_field: 'body', contains: `v${i}` })).map((p) => ({ ...p, id: 'a' })) });
    engine.load(twice(2));
    expect(warnings).toEqual(['policy ids defined more than once, only the last definition of each is used: "a" (2 times)']);
    await engine.loadAsync(twice(3));
    expect(warnings[1]).toBe('policy ids defined more than once, only the last definition of each is used: "a" (3 times)');
    expect(runLogs(engine, [body('v0'), body('v2')]).map((r) => r.body?.stringValue)).toEqual(['v0']);
    engine.load(twice(1));
    expect(warnings).toHaveLength(2);
    engine.load('policies:\n  - { id: t, log: { match: [{ log_field: body, contains: x }], transfrom: {} } }\n');
    expect(warnings.slice(2)).toEqual(['policy "t": log: unknown key "transfrom" (ignored)']);
  });

  it('PolicyEngine.load of a malformed file throws and leaves the running policies in place', () => {
    const e = validEngine([logMatchPolicy({ log_field: 'body', contains: 'drop' })]);
    expect(() => e.load('{"policies": [')).toThrow(PolicyParseError);
    expect(runLogs(e, [body('drop me'), body('keep me')]).map((r) => r.body?.stringValue)).toEqual(['keep me']);
  });
});

// ---------------------------------------------------------------------------
// field names
// ---------------------------------------------------------------------------

describe('snake_case and lowerCamelCase field names', () => {
  const logCases: [string, Json, Json, LogRecord, LogCtx?][] = [
    ['log_field', { log_field: 'body', equals: 'hello' }, { logField: 'body', equals: 'hello' }, body('hello')],
    ['log_attribute', { log_attribute: 'k', exists: true }, { logAttribute: 'k', exists: true }, body('x', [str('k', 'v')])],
    ['resource_attribute', { resource_attribute: 'svc', equals: 'a' }, { resourceAttribute: 'svc', equals: 'a' }, body('x'), { resource: [str('svc', 'a')] }],
    ['scope_attribute', { scope_attribute: 'lib', equals: 'b' }, { scopeAttribute: 'lib', equals: 'b' }, body('x'), { scope: [str('lib', 'b')] }],
    ['starts_with', { log_field: 'body', starts_with: 'hel' }, { logField: 'body', startsWith: 'hel' }, body('hello')],
    ['ends_with', { log_field: 'body', ends_with: 'llo' }, { logField: 'body', endsWith: 'llo' }, body('hello')],
    ['case_insensitive', { log_field: 'body', exact: 'HELLO', case_insensitive: true }, { logField: 'body', exact: 'HELLO', caseInsensitive: true }, body('hello')],
    ['int_value', { log_attribute: 'n', equals: { int_value: 7 } }, { logAttribute: 'n', equals: { intValue: '7' } }, body('x', [int('n', 7)])],
    ['double_value', { log_attribute: 'n', lt: { double_value: 0.5 } }, { logAttribute: 'n', lt: { doubleValue: 0.5 } }, body('x', [dbl('n', 0.25)])],
    ['bool_value', { log_attribute: 'b', equals: { bool_value: true } }, { logAttribute: 'b', equals: { boolValue: true } }, body('x', [bool('b', true)])],
    ['string_value', { log_attribute: 's', equals: { string_value: 'v' } }, { logAttribute: 's', equals: { stringValue: 'v' } }, body('x', [str('s', 'v')])],
    ['hex_value', { log_attribute: 't', equals: { hex_value: 'cafe' } }, { logAttribute: 't', equals: { hexValue: 'cafe' } }, body('x', [bytes('t', 'cafe')])],
    ['bytes_value', { log_attribute: 't', equals: { bytes_value: 'yv4=' } }, { logAttribute: 't', equals: { bytesValue: 'yv4=' } }, body('x', [bytes('t', 'cafe')])],
  ];

  for (const [what, snake, camel, rec, ctx] of logCases) {
    it(`log ${what}`, () => {
      expect(logMatcherMatches(snake, rec, ctx)).toBe(true);
      expect(logMatcherMatches(camel, rec, ctx)).toBe(true);
      // And the matcher is really read: a record without the value is not dropped.
      expect(logMatcherMatches(camel, { severityText: 'INFO' })).toBe(false);
    });
  }

  it('log transform: from_log_attribute / fromLogAttribute and upsert', () => {
    for (const rename of [
      { from_log_attribute: 'old', to: 'new', upsert: true },
      { fromLogAttribute: 'old', to: 'new', upsert: true },
    ]) {
      const e = validEngine([logPolicy({ match: [{ log_attribute: 'old', exists: true }], transform: { rename: [rename] } })]);
      const kept = runLogs(e, [body('x', [str('old', 'v'), str('other', 'o')])]);
      expect(kept[0].attributes).toEqual([str('other', 'o'), str('new', 'v')]);
    }
  });

  it('log sample_key / sampleKey', () => {
    // random 0.999 would sample everything out at 50%: a keyed decision ignores it,
    // and a record without the key is kept.
    const T = 1n << 55n; // trunc((1 - 50/100) * 2^56)
    const keys = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yvonne'];
    const expected = keys.filter((k) => (fnv1a64(new TextEncoder().encode(k)) & MASK56) >= T);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(keys.length);
    for (const target of [
      { match: [{ log_field: 'body', exists: true }], keep: '50%', sample_key: { log_attribute: 'request_id' } },
      { match: [{ logField: 'body', exists: true }], keep: '50%', sampleKey: { logAttribute: ['request_id'] } },
    ]) {
      const e = validEngine([logPolicy(target)], { random: () => 0.999 });
      const recs = [...keys.map((k) => body(k, [str('request_id', k)])), body('no key')];
      expect(runLogs(e, recs).map((r) => r.body?.stringValue)).toEqual([...expected, 'no key']);
    }
  });

  const traceCases: [string, Json, Json, Span][] = [
    ['trace_field', { trace_field: 'name', equals: 'GET /api' }, { traceField: 'name', equals: 'GET /api' }, span()],
    ['span_attribute', { span_attribute: 'db', exists: true }, { spanAttribute: 'db', exists: true }, span({ attributes: [str('db', 'pg')] })],
    ['span_kind', { span_kind: 'client' }, { spanKind: 'client' }, span({ kind: 'SPAN_KIND_CLIENT' })],
    ['span_status', { span_status: 'error' }, { spanStatus: 'error' }, span({ status: { code: 'STATUS_CODE_ERROR' } })],
    ['event_name', { event_name: 'exception', exists: true }, { eventName: 'exception', exists: true }, span({ events: [{ name: 'exception' }] })],
    [
      'event_attribute',
      { event_attribute: 'exception.type', exists: true },
      { eventAttribute: 'exception.type', exists: true },
      span({ events: [{ name: 'e', attributes: [str('exception.type', 'IOError')] }] }),
    ],
    [
      'link_trace_id',
      { link_trace_id: '0af7651916cd43dd8448eb211c80319c', exists: true },
      { linkTraceId: '0af7651916cd43dd8448eb211c80319c', exists: true },
      span({ links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' }] }),
    ],
  ];
  for (const [what, snake, camel, s] of traceCases) {
    it(`trace ${what}`, () => {
      expect(traceMatcherMatches(snake, s)).toBe(true);
      expect(traceMatcherMatches(camel, s)).toBe(true);
      expect(traceMatcherMatches(camel, span({ kind: 'SPAN_KIND_INTERNAL', name: 'other' }))).toBe(false);
    });
  }

  const metricCases: [string, Json, Json, Metric][] = [
    ['metric_field', { metric_field: 'name', equals: 'm' }, { metricField: 'name', equals: 'm' }, gauge('m')],
    ['datapoint_attribute', { datapoint_attribute: 'env', equals: 'dev' }, { datapointAttribute: 'env', equals: 'dev' }, gauge('x', [str('env', 'dev')])],
    ['metric_type', { metric_type: 'gauge' }, { metricType: 'gauge' }, gauge('x')],
    ['aggregation_temporality', { aggregation_temporality: 'delta' }, { aggregationTemporality: 'delta' }, { name: 's', sum: { aggregationTemporality: 1, dataPoints: [{ asDouble: 1 }] } }],
  ];
  for (const [what, snake, camel, m] of metricCases) {
    it(`metric ${what}`, () => {
      expect(metricMatcherMatches(snake, m)).toBe(true);
      expect(metricMatcherMatches(camel, m)).toBe(true);
      expect(metricMatcherMatches(camel, { name: 'other', summary: { dataPoints: [{}] } })).toBe(false);
    });
  }
});

// ---------------------------------------------------------------------------
// enums
// ---------------------------------------------------------------------------

describe('enum spellings', () => {
  it('log_field: short lowercase, upper-case short, proto name, number', () => {
    for (const f of ['body', 'BODY', 'LOG_FIELD_BODY', 1]) {
      expect([f, logMatcherMatches({ log_field: f, equals: 'hi' }, body('hi'))]).toEqual([f, true]);
    }
    for (const f of ['severity_text', 'SEVERITY_TEXT', 'LOG_FIELD_SEVERITY_TEXT', 2]) {
      expect([f, logMatcherMatches({ log_field: f, equals: 'WARN' }, body('hi', [], 'WARN'))]).toEqual([f, true]);
      expect([f, logMatcherMatches({ log_field: f, equals: 'hi' }, body('hi', [], 'WARN'))]).toEqual([f, false]);
    }
    for (const f of ['trace_id', 'LOG_FIELD_TRACE_ID', 3]) {
      expect([f, logMatcherMatches({ log_field: f, starts_with: '4bf9' }, { ...body('x'), traceId: TRACE_ID })]).toEqual([f, true]);
    }
    for (const f of ['event_name', 'LOG_FIELD_EVENT_NAME', 5]) {
      expect([f, logMatcherMatches({ log_field: f, equals: 'ev' }, { ...body('x'), eventName: 'ev' })]).toEqual([f, true]);
    }
  });

  it('span_kind: short, upper-case short, proto name, number', () => {
    for (const k of ['internal', 'INTERNAL', 'SPAN_KIND_INTERNAL', 1]) {
      expect([k, traceMatcherMatches({ span_kind: k }, span({ kind: 'SPAN_KIND_INTERNAL' }))]).toEqual([k, true]);
      expect([k, traceMatcherMatches({ span_kind: k }, span({ kind: 'SPAN_KIND_SERVER' }))]).toEqual([k, false]);
    }
    for (const k of ['server', 'SERVER', 'SPAN_KIND_SERVER', 2]) {
      expect([k, traceMatcherMatches({ span_kind: k }, span({ kind: 'SPAN_KIND_SERVER' }))]).toEqual([k, true]);
    }
    for (const k of ['consumer', 'SPAN_KIND_CONSUMER', 5]) {
      expect([k, traceMatcherMatches({ span_kind: k }, span({ kind: 5 }))]).toEqual([k, true]);
    }
  });

  it('span_status: short, proto name, and unset / SPAN_STATUS_CODE_UNSET / SPAN_STATUS_CODE_UNSPECIFIED', () => {
    for (const s of ['error', 'ERROR', 'SPAN_STATUS_CODE_ERROR', 2]) {
      expect([s, traceMatcherMatches({ span_status: s }, span({ status: { code: 'STATUS_CODE_ERROR' } }))]).toEqual([s, true]);
      expect([s, traceMatcherMatches({ span_status: s }, span({ status: { code: 'STATUS_CODE_OK' } }))]).toEqual([s, false]);
    }
    for (const s of ['ok', 'SPAN_STATUS_CODE_OK', 1]) {
      expect([s, traceMatcherMatches({ span_status: s }, span({ status: { code: 'STATUS_CODE_OK' } }))]).toEqual([s, true]);
    }
    for (const s of ['unset', 'UNSET', 'SPAN_STATUS_CODE_UNSET', 'SPAN_STATUS_CODE_UNSPECIFIED']) {
      expect([s, traceMatcherMatches({ span_status: s }, span())]).toEqual([s, true]);
      expect([s, traceMatcherMatches({ span_status: s }, span({ status: { code: 'STATUS_CODE_UNSET' } }))]).toEqual([s, true]);
      expect([s, traceMatcherMatches({ span_status: s }, span({ status: { code: 'STATUS_CODE_ERROR' } }))]).toEqual([s, false]);
    }
  });

  it('trace_field, metric_field, metric_type, aggregation_temporality', () => {
    for (const f of ['name', 'NAME', 'TRACE_FIELD_NAME', 1]) {
      expect([f, traceMatcherMatches({ trace_field: f, equals: 'GET /api' }, span())]).toEqual([f, true]);
    }
    for (const f of ['trace_state', 'TRACE_FIELD_TRACE_STATE', 5]) {
      expect([f, traceMatcherMatches({ trace_field: f, contains: 'k=v' }, span({ traceState: 'k=v' }))]).toEqual([f, true]);
    }
    for (const f of ['name', 'METRIC_FIELD_NAME', 1]) {
      expect([f, metricMatcherMatches({ metric_field: f, equals: 'm' }, gauge('m'))]).toEqual([f, true]);
    }
    for (const t of ['gauge', 'GAUGE', 'METRIC_TYPE_GAUGE', 1]) {
      expect([t, metricMatcherMatches({ metric_type: t }, gauge('m'))]).toEqual([t, true]);
      expect([t, metricMatcherMatches({ metric_type: t }, { name: 'm', summary: { dataPoints: [{}] } })]).toEqual([t, false]);
    }
    const cumulative: Metric = { name: 'c', sum: { aggregationTemporality: 2, dataPoints: [{ asDouble: 1 }] } };
    for (const t of ['cumulative', 'AGGREGATION_TEMPORALITY_CUMULATIVE', 2]) {
      expect([t, metricMatcherMatches({ aggregation_temporality: t }, cumulative)]).toEqual([t, true]);
    }
  });

  it('sampling mode: short, proto name, number (proto3 JSON); an unknown number is an error', () => {
    for (const mode of ['equalizing', 'EQUALIZING', 'SAMPLING_MODE_EQUALIZING', 3, 'proportional', 2, 'hash_seed', 1]) {
      expect([mode, errorsFor(tracePolicy({ match: [{ span_kind: 'server' }], keep: { percentage: 50, mode } }))]).toEqual([mode, []]);
    }
    expect(errorsFor(tracePolicy({ match: [{ span_kind: 'server' }], keep: { percentage: 50, mode: 9 } }))).toEqual(['trace: keep: unknown mode "9"']);
  });

  it('unknown and unspecified enum values are compile errors', () => {
    const bad: [Json, string][] = [
      [logMatchPolicy({ log_field: 'bogus', exists: true }), 'log: match[0]: '],
      [logMatchPolicy({ log_field: 'LOG_FIELD_UNSPECIFIED', exists: true }), 'log: match[0]: '],
      [logMatchPolicy({ log_field: 0, exists: true }), 'log: match[0]: '],
      [logMatchPolicy({ log_field: 99, exists: true }), 'log: match[0]: '],
      [tracePolicy({ match: [{ span_kind: 'SPAN_KIND_UNSPECIFIED' }], keep: { percentage: 0 } }), 'trace: match[0]: '],
      [tracePolicy({ match: [{ span_kind: 'sideways' }], keep: { percentage: 0 } }), 'trace: match[0]: '],
      [tracePolicy({ match: [{ span_status: 'broken' }], keep: { percentage: 0 } }), 'trace: match[0]: '],
      [tracePolicy({ match: [{ trace_field: 'TRACE_FIELD_UNSPECIFIED', exists: true }], keep: { percentage: 0 } }), 'trace: match[0]: '],
      [metricPolicy({ match: [{ metric_type: 'METRIC_TYPE_UNSPECIFIED' }], keep: false }), 'metric: match[0]: '],
      [metricPolicy({ match: [{ metric_field: 'METRIC_FIELD_UNSPECIFIED', exists: true }], keep: false }), 'metric: match[0]: '],
      [metricPolicy({ match: [{ aggregation_temporality: 'sometimes' }], keep: false }), 'metric: match[0]: '],
    ];
    for (const [p, prefix] of bad) {
      const errs = errorsFor(p);
      expect([p, errs.length]).toEqual([p, 1]);
      expect(errs[0].startsWith(prefix)).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------
// attribute paths
// ---------------------------------------------------------------------------

describe('attribute paths', () => {
  const flat = body('x', [str('http.method', 'GET')]);
  const nested = body('x', [kvlist('http', [str('method', 'POST')])]);

  it('a string is one key (dots are part of it)', () => {
    expect(logMatcherMatches({ log_attribute: 'http.method', equals: 'GET' }, flat)).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'http.method', exists: true }, nested)).toBe(false);
  });

  it('an array is a nested lookup', () => {
    expect(logMatcherMatches({ log_attribute: ['http', 'method'], equals: 'POST' }, nested)).toBe(true);
    expect(logMatcherMatches({ log_attribute: ['http', 'method'], exists: true }, flat)).toBe(false);
    expect(logMatcherMatches({ log_attribute: ['http.method'], equals: 'GET' }, flat)).toBe(true);
  });

  it('{path: [...]} is the canonical form (snake and camel selector names)', () => {
    expect(logMatcherMatches({ log_attribute: { path: ['http', 'method'] }, equals: 'POST' }, nested)).toBe(true);
    expect(logMatcherMatches({ logAttribute: { path: ['http.method'] }, equals: 'GET' }, flat)).toBe(true);
    expect(logMatcherMatches({ log_attribute: { path: ['http.method'] }, exists: true }, nested)).toBe(false);
  });

  it('the same forms work in YAML', () => {
    const yaml = `
policies:
  - id: a
    name: a
    log:
      match:
        - log_attribute: http.method
          equals: GET
      keep: none
  - id: b
    name: b
    log:
      match:
        - log_attribute: [http, method]
          equals: POST
      keep: none
  - id: c
    name: c
    log:
      match:
        - log_attribute:
            path: [user, id]
          exists: true
      keep: none
`;
    const e = validEngine(yaml);
    const kept = runLogs(e, [flat, nested, body('u', [kvlist('user', [int('id', 1)])]), body('keep', [str('user.id', '1')])]);
    expect(kept.map((r) => r.body?.stringValue)).toEqual(['keep']);
  });

  it('resource, scope, span, datapoint and event attributes accept every form', () => {
    const ctx = { resource: [kvlist('k8s', [str('pod', 'p1')])], scope: [str('lib.name', 'x')] };
    expect(logMatcherMatches({ resource_attribute: { path: ['k8s', 'pod'] }, equals: 'p1' }, body('x'), ctx)).toBe(true);
    expect(logMatcherMatches({ scope_attribute: ['lib.name'], equals: 'x' }, body('x'), ctx)).toBe(true);
    expect(traceMatcherMatches({ span_attribute: { path: ['db', 'system'] }, equals: 'pg' }, span({ attributes: [kvlist('db', [str('system', 'pg')])] }))).toBe(true);
    expect(metricMatcherMatches({ datapoint_attribute: { path: ['a', 'b'] }, exists: true }, gauge('m', [kvlist('a', [int('b', 1)])]))).toBe(true);
    expect(traceMatcherMatches({ event_attribute: ['a', 'b'], equals: 'c' }, span({ events: [{ name: 'e', attributes: [kvlist('a', [str('b', 'c')])] }] }))).toBe(true);
  });

  it('an empty path is a compile error', () => {
    for (const path of [[], { path: [] }, {}]) {
      expect(errorsFor(logMatchPolicy({ log_attribute: path, exists: true }))).toEqual(['log: match[0]: attribute has empty path']);
      expect(errorsFor(logMatchPolicy({ logAttribute: path, exists: true }))).toEqual(['log: match[0]: attribute has empty path']);
    }
    expect(
      errorsFor(
        logPolicy({
          match: [
            { log_field: 'body', exists: true },
            { resource_attribute: [], exists: true },
          ],
          keep: 'none',
        }),
      ),
    ).toEqual(['log: match[1]: attribute has empty path']);
    expect(errorsFor(logPolicy({ match: [{ scope_attribute: { path: [] }, equals: 'x' }], keep: 'none' }))).toEqual(['log: match[0]: attribute has empty path']);
    expect(errorsFor(metricPolicy({ match: [{ datapoint_attribute: [], exists: true }], keep: false }))).toEqual(['metric: match[0]: attribute has empty path']);
    expect(errorsFor(tracePolicy({ match: [{ span_attribute: [], exists: true }], keep: { percentage: 0 } }))).toEqual(['trace: match[0]: attribute has empty path']);
    expect(errorsFor(tracePolicy({ match: [{ event_attribute: { path: [] }, exists: true }], keep: { percentage: 0 } }))).toEqual(['trace: match[0]: attribute has empty path']);
  });

  it('an empty path in a transform or a sample key is a compile error', () => {
    const remove = errorsFor(logPolicy({ match: [{ log_field: 'body', exists: true }], transform: { remove: [{ log_attribute: [] }] } }));
    expect(remove).toHaveLength(1);
    expect(remove[0].startsWith('log: transform: remove[0]: ')).toBe(true);
    const add = errorsFor(logPolicy({ match: [{ log_field: 'body', exists: true }], transform: { add: [{ log_attribute: { path: [] }, value: 'v' }] } }));
    expect(add).toHaveLength(1);
    expect(add[0].startsWith('log: transform: add[0]: ')).toBe(true);
    const key = errorsFor(logPolicy({ match: [{ log_field: 'body', exists: true }], keep: '10%', sample_key: { log_attribute: [] } }));
    expect(key).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------
// typed values
// ---------------------------------------------------------------------------

describe('typed equals', () => {
  it("shorthand: the literal's type chooses the Value variant", () => {
    // string
    expect(logMatcherMatches({ log_attribute: 'a', equals: '200' }, body('x', [str('a', '200')]))).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'a', equals: '200' }, body('x', [int('a', 200)]))).toBe(false);
    // int
    expect(logMatcherMatches({ log_attribute: 'a', equals: 200 }, body('x', [int('a', 200)]))).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'a', equals: 200 }, body('x', [str('a', '200')]))).toBe(false);
    // bool
    expect(logMatcherMatches({ log_attribute: 'a', equals: true }, body('x', [bool('a', true)]))).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'a', equals: true }, body('x', [str('a', 'true')]))).toBe(false);
    expect(logMatcherMatches({ log_attribute: 'a', equals: false }, body('x', [bool('a', false)]))).toBe(true);
    // double
    expect(logMatcherMatches({ log_attribute: 'a', equals: 2.5 }, body('x', [dbl('a', 2.5)]))).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'a', equals: 2.5 }, body('x', [int('a', 2)]))).toBe(false);
    expect(logMatcherMatches({ log_attribute: 'a', equals: 2.5 }, body('x', [str('a', '2.5')]))).toBe(false);
  });

  it('canonical forms', () => {
    expect(logMatcherMatches({ log_attribute: 'a', equals: { int_value: 200 } }, body('x', [int('a', 200)]))).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'a', equals: { int_value: '200' } }, body('x', [int('a', '200')]))).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'a', equals: { int_value: '-3' } }, body('x', [int('a', -3)]))).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'a', equals: { double_value: 0.5 } }, body('x', [dbl('a', 0.5)]))).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'a', equals: { double_value: '0.5' } }, body('x', [dbl('a', 0.5)]))).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'a', equals: { bool_value: false } }, body('x', [bool('a', false)]))).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'a', equals: { string_value: 'v' } }, body('x', [str('a', 'v')]))).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'a', equals: { hex_value: 'deadbeef' } }, body('x', [bytes('a', 'deadbeef')]))).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'a', equals: { hex_value: 'DeadBeef' } }, body('x', [bytes('a', 'deadbeef')]))).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'a', equals: { bytes_value: '3q2+7w==' } }, body('x', [bytes('a', 'deadbeef')]))).toBe(true);
    expect(logMatcherMatches({ log_attribute: 'a', equals: { bytes_value: '3q2+7w==' } }, body('x', [bytes('a', 'deadbeee')]))).toBe(false);
  });

  it('YAML shorthand literals', () => {
    const yaml = `
policies:
  - id: int
    name: int
    log:
      match:
        - log_attribute: [n]
          equals: 200
      keep: none
  - id: string
    name: string
    log:
      match:
        - log_attribute: [s]
          equals: checkout-api
      keep: none
  - id: quoted
    name: quoted
    log:
      match:
        - log_attribute: [q]
          equals: "true"
      keep: none
  - id: bool
    name: bool
    log:
      match:
        - log_attribute: [b]
          equals: true
      keep: none
  - id: double
    name: double
    log:
      match:
        - log_attribute: [d]
          lt: 0.5
      keep: none
  - id: big
    name: big
    log:
      match:
        - log_attribute: [big]
          equals: 9007199254740993
      keep: none
  - id: canonical
    name: canonical
    log:
      match:
        - log_attribute: [c]
          equals:
            int_value: 9223372036854775807
      keep: none
`;
    const e = validEngine(yaml);
    const recs: [string, KeyValue, boolean][] = [
      ['n=200', int('n', 200), false],
      ['n="200"', str('n', '200'), true],
      ['s', str('s', 'checkout-api'), false],
      ['q string', str('q', 'true'), false],
      ['q bool', bool('q', true), true],
      ['b bool', bool('b', true), false],
      ['b string', str('b', 'true'), true],
      ['d=0.25', dbl('d', 0.25), false],
      ['d=0.5', dbl('d', 0.5), true],
      ['big exact', int('big', '9007199254740993'), false],
      ['big off by one', int('big', '9007199254740992'), true],
      ['int64 max', int('c', '9223372036854775807'), false],
      ['int64 max - 1', int('c', '9223372036854775806'), true],
    ];
    const kept = runLogs(
      e,
      recs.map(([name, attr]) => body(name, [attr])),
    ).map((r) => r.body?.stringValue);
    expect(kept).toEqual(recs.filter(([, , k]) => k).map(([n]) => n));
  });

  it('invalid Value literals are compile errors', () => {
    const bad: Json[] = [
      { equals: {} },
      { equals: { hex_value: 'xyz' } },
      { equals: { hex_value: 'abc' } },
      { equals: { hex_value: '0g' } },
      { equals: { hexValue: 'a' } },
      { equals: { bytes_value: '!!not base64!!' } },
      { equals: { int_value: 'abc' } },
      { equals: { int_value: '1.5' } },
      { equals: { int_value: 1.5 } },
      { equals: { bool_value: 'yes' } },
      { equals: { int_value: 1, string_value: 'x' } },
    ];
    for (const m of bad) {
      const errs = errorsFor(logMatchPolicy({ log_attribute: 'a', ...m }));
      expect([m, errs.length]).toEqual([m, 1]);
      expect([m, errs[0].startsWith('log: match[0]: ')]).toEqual([m, true]);
    }
  });

  it('a hex_value error is reported for trace identifier fields too', () => {
    const errs = errorsFor(tracePolicy({ match: [{ trace_field: 'TRACE_FIELD_TRACE_ID', equals: { hex_value: 'xyz' } }], keep: { percentage: 0 } }));
    expect(errs).toHaveLength(1);
    expect(errs[0].startsWith('trace: match[0]: ')).toBe(true);
  });

  it('a link_trace_id that is not hexadecimal is a compile error', () => {
    for (const id of ['xyz', 'abc', 'not-hex-at-all-0000000000000000']) {
      const errs = errorsFor(tracePolicy({ match: [{ link_trace_id: id, exists: true }], keep: { percentage: 0 } }));
      expect([id, errs.length]).toEqual([id, 1]);
      expect(errs[0].startsWith('trace: match[0]: ')).toBe(true);
    }
  });
});

describe('numeric comparisons', () => {
  it('accept numbers and {int_value}/{double_value}', () => {
    const cases: [Json, KeyValue, boolean][] = [
      [{ gt: 5 }, int('a', 6), true],
      [{ gt: 5 }, int('a', 5), false],
      [{ gte: { int_value: 5 } }, int('a', 5), true],
      [{ gte: { intValue: '5' } }, int('a', 4), false],
      [{ lt: 0.5 }, dbl('a', 0.4), true],
      [{ lt: { double_value: 0.5 } }, dbl('a', 0.5), false],
      [{ lte: { doubleValue: 0.5 } }, dbl('a', 0.5), true],
      [{ lte: { int_value: '-1' } }, int('a', -2), true],
      [{ gt: { int_value: '9007199254740992' } }, int('a', '9007199254740993'), true],
    ];
    for (const [m, attr, want] of cases) {
      expect([m, attr, logMatcherMatches({ log_attribute: 'a', ...m }, body('x', [attr]))]).toEqual([m, attr, want]);
    }
  });

  it('reject a string, bool, bytes or empty value (the policy is inert)', () => {
    const bad: Json[] = [
      { gt: '5' },
      { gte: 'abc' },
      { lt: true },
      { lte: false },
      { gt: { string_value: '5' } },
      { gt: { bool_value: true } },
      { gte: { bytes_value: 'AQ==' } },
      { lt: { hex_value: '01' } },
      { lte: {} },
      { gt: [5] },
      { gt: { int_value: 'five' } },
      { gt: { int_value: 1, double_value: 1 } },
    ];
    for (const m of bad) {
      const p = logMatchPolicy({ log_attribute: 'a', ...m });
      const errs = errorsFor(p);
      expect([m, errs.length]).toEqual([m, 1]);
      expect([m, errs[0].startsWith('log: match[0]: ')]).toEqual([m, true]);
      // Inert: a record it would otherwise drop survives.
      const e = new PolicyEngine({ policies: parsePolicyText(textOf([p])) });
      expect(runLogs(e, [body('x', [int('a', 6)]), body('y', [str('a', '5')]), body('z', [bool('a', true)])])).toHaveLength(3);
    }
  });

  it('YAML comparisons with a quoted value are rejected', () => {
    const yaml = `
policies:
  - id: bad
    name: bad
    log:
      match:
        - log_attribute: [code]
          gte: "500"
      keep: none
`;
    expect(Object.keys(errorsOf(yaml))).toEqual(['bad']);
  });
});

// ---------------------------------------------------------------------------
// matcher structure
// ---------------------------------------------------------------------------

describe('matcher structure', () => {
  it('a matcher without a field selector or without a match condition is a compile error', () => {
    for (const m of [{ exact: 'x' }, { negate: true, regex: 'x' }, { log_field: 'body' }, { log_attribute: 'a', negate: true }]) {
      const errs = errorsFor(logMatchPolicy(m));
      expect([m, errs.length]).toEqual([m, 1]);
      expect(errs[0].startsWith('log: match[0]: ')).toBe(true);
    }
    expect(errorsFor(tracePolicy({ match: [{ trace_field: 'name' }], keep: { percentage: 0 } }))).toHaveLength(1);
    expect(errorsFor(metricPolicy({ match: [{ metric_field: 'name' }], keep: false }))).toHaveLength(1);
  });

  it('span_kind, span_status, metric_type and aggregation_temporality need no match condition', () => {
    expect(errorsFor(tracePolicy({ match: [{ span_kind: 'server' }, { span_status: 'ok' }], keep: { percentage: 0 } }))).toEqual([]);
    expect(errorsFor(metricPolicy({ match: [{ metric_type: 'sum' }, { aggregation_temporality: 'delta' }], keep: false }))).toEqual([]);
  });

  it('two field selectors or two match conditions in one matcher are compile errors', () => {
    for (const m of [
      { log_field: 'body', log_attribute: 'a', exists: true },
      { log_field: 'body', exact: 'a', regex: 'a' },
      { log_attribute: 'a', equals: 1, gt: 0 },
    ]) {
      const errs = errorsFor(logMatchPolicy(m));
      expect([m, errs.length]).toEqual([m, 1]);
      expect(errs[0].startsWith('log: match[0]: ')).toBe(true);
    }
  });

  it('a target without matchers never matches (it must not act on all telemetry)', () => {
    const e = new PolicyEngine({
      policies: parsePolicyText(textOf([logPolicy({ match: [], keep: 'none' }, 'l'), metricPolicy({ match: [], keep: false }, 'm'), tracePolicy({ match: [], keep: { percentage: 0 } }, 't')])),
    });
    expect(runLogs(e, [body('x')])).toHaveLength(1);
    expect(runMetrics(e, [gauge('g')])).toHaveLength(1);
    expect(runSpans(e, [span()])).toHaveLength(1);
    expect(e.stats().map((s) => [s.policyId, s.hits, s.misses])).toEqual([
      ['l', 0, 0],
      ['m', 0, 0],
      ['t', 0, 0],
    ]);
  });

  it('exists must be a boolean', () => {
    expect(errorsFor(logMatchPolicy({ log_attribute: 'a', exists: 'yes' }))).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------
// regexes
// ---------------------------------------------------------------------------

describe('regex validation', () => {
  it('an invalid match regex is reported with the signal prefix', () => {
    expect(errorsFor(logMatchPolicy({ log_field: 'body', regex: '([bad' }))).toEqual(['log: match[0]: invalid regex "([bad"']);
    expect(errorsFor(metricPolicy({ match: [{ metric_field: 'name', regex: '([bad' }], keep: false }))).toEqual(['metric: match[0]: invalid regex "([bad"']);
    expect(errorsFor(tracePolicy({ match: [{ trace_field: 'name', regex: '([bad' }], keep: { percentage: 0 } }))).toEqual(['trace: match[0]: invalid regex "([bad"']);
    expect(
      errorsFor(
        logPolicy({
          match: [
            { log_field: 'body', exists: true },
            { log_attribute: 'a', regex: '([bad', case_insensitive: true },
          ],
          keep: 'none',
        }),
      ),
    ).toEqual(['log: match[1]: invalid regex "([bad"']);
  });

  it('an invalid redact regex is reported at its transform position', () => {
    expect(
      errorsFor(
        logPolicy({ match: [{ log_field: 'body', contains: 'error' }], keep: 'all', transform: { redact: [{ log_attribute: { path: ['cvv'] }, regex: '([bad', replacement: '[REDACTED]' }] } }),
      ),
    ).toEqual(['log: transform: redact[0]: invalid regex "([bad"']);
    expect(
      errorsFor(
        logPolicy({
          match: [{ log_field: 'body', exists: true }],
          transform: { redact: [{ log_attribute: 'a' }, { log_attribute: 'b', regex: '[0-9]+' }, { log_field: 'body', regex: '([bad' }] },
        }),
      ),
    ).toEqual(['log: transform: redact[2]: invalid regex "([bad"']);
  });

  it('RE2 syntax is accepted; backreferences and lookaround are not', () => {
    for (const re of ['(?i)abc', '(?P<name>x+)', '\\Aabc\\z', '\\pL+', '[[:alpha:]]+', '\\Qa.b\\E', 'a{2,5}?']) {
      expect([re, errorsFor(logMatchPolicy({ log_field: 'body', regex: re }))]).toEqual([re, []]);
    }
    for (const re of ['(a)\\1', 'x(?=y)', 'x(?!y)', '(?<=x)y', '(?<!x)y']) {
      expect([re, errorsFor(logMatchPolicy({ log_field: 'body', regex: re }))]).toEqual([re, [`log: match[0]: invalid regex ${JSON.stringify(re)}`]]);
    }
  });
});

// ---------------------------------------------------------------------------
// log keep
// ---------------------------------------------------------------------------

describe('log keep', () => {
  const withKeep = (keep: unknown, id = 'p'): Json => logPolicy({ match: [{ log_field: 'body', exists: true }], keep }, id);

  it('accepts all, none, N%, .N%, N/s, N/m, N/Ds, N/Dm', () => {
    for (const keep of ['all', 'none', '0%', '10%', '100%', '50.5%', '.01%', '0.01%', '1/s', '100/s', '1/m', '1/5s', '1/300s', '10/5m', '1/1s', '1/1m']) {
      const p = keep === 'all' ? logPolicy({ match: [{ log_field: 'body', exists: true }], keep, transform: { add: [{ log_attribute: 'x', value: 'y' }] } }) : withKeep(keep);
      expect([keep, errorsFor(p)]).toEqual([keep, []]);
    }
  });

  it('rejects a malformed keep with "log: keep: invalid value ..."', () => {
    expect(errorsFor(withKeep('bogus'))).toEqual(['log: keep: invalid value "bogus"']);
    for (const keep of ['1.5/s', '0/s', '1/0s', '150%', '100.5%', '-5%', '1/1.5s', '0.5/m', '10/5h', '1/s/2', '1/-5s', '10', '%', '/s', 'banana']) {
      const errs = errorsFor(withKeep(keep));
      expect([keep, errs.length]).toEqual([keep, 1]);
      expect([keep, errs[0].startsWith('log: keep: ')]).toEqual([keep, true]);
    }
  });

  it('a policy with an invalid keep is inert', () => {
    const e = new PolicyEngine({ policies: parsePolicyText(textOf([withKeep('bogus', 'bad'), withKeep('1.5/s', 'bad2')])) });
    expect(runLogs(e, [body('a'), body('b')])).toHaveLength(2);
    expect(e.stats().map((s) => [s.policyId, s.hits, s.misses])).toEqual([
      ['bad', 0, 0],
      ['bad2', 0, 0],
    ]);
  });

  it('all keeps, none drops', () => {
    const keepAll = validEngine([logPolicy({ match: [{ log_field: 'body', exists: true }], keep: 'all', transform: { add: [{ log_attribute: 'seen', value: '1' }] } })]);
    expect(runLogs(keepAll, [body('a')])[0].attributes).toEqual([str('seen', '1')]);
    // keep defaults to all
    const dflt = validEngine([logPolicy({ match: [{ log_field: 'body', exists: true }], transform: { add: [{ log_attribute: 'seen', value: '1' }] } })]);
    expect(runLogs(dflt, [body('a')])).toHaveLength(1);
    expect(runLogs(validEngine([withKeep('none')]), [body('a'), body('b')])).toHaveLength(0);
  });

  it('N% samples with the random source: keep iff random * 100 < N', () => {
    const at = (keep: string, r: number) => runLogs(validEngine([withKeep(keep)], { random: () => r }), [body('a')]).length;
    expect(at('50%', 0.49)).toBe(1);
    expect(at('50%', 0.5)).toBe(0);
    expect(at('0%', 0)).toBe(0);
    expect(at('100%', 0.999999)).toBe(1);
    expect(at('.01%', 0.00009)).toBe(1);
    expect(at('.01%', 0.0002)).toBe(0);
    expect(at('0.01%', 0.00009)).toBe(1);
    expect(at('12.5%', 0.12)).toBe(1);
    expect(at('12.5%', 0.13)).toBe(0);
  });

  it('rate limits: N/s, N/m, N/Ds, N/Dm use windows of 1s, 1m, D seconds, D minutes', () => {
    const cases: [string, number, number][] = [
      ['2/s', 2, 1000],
      ['1/m', 1, 60_000],
      ['3/5s', 3, 5000],
      ['1/2m', 1, 120_000],
      ['2/1s', 2, 1000],
      ['1/1m', 1, 60_000],
    ];
    for (const [keep, n, windowMs] of cases) {
      let now = 1_000_000;
      const e = validEngine([withKeep(keep)], { clock: () => now });
      const send = (count: number) =>
        runLogs(
          e,
          Array.from({ length: count }, () => body('x')),
        ).length;
      expect([keep, 'first window', send(n + 2)]).toEqual([keep, 'first window', n]);
      now += windowMs - 1;
      expect([keep, 'same window', send(1)]).toEqual([keep, 'same window', 0]);
      now += 1;
      expect([keep, 'next window', send(n + 1)]).toEqual([keep, 'next window', n]);
    }
  });

  it('a YAML keep string', () => {
    const yaml = `
policies:
  - id: sample
    name: sample
    log:
      match:
        - log_field: body
          contains: sample
      keep: 10%
  - id: rate
    name: rate
    log:
      match:
        - log_field: body
          contains: rate
      keep: 1/5s
`;
    const e = validEngine(yaml, { random: () => 0.2, clock: () => 0 });
    expect(runLogs(e, [body('sample'), body('rate'), body('rate')]).map((r) => r.body?.stringValue)).toEqual(['rate']);
  });
});

// ---------------------------------------------------------------------------
// trace keep
// ---------------------------------------------------------------------------

describe('trace keep (TraceSamplingConfig)', () => {
  const match = [{ trace_field: 'name', exists: true }];
  const withKeep = (keep: Json, id = 'p'): Json => tracePolicy({ match, keep }, id);
  // Randomness from the trace ID's last 7 bytes: all ones -> always kept below 100%.
  const HIGH_R = '0123456789abcdef00ffffffffffffff';
  const LOW_R = '0123456789abcdef0000000000000001';

  it('percentage 0 drops, 100 keeps (writing th:0)', () => {
    expect(runSpans(validEngine([withKeep({ percentage: 0 })]), [span({ traceId: HIGH_R })])).toHaveLength(0);
    const kept = runSpans(validEngine([withKeep({ percentage: 100 })]), [span({ traceId: LOW_R })]);
    expect(kept).toHaveLength(1);
    expect(kept[0].traceState).toBe('ot=th:0');
  });

  it('a percentage samples by the trace ID and writes the threshold', () => {
    const kept = runSpans(validEngine([withKeep({ percentage: 50 })]), [span({ name: 'hi', traceId: HIGH_R }), span({ name: 'lo', traceId: LOW_R })]);
    expect(kept.map((s) => [s.name, s.traceState])).toEqual([['hi', 'ot=th:8']]);
  });

  it('a percentage out of range is a compile error, and the policy is inert', () => {
    for (const percentage of [101, -1, 1000]) {
      const p = withKeep({ percentage });
      const errs = errorsFor(p);
      expect([percentage, errs.length]).toEqual([percentage, 1]);
      expect(errs[0].startsWith('trace: keep: ')).toBe(true);
      const e = new PolicyEngine({ policies: parsePolicyText(textOf([p])) });
      const kept = runSpans(e, [span({ traceId: LOW_R })]);
      expect(kept).toHaveLength(1);
      expect(kept[0].traceState).toBeUndefined();
    }
  });

  it('modes: hash_seed, proportional, equalizing (any spelling); an unknown mode is a compile error', () => {
    for (const mode of ['hash_seed', 'proportional', 'equalizing', 'SAMPLING_MODE_HASH_SEED', 'SAMPLING_MODE_PROPORTIONAL', 'SAMPLING_MODE_EQUALIZING']) {
      expect([mode, errorsFor(withKeep({ percentage: 50, mode }))]).toEqual([mode, []]);
    }
    const errs = errorsFor(withKeep({ percentage: 50, mode: 'bogus' }));
    expect(errs).toHaveLength(1);
    expect(errs[0].startsWith('trace: keep: ')).toBe(true);
  });

  it('several keep errors are all reported', () => {
    const errs = errorsFor(withKeep({ percentage: 150, mode: 'bogus' }));
    expect(errs).toHaveLength(2);
    expect(errs.every((e) => e.startsWith('trace: keep: '))).toBe(true);
  });

  it("sampling_precision / samplingPrecision sets the written threshold's digits", () => {
    const th = (keep: Json) => runSpans(validEngine([withKeep(keep)]), [span({ traceId: HIGH_R })])[0].traceState;
    // 10%: T = float64(0.9) * 2^56 = 0xe6666666666668
    expect(th({ percentage: 10 })).toBe('ot=th:e666');
    expect(th({ percentage: 10, sampling_precision: 2 })).toBe('ot=th:e6');
    expect(th({ percentage: 10, samplingPrecision: 2 })).toBe('ot=th:e6');
    expect(th({ percentage: 10, sampling_precision: 1 })).toBe('ot=th:e');
    expect(th({ percentage: 10, sampling_precision: 14 })).toBe('ot=th:e6666666666668');
    expect(th({ percentage: 10, samplingPrecision: 6 })).toBe('ot=th:e66666');
  });

  it('hash_seed / hashSeed: FNV-1a 64 over trace ID bytes || seed (u32 LE), masked to 56 bits', () => {
    const ids = Array.from({ length: 48 }, (_, i) => {
      const h = fnv1a64(new TextEncoder().encode(`trace-${i}`))
        .toString(16)
        .padStart(16, '0');
      return (h + h.split('').reverse().join('')).slice(0, 32);
    });
    const seed = 12345;
    const T = 1n << 55n; // 50%
    const seedBytes = Buffer.alloc(4);
    seedBytes.writeUInt32LE(seed);
    const expectedSeeded = ids.filter((id) => (fnv1a64(Uint8Array.from(Buffer.concat([Buffer.from(id, 'hex'), seedBytes]))) & MASK56) >= T);
    const expectedUnseeded = ids.filter((id) => BigInt(`0x${id.slice(18)}`) >= T);
    expect(expectedSeeded).not.toEqual(expectedUnseeded);
    const keptIds = (keep: Json) =>
      runSpans(
        validEngine([withKeep(keep)]),
        ids.map((traceId) => span({ traceId })),
      ).map((s) => s.traceId);
    expect(keptIds({ percentage: 50 })).toEqual(expectedUnseeded);
    expect(keptIds({ percentage: 50, hash_seed: 0 })).toEqual(expectedUnseeded);
    expect(keptIds({ percentage: 50, hash_seed: seed })).toEqual(expectedSeeded);
    expect(keptIds({ percentage: 50, hashSeed: seed })).toEqual(expectedSeeded);
    expect(keptIds({ percentage: 50, mode: 'hash_seed', hashSeed: seed })).toEqual(expectedSeeded);
  });

  it('fail_closed / failClosed: without randomness, drop by default, keep untouched when false', () => {
    const noRandomness = () => [span({ traceId: '' })];
    expect(runSpans(validEngine([withKeep({ percentage: 50 })]), noRandomness())).toHaveLength(0);
    expect(runSpans(validEngine([withKeep({ percentage: 50, fail_closed: true })]), noRandomness())).toHaveLength(0);
    expect(runSpans(validEngine([withKeep({ percentage: 50, failClosed: true })]), noRandomness())).toHaveLength(0);
    for (const keep of [
      { percentage: 50, fail_closed: false },
      { percentage: 50, failClosed: false },
    ]) {
      const kept = runSpans(validEngine([withKeep(keep)]), [span({ traceId: '', traceState: 'vendor=x' })]);
      expect(kept).toHaveLength(1);
      expect(kept[0].traceState).toBe('vendor=x');
    }
  });

  it('YAML trace keep object', () => {
    const yaml = `
policies:
  - id: sample-db
    name: Sample database spans at 10%
    trace:
      match:
        - span_attribute: ["db.system"]
          exists: true
      keep:
        percentage: 10.0
        mode: equalizing
        sampling_precision: 3
        fail_closed: false
`;
    const e = validEngine(yaml);
    const kept = runSpans(e, [span({ traceId: HIGH_R, attributes: [str('db.system', 'pg')] }), span({ traceId: LOW_R, attributes: [str('db.system', 'pg')] })]);
    expect(kept.map((s) => s.traceState)).toEqual(['ot=th:e66']);
  });
});

// ---------------------------------------------------------------------------
// metric keep
// ---------------------------------------------------------------------------

describe('metric keep (boolean)', () => {
  it('false drops, true keeps (and counts a hit)', () => {
    const e = validEngine([
      metricPolicy({ match: [{ metric_field: 'name', starts_with: 'drop.' }], keep: false }, 'drop'),
      metricPolicy({ match: [{ metric_field: 'name', starts_with: 'keep.' }], keep: true }, 'keep'),
    ]);
    expect(runMetrics(e, [gauge('drop.a'), gauge('keep.b'), gauge('other')]).map((m) => m.name)).toEqual(['keep.b', 'other']);
    expect(e.stats().map((s) => [s.policyId, s.hits, s.misses])).toEqual([
      ['drop', 1, 0],
      ['keep', 1, 0],
    ]);
  });

  it('YAML keep: false', () => {
    const yaml = `
policies:
  - id: drop-debug-metrics
    name: Drop debug metrics
    metric:
      match:
        - metric_field: METRIC_FIELD_NAME
          regex: "^debug\\\\."
      keep: false
`;
    const e = validEngine(yaml);
    expect(runMetrics(e, [gauge('debug.x'), gauge('debugx'), gauge('app.x')]).map((m) => m.name)).toEqual(['debugx', 'app.x']);
  });
});

// ---------------------------------------------------------------------------
// enabled, invalid policies among valid ones
// ---------------------------------------------------------------------------

describe('disabled policies', () => {
  it('enabled: false policies are never evaluated and count nothing', () => {
    const policies = [
      { ...logMatchPolicy({ log_field: 'body', contains: 'a' }, 'off'), enabled: false },
      { ...logMatchPolicy({ log_field: 'body', contains: 'b' }, 'on'), enabled: true },
      logMatchPolicy({ log_field: 'body', contains: 'c' }, 'default-on'),
    ];
    const e = validEngine(policies);
    expect(runLogs(e, [body('a'), body('b'), body('c'), body('abc')]).map((r) => r.body?.stringValue)).toEqual(['a']);
    const stats = Object.fromEntries(e.stats().map((s) => [s.policyId, [s.hits, s.misses]]));
    expect(stats.off ?? [0, 0]).toEqual([0, 0]);
    // 'abc' matches both enabled policies (both keep: none): the lowest ID wins the tie.
    expect(stats.on).toEqual([1, 1]);
    expect(stats['default-on']).toEqual([2, 0]);
  });

  it('a disabled policy does not take part in precedence', () => {
    // The disabled none would win over the 100% keep if it were evaluated.
    const e = validEngine([{ ...logMatchPolicy({ log_field: 'body', exists: true }, 'a-none'), enabled: false }, logPolicy({ match: [{ log_field: 'body', exists: true }], keep: '100%' }, 'b-keep')]);
    expect(runLogs(e, [body('x')])).toHaveLength(1);
  });

  it('disabled trace and metric policies are ignored, and load() counts only active ones', () => {
    const e = new PolicyEngine();
    const result = e.load(
      textOf([
        { ...tracePolicy({ match: [{ span_kind: 'server' }], keep: { percentage: 0 } }, 't'), enabled: false },
        { ...metricPolicy({ match: [{ metric_type: 'gauge' }], keep: false }, 'm'), enabled: false },
        logMatchPolicy({ log_field: 'body', exists: true }, 'l'),
      ]),
    );
    expect(result.active).toBe(1);
    expect(runSpans(e, [span()])).toHaveLength(1);
    expect(runMetrics(e, [gauge('g')])).toHaveLength(1);
  });
});

describe('an invalid policy among valid ones', () => {
  const FILE = textOf([
    logPolicy({ match: [{ log_field: 'severity_text', exact: 'DEBUG' }], keep: 'none' }, 'drop-debug'),
    // Would drop every "error" log if it ran.
    logPolicy(
      {
        match: [
          { log_attribute: [], exists: true },
          { log_field: 'body', contains: 'error' },
        ],
        keep: 'none',
      },
      'bad-empty-path',
    ),
    logPolicy({ match: [{ log_field: 'body', regex: '([bad' }], keep: 'none' }, 'bad-regex'),
    logPolicy({ match: [{ log_field: 'body', contains: 'error' }], keep: 'bogus' }, 'bad-keep'),
    logPolicy({ match: [{ log_field: 'body', contains: 'error' }], keep: 'all', transform: { redact: [{ log_attribute: 'cvv', regex: '([bad' }] } }, 'bad-redact'),
    logPolicy({ match: [{ log_attribute: 'cvv', exists: true }], transform: { redact: [{ log_attribute: 'cvv', replacement: '***' }] } }, 'redact-cvv'),
    metricPolicy({ match: [{ metric_field: 'name', regex: '([bad' }], keep: false }, 'bad-metric'),
    metricPolicy({ match: [{ metric_field: 'name', equals: 'system.load' }], keep: false }, 'drop-load'),
    tracePolicy({ match: [{ trace_field: 'name', regex: '([bad' }], keep: { percentage: 0 } }, 'bad-trace'),
    tracePolicy({ match: [{ trace_field: 'name', contains: 'health' }], keep: { percentage: 0 } }, 'drop-health'),
  ]);

  it('the valid policies still compile and run; the invalid ones are inert', () => {
    const e = new PolicyEngine({ policies: parsePolicyText(FILE) });
    const logs = runLogs(e, [body('debug', [], 'DEBUG'), body('an error', [str('cvv', '123')], 'ERROR')]);
    expect(logs).toHaveLength(1);
    expect(logs[0].body?.stringValue).toBe('an error');
    expect(logs[0].attributes).toEqual([str('cvv', '***')]);
    expect(runMetrics(e, [gauge('system.load'), gauge('system.cpu')]).map((m) => m.name)).toEqual(['system.cpu']);
    expect(runSpans(e, [span({ name: 'GET /health' }), span({ name: 'GET /users' })]).map((s) => s.name)).toEqual(['GET /users']);
  });

  it('engine.stats() lists each invalid policy with its errors and no counts', () => {
    const e = new PolicyEngine({ policies: parsePolicyText(FILE) });
    runLogs(e, [body('debug', [], 'DEBUG'), body('an error', [str('cvv', '123')], 'ERROR')]);
    const byId = Object.fromEntries(e.stats().map((s) => [s.policyId, s]));
    expect(byId['bad-empty-path'].errors).toEqual(['log: match[0]: attribute has empty path']);
    expect(byId['bad-regex'].errors).toEqual(['log: match[0]: invalid regex "([bad"']);
    expect(byId['bad-keep'].errors).toEqual(['log: keep: invalid value "bogus"']);
    expect(byId['bad-redact'].errors).toEqual(['log: transform: redact[0]: invalid regex "([bad"']);
    expect(byId['bad-metric'].errors).toEqual(['metric: match[0]: invalid regex "([bad"']);
    expect(byId['bad-trace'].errors).toEqual(['trace: match[0]: invalid regex "([bad"']);
    for (const id of ['bad-empty-path', 'bad-regex', 'bad-keep', 'bad-redact', 'bad-metric', 'bad-trace']) {
      expect([id, byId[id].hits, byId[id].misses]).toEqual([id, 0, 0]);
    }
    for (const id of ['drop-debug', 'redact-cvv', 'drop-load', 'drop-health']) expect([id, byId[id].errors]).toEqual([id, []]);
    expect(byId['drop-debug'].hits).toBe(1);
    expect(byId['redact-cvv'].hits).toBe(1);
  });

  it('compilePolicies(...).errors lists exactly the invalid policies', () => {
    expect(errorsOf(FILE)).toEqual({
      'bad-empty-path': ['log: match[0]: attribute has empty path'],
      'bad-regex': ['log: match[0]: invalid regex "([bad"'],
      'bad-keep': ['log: keep: invalid value "bogus"'],
      'bad-redact': ['log: transform: redact[0]: invalid regex "([bad"'],
      'bad-metric': ['metric: match[0]: invalid regex "([bad"'],
      'bad-trace': ['trace: match[0]: invalid regex "([bad"'],
    });
  });

  it('load() reports the errors and the active count', () => {
    const e = new PolicyEngine();
    const result = e.load(FILE);
    expect(result.active).toBe(4);
    expect([...result.errors.keys()].sort()).toEqual(['bad-empty-path', 'bad-keep', 'bad-metric', 'bad-redact', 'bad-regex', 'bad-trace']);
  });

  it('the same works from YAML', () => {
    const yaml = `
policies:
  - id: bad
    name: bad
    log:
      match:
        - log_attribute: []
          exists: true
      keep: none
  - id: good
    name: good
    log:
      match:
        - log_field: body
          contains: drop
      keep: none
`;
    expect(errorsOf(yaml)).toEqual({ bad: ['log: match[0]: attribute has empty path'] });
    const e = new PolicyEngine({ policies: parsePolicyText(yaml) });
    expect(runLogs(e, [body('drop'), body('keep', [str('x', '')])]).map((r) => r.body?.stringValue)).toEqual(['keep']);
  });
});

describe('several errors in one policy', () => {
  it('are all reported, in field order', () => {
    const p = logPolicy({
      match: [
        { log_attribute: [], exists: true },
        { log_field: 'body', regex: '([bad' },
        { log_field: 'body', contains: 'fine' },
        { resource_attribute: { path: [] }, exists: true },
      ],
      keep: 'bogus',
      transform: { redact: [{ log_attribute: 'ok' }, { log_attribute: 'b', regex: '([bad' }] },
    });
    expect(errorsFor(p)).toEqual([
      'log: match[0]: attribute has empty path',
      'log: match[1]: invalid regex "([bad"',
      'log: match[3]: attribute has empty path',
      'log: keep: invalid value "bogus"',
      'log: transform: redact[1]: invalid regex "([bad"',
    ]);
  });

  it('transform errors follow the stage order remove, redact, rename, add', () => {
    const p = logPolicy({
      match: [{ log_field: 'body', exists: true }],
      transform: {
        remove: [{ log_attribute: [] }],
        redact: [{ log_attribute: 'x', regex: '([bad' }],
        rename: [{ from_log_attribute: 'a', to: '' }],
        add: [{ log_attribute: { path: [] }, value: 'v' }],
      },
    });
    const errs = errorsFor(p);
    expect(errs).toHaveLength(4);
    expect(errs[0].startsWith('log: transform: remove[0]: ')).toBe(true);
    expect(errs[1]).toBe('log: transform: redact[0]: invalid regex "([bad"');
    expect(errs[2].startsWith('log: transform: rename[0]: ')).toBe(true);
    expect(errs[3].startsWith('log: transform: add[0]: ')).toBe(true);
  });

  it('metric and trace policies report every matcher error too', () => {
    expect(
      errorsFor(
        metricPolicy({
          match: [
            { metric_field: 'name', regex: '([bad' },
            { datapoint_attribute: [], exists: true },
            { metric_field: 'unit', regex: '([bad' },
          ],
          keep: false,
        }),
      ),
    ).toEqual(['metric: match[0]: invalid regex "([bad"', 'metric: match[1]: attribute has empty path', 'metric: match[2]: invalid regex "([bad"']);
    expect(
      errorsFor(
        tracePolicy({
          match: [
            { span_attribute: [], exists: true },
            { trace_field: 'name', regex: '([bad' },
          ],
          keep: { percentage: 50 },
        }),
      ),
    ).toEqual(['trace: match[0]: attribute has empty path', 'trace: match[1]: invalid regex "([bad"']);
  });
});

describe('transform validation', () => {
  it('rename with an empty or missing `to` is a compile error', () => {
    for (const rename of [{ from_log_attribute: 'a', to: '' }, { fromLogAttribute: 'a', to: '' }, { from_log_attribute: 'a' }, { from_resource_attribute: ['a'], to: '', upsert: true }]) {
      const errs = errorsFor(logPolicy({ match: [{ log_field: 'body', exists: true }], transform: { rename: [rename] } }));
      expect([rename, errs.length]).toEqual([rename, 1]);
      expect(errs[0].startsWith('log: transform: rename[0]: ')).toBe(true);
    }
  });

  it('a policy with a rename error is inert: nothing is renamed and its keep does not apply', () => {
    const p = logPolicy({ match: [{ log_field: 'body', exists: true }], keep: 'none', transform: { rename: [{ from_log_attribute: 'a', to: '' }] } });
    const e = new PolicyEngine({ policies: parsePolicyText(textOf([p])) });
    const kept = runLogs(e, [body('x', [str('a', 'v')])]);
    expect(kept).toHaveLength(1);
    expect(kept[0].attributes).toEqual([str('a', 'v')]);
  });

  it('a transform without a field selector is a compile error', () => {
    const errs = errorsFor(logPolicy({ match: [{ log_field: 'body', exists: true }], transform: { add: [{ value: 'v' }] } }));
    expect(errs).toHaveLength(1);
    expect(errs[0].startsWith('log: transform: add[0]: ')).toBe(true);
  });
});

describe('unreadable policy documents: what, and where', () => {
  const fail = (text: string): PolicyParseError => {
    try {
      parsePolicyText(text, { source: 'p.yaml' });
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyParseError);
      return err as PolicyParseError;
    }
    throw new Error('expected a PolicyParseError');
  };

  it('gives the line and column of a JSON or YAML syntax error', () => {
    expect(fail('{\n  "policies": [\n    {"id": "a",\n')).toMatchObject({ reason: 'invalid JSON: expected a property name in double quotes', position: { line: 4, col: 1 }, source: 'p.yaml' });
    expect(fail('{"policies": [}').position).toEqual({ line: 1, col: 15 });
    const tabs = fail('policies:\n\t- id: x\n');
    expect(tabs.reason).toMatch(/^invalid YAML: Tabs are not allowed/);
    expect(tabs.position).toEqual({ line: 2, col: 1 });
    expect(tabs.message).toBe(`cannot parse policies (p.yaml): line 2, column 1: ${tabs.reason}`);
  });

  it('refuses documents that are not policy lists, saying what was found', () => {
    expect(fail('[1, 2]').reason).toBe('policies[0] must be a policy object, got a number');
    expect(fail('policies: "x"\n').reason).toBe('"policies" must be a list, got a string');
    expect(fail('just text\n').reason).toBe('the document must be an object with a "policies" list, got a string');
  });

  it('reads a file with a byte order mark; a YAML tag outside the core schema leaves an invalid (inert) policy, not a crash', () => {
    expect(parsePolicyText('\uFEFFpolicies: []\n').policies).toEqual([]);
    expect(parsePolicyText('\uFEFF{"policies": []}').policies).toEqual([]);
    expect(parsePolicyText('policies:\n  - id: !!binary a\n    name: n\n    log: { match: [{ log_field: body, exists: true }], keep: none }\n').policies[0].problems).toEqual(['policy has no id']);
  });

  it('refuses YAML nested deeper than MAX_YAML_DEPTH before the YAML library recurses over it, with the position', () => {
    const flow = fail(`policies: ${'['.repeat(100_000)}`);
    expect(flow.reason).toBe(`invalid YAML: nested more than ${MAX_YAML_DEPTH} levels deep`);
    expect(flow.position).toEqual({ line: 1, col: 11 + MAX_YAML_DEPTH });
    expect(fail(`policies:\n  ${'- '.repeat(100_000)}x\n`).reason).toMatch(/nested more than/);
    // Invalid JSON that deep is not handed to a recursive parser either.
    const json = fail(`{"policies": [${'['.repeat(100_000)}`);
    expect(json.reason).toBe(`invalid JSON: nested more than ${MAX_LOCATE_DEPTH} levels deep`);
    expect(json.position).toEqual({ line: 1, col: 13 + MAX_LOCATE_DEPTH });
    // Brackets in quotes, comments and plain scalars do not count.
    const text = `policies:\n  - id: a # ${'['.repeat(500)}\n    name: "${'{'.repeat(500)}"\n    description: x${'['.repeat(500)}\n    log: { match: [{ log_field: body, regex: '${'['.repeat(500)}' }], keep: none }\n`;
    expect(parsePolicyText(text).policies[0].id).toBe('a');
  });

  it('a YAML error and then deeply nested text, in one process: an error each time (the YAML library once made V8 abort here)', () => {
    expect(fail('  "policies":\n  - "id": x\n - y\n').reason).toMatch(/^invalid YAML/);
    expect(fail(`${'['.repeat(9_000)}"x": 1,\n`).reason).toMatch(/^invalid JSON: nested more than/);
    expect(fail(`k: ${'['.repeat(9_000)}`).reason).toMatch(/^invalid YAML: nested more than/);
  });

  it('keeps a policy nested deeper than MAX_POLICY_DEPTH as invalid and inert (its id kept), not a crash', () => {
    const deep = `${'{"a": '.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const set = parsePolicyText(
      `{"policies": [{"id": "deep", "name": "d", "log": {"match": [{"log_field": "body", "regex": ${deep}}], "keep": "none"}}, {"id": "ok", "name": "o", "log": {"match": [{"log_field": "body", "exact": "x"}], "keep": "none"}}]}`,
    );
    expect(set.policies[0].id).toBe('deep');
    expect(set.policies[0].problems[0]).toMatch(new RegExp(`^policy nested more than ${MAX_POLICY_DEPTH} levels deep \\(at log\\.match\\[0\\]\\.regex\\.a\\.a`));
    expect(set.policies[1].problems).toEqual([]);
    // A YAML alias that refers to its own node: a cycle, refused the same way.
    const cyclic = parsePolicyText('policies:\n  - &p\n    id: cyc\n    name: c\n    log: { match: [{ log_field: body, exists: true }], keep: none }\n    self: *p\n');
    expect(cyclic.policies[0].problems[0]).toMatch(/^policy nested more than/);
  });
});
