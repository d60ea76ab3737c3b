/**
 * Log transforms through PolicyEngine + applyToLogs (OTLP/JSON): remove,
 * redact, rename and add on record, resource and scope attributes and on
 * body / severity_text; nested paths; upsert; attribute order; execution
 * order within and across policies; transforms only on kept records; regex
 * redaction templates; transform stats.
 */
import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '@otel-policy/core';
import { applyToLogs, type LogsData } from '@otel-policy/adapters';

type Json = Record<string, unknown>;

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  kvlistValue?: { values: KV[] };
  arrayValue?: { values: AnyValue[] };
}
interface KV {
  key: string;
  value?: AnyValue;
}

const S = (s: string): AnyValue => ({ stringValue: s });
const I = (n: number | string): AnyValue => ({ intValue: n });
const M = (...values: KV[]): AnyValue => ({ kvlistValue: { values } });
const kv = (key: string, value: AnyValue): KV => ({ key, value });

interface Rec {
  body?: AnyValue | string;
  severity?: string;
  attrs?: KV[];
}

interface LogRecordJson {
  body?: AnyValue;
  severityText?: string;
  attributes?: KV[];
  [k: string]: unknown;
}

function recordOf(r: Rec): LogRecordJson {
  const rec: LogRecordJson = {};
  if (r.severity !== undefined) rec.severityText = r.severity;
  if (r.body !== undefined) rec.body = typeof r.body === 'string' ? S(r.body) : r.body;
  rec.attributes = r.attrs ?? [];
  return rec;
}

interface Fixture {
  engine: PolicyEngine;
  data: LogsData;
  /** References to the input records (still valid after applyToLogs, even for dropped ones). */
  records: LogRecordJson[];
  resource: { attributes?: KV[] };
  scope: { name?: string; attributes?: KV[] };
}

interface EngineOpts {
  clock?: () => number;
  random?: () => number;
}

function engineOf(policies: Json[], opts: EngineOpts = {}): PolicyEngine {
  const engine = new PolicyEngine({ policies: JSON.stringify({ policies }), ...opts });
  expect(engine.stats().filter((s) => s.errors.length > 0)).toEqual([]);
  return engine;
}

function logPolicy(id: string, log: Json, extra: Json = {}): Json {
  return { id, name: id, ...extra, log };
}

/** A policy matching records whose body starts with `prefix` (default: every test record). */
function tx(id: string, transform: Json, extra: Json = {}, prefix = 'm'): Json {
  return logPolicy(id, { match: [{ log_field: 'body', starts_with: prefix }], keep: 'all', transform, ...extra });
}

function run(policies: Json[] | PolicyEngine, recs: Rec[], where: { resource?: KV[]; scope?: KV[] } = {}, opts: EngineOpts = {}): Fixture {
  const engine = policies instanceof PolicyEngine ? policies : engineOf(policies, opts);
  const records = recs.map(recordOf);
  const resource = { attributes: where.resource ?? [] };
  const scope = { name: 'scope', attributes: where.scope ?? [] };
  const data = { resourceLogs: [{ resource, scopeLogs: [{ scope, logRecords: [...records] }] }] } as unknown as LogsData;
  applyToLogs(engine, data);
  return { engine, data, records, resource, scope };
}

/** Attributes as [key, value] pairs, value simplified, in order. */
function pairs(list: KV[] | undefined): [string, unknown][] {
  return (list ?? []).map((a) => [a.key, simplify(a.value)]);
}

function simplify(v: AnyValue | undefined): unknown {
  if (v === undefined) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return { int: String(v.intValue) };
  if (v.doubleValue !== undefined) return { double: v.doubleValue };
  if (v.boolValue !== undefined) return { bool: v.boolValue };
  if (v.kvlistValue !== undefined) return Object.fromEntries(pairs(v.kvlistValue.values));
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(simplify);
  return v;
}

function keptCount(data: LogsData): number {
  let n = 0;
  for (const rl of (data as unknown as { resourceLogs: { scopeLogs: { logRecords: unknown[] }[] }[] }).resourceLogs) {
    for (const sl of rl.scopeLogs) n += sl.logRecords.length;
  }
  return n;
}

function txStats(engine: PolicyEngine, id: string) {
  const s = engine.stats().find((p) => p.policyId === id);
  if (!s) throw new Error(`no stats for ${id}`);
  return { remove: s.remove, redact: s.redact, rename: s.rename, add: s.add };
}

const zero = { hits: 0, misses: 0 };

// ---------------------------------------------------------------------------

type AttrSel = 'log_attribute' | 'resource_attribute' | 'scope_attribute';

describe.each<AttrSel>(['log_attribute', 'resource_attribute', 'scope_attribute'])('%s transforms', (sel) => {
  /** Run with `attrs` placed in the scope under test; return that scope's attributes after. */
  const go = (transform: Json, attrs: KV[]): { after: [string, unknown][]; fx: Fixture } => {
    const fx = run([tx('p', transform)], [{ body: 'msg', attrs: sel === 'log_attribute' ? attrs : [] }], {
      resource: sel === 'resource_attribute' ? attrs : [],
      scope: sel === 'scope_attribute' ? attrs : [],
    });
    const list = sel === 'log_attribute' ? fx.records[0].attributes : sel === 'resource_attribute' ? fx.resource.attributes : fx.scope.attributes;
    return { after: pairs(list), fx };
  };
  const base = () => [kv('a', S('1')), kv('b', S('2')), kv('c', S('3'))];
  const from = `from_${sel}`;

  it('remove deletes the key and keeps the order of the others', () => {
    const { after, fx } = go({ remove: [{ [sel]: 'b' }] }, base());
    expect(after).toEqual([
      ['a', '1'],
      ['c', '3'],
    ]);
    expect(txStats(fx.engine, 'p').remove).toEqual({ hits: 1, misses: 0 });
  });

  it('remove of a missing key is a no-op (miss)', () => {
    const { after, fx } = go({ remove: [{ [sel]: 'zz' }] }, base());
    expect(after).toEqual(pairs(base()));
    expect(txStats(fx.engine, 'p').remove).toEqual({ hits: 0, misses: 1 });
  });

  it('redact without replacement writes [REDACTED] in place', () => {
    const { after, fx } = go({ redact: [{ [sel]: 'b' }] }, base());
    expect(after).toEqual([
      ['a', '1'],
      ['b', '[REDACTED]'],
      ['c', '3'],
    ]);
    expect(txStats(fx.engine, 'p').redact).toEqual({ hits: 1, misses: 0 });
  });

  it('redact with a replacement replaces the whole value, whatever its type', () => {
    const { after } = go(
      {
        redact: [
          { [sel]: 'a', replacement: '***' },
          { [sel]: 'n', replacement: '<num>' },
        ],
      },
      [kv('a', S('secret value')), kv('n', I(42))],
    );
    expect(after).toEqual([
      ['a', '***'],
      ['n', '<num>'],
    ]);
  });

  it('redact of a missing key does not create it (miss)', () => {
    const { after, fx } = go({ redact: [{ [sel]: 'zz' }] }, base());
    expect(after).toEqual(pairs(base()));
    expect(txStats(fx.engine, 'p').redact).toEqual({ hits: 0, misses: 1 });
  });

  it('rename removes the old key and appends the new one, keeping the value and its type', () => {
    const { after, fx } = go({ rename: [{ [from]: 'a', to: 'z' }] }, [kv('a', I(7)), kv('b', S('2')), kv('c', S('3'))]);
    expect(after).toEqual([
      ['b', '2'],
      ['c', '3'],
      ['z', { int: '7' }],
    ]);
    expect(txStats(fx.engine, 'p').rename).toEqual({ hits: 1, misses: 0 });
  });

  it('rename accepts the nested "from" spelling', () => {
    const { after } = go({ rename: [{ from: { [sel]: ['a'] }, to: 'z' }] }, base());
    expect(after).toEqual([
      ['b', '2'],
      ['c', '3'],
      ['z', '1'],
    ]);
  });

  it('rename of a missing key is a no-op and does not create the target (miss)', () => {
    const { after, fx } = go({ rename: [{ [from]: 'zz', to: 'y', upsert: true }] }, base());
    expect(after).toEqual(pairs(base()));
    expect(txStats(fx.engine, 'p').rename).toEqual({ hits: 0, misses: 1 });
  });

  it('rename onto an existing target without upsert moves nothing', () => {
    for (const t of [{}, { upsert: false }]) {
      const { after } = go({ rename: [{ [from]: 'a', to: 'c', ...t }] }, base());
      expect(after).toEqual(pairs(base()));
    }
  });

  it('rename onto an existing target with upsert overwrites it in place and removes the source', () => {
    const { after } = go({ rename: [{ [from]: 'a', to: 'c', upsert: true }] }, [kv('a', S('new')), kv('b', S('2')), kv('c', S('old')), kv('d', S('4'))]);
    expect(after).toEqual([
      ['b', '2'],
      ['c', 'new'],
      ['d', '4'],
    ]);
  });

  it('add appends a new key with a string value', () => {
    const { after, fx } = go({ add: [{ [sel]: 'z', value: 'added' }] }, base());
    expect(after).toEqual([...pairs(base()), ['z', 'added']]);
    expect(txStats(fx.engine, 'p').add).toEqual({ hits: 1, misses: 0 });
  });

  it('add onto an existing key without upsert (the default) leaves it alone', () => {
    for (const t of [{}, { upsert: false }]) {
      const { after } = go({ add: [{ [sel]: 'b', value: 'added', ...t }] }, base());
      expect(after).toEqual(pairs(base()));
    }
  });

  it('add with upsert overwrites an existing key in place', () => {
    const { after } = go({ add: [{ [sel]: 'b', value: 'added', upsert: true }] }, [kv('a', S('1')), kv('b', I(2)), kv('c', S('3'))]);
    expect(after).toEqual([
      ['a', '1'],
      ['b', 'added'],
      ['c', '3'],
    ]);
  });

  it('add creates the attribute list when there is none', () => {
    const { after } = go({ add: [{ [sel]: 'z', value: 'v' }] }, []);
    expect(after).toEqual([['z', 'v']]);
  });

  it('regex redact on this scope replaces every match', () => {
    const { after } = go({ redact: [{ [sel]: 'b', regex: '[0-9]', replacement: '#' }] }, [kv('b', S('a1b22c333'))]);
    expect(after).toEqual([['b', 'a#b##c###']]);
  });
});

describe('body and severity_text', () => {
  it('remove body and severity_text', () => {
    const fx = run([tx('p', { remove: [{ log_field: 'body' }, { log_field: 'severity_text' }] })], [{ body: 'msg', severity: 'INFO', attrs: [kv('a', S('1'))] }]);
    expect(fx.records[0].body).toBeUndefined();
    expect(fx.records[0].severityText ?? '').toBe('');
    expect(pairs(fx.records[0].attributes)).toEqual([['a', '1']]);
    expect(txStats(fx.engine, 'p').remove).toEqual({ hits: 2, misses: 0 });
    expect(keptCount(fx.data)).toBe(1);
  });

  it('remove severity_text when absent is a miss', () => {
    const fx = run([tx('p', { remove: [{ log_field: 'severity_text' }] })], [{ body: 'msg' }]);
    expect(fx.records[0].severityText ?? '').toBe('');
    expect(txStats(fx.engine, 'p').remove).toEqual({ hits: 0, misses: 1 });
  });

  it('redact body and severity_text (literal)', () => {
    const fx = run([tx('p', { redact: [{ log_field: 'body' }, { log_field: 'LOG_FIELD_SEVERITY_TEXT', replacement: 'LEVEL' }] })], [{ body: 'msg with secret', severity: 'DEBUG' }]);
    expect(fx.records[0].body).toEqual(S('[REDACTED]'));
    expect(fx.records[0].severityText).toBe('LEVEL');
  });

  it('literal redact replaces a non-string body with the replacement', () => {
    const fx = run(
      [logPolicy('p', { match: [{ log_attribute: 'sel', exact: 'y' }], transform: { redact: [{ log_field: 'body', replacement: 'gone' }] } })],
      [{ body: M(kv('user', S('alice'))), attrs: [kv('sel', S('y'))] }],
    );
    expect(fx.records[0].body).toEqual(S('gone'));
  });

  it('redact of an absent severity_text does not create it', () => {
    const fx = run([tx('p', { redact: [{ log_field: 'severity_text' }] })], [{ body: 'msg' }]);
    expect(fx.records[0].severityText ?? '').toBe('');
    expect(txStats(fx.engine, 'p').redact).toEqual({ hits: 0, misses: 1 });
  });

  it('regex redact on the body', () => {
    const fx = run([tx('p', { redact: [{ log_field: 'body', regex: 'api_key=[A-Za-z0-9]+', replacement: 'api_key=[REDACTED]' }] })], [{ body: 'msg login api_key=abc123 ok api_key=zz9' }]);
    expect(fx.records[0].body).toEqual(S('msg login api_key=[REDACTED] ok api_key=[REDACTED]'));
  });

  it('add body / severity_text when absent', () => {
    const fx = run(
      [
        logPolicy('p', {
          match: [{ log_attribute: 'sel', exact: 'y' }],
          transform: {
            add: [
              { log_field: 'body', value: '[no body]' },
              { log_field: 'severity_text', value: 'INFO' },
            ],
          },
        }),
      ],
      [{ attrs: [kv('sel', S('y'))] }],
    );
    expect(fx.records[0].body).toEqual(S('[no body]'));
    expect(fx.records[0].severityText).toBe('INFO');
  });

  it('add body / severity_text without upsert leaves existing values alone', () => {
    const fx = run(
      [
        tx('p', {
          add: [
            { log_field: 'body', value: 'replaced' },
            { log_field: 'severity_text', value: 'WARN', upsert: false },
          ],
        }),
      ],
      [{ body: 'msg original', severity: 'INFO' }],
    );
    expect(fx.records[0].body).toEqual(S('msg original'));
    expect(fx.records[0].severityText).toBe('INFO');
  });

  it('add body / severity_text with upsert overwrites', () => {
    const fx = run(
      [
        tx('p', {
          add: [
            { log_field: 'body', value: 'replaced', upsert: true },
            { log_field: 'severity_text', value: 'WARN', upsert: true },
          ],
        }),
      ],
      [{ body: 'msg original', severity: 'INFO' }],
    );
    expect(fx.records[0].body).toEqual(S('replaced'));
    expect(fx.records[0].severityText).toBe('WARN');
  });
});

describe('nested attribute paths', () => {
  const http = () => [kv('http', M(kv('request', M(kv('method', S('POST')), kv('url', S('/api')), kv('token', S('Bearer abc')))), kv('status', I(200)))), kv('user_id', S('u1'))];

  it('remove a nested key keeps its siblings and parents', () => {
    const fx = run([tx('p', { remove: [{ log_attribute: ['http', 'request', 'method'] }] })], [{ body: 'msg', attrs: http() }]);
    expect(simplify(fx.records[0].attributes![0].value)).toEqual({ request: { url: '/api', token: 'Bearer abc' }, status: { int: '200' } });
    expect(pairs(fx.records[0].attributes).map(([k]) => k)).toEqual(['http', 'user_id']);
    expect(txStats(fx.engine, 'p').remove).toEqual({ hits: 1, misses: 0 });
  });

  it('redact a nested key in place (literal and regex), with the {path} spelling', () => {
    const fx = run(
      [
        tx('p', {
          redact: [{ log_attribute: { path: ['http', 'request', 'token'] }, regex: '(?i)^(bearer\\s+).+$', replacement: '$1[REDACTED]' }, { log_attribute: ['http', 'request', 'url'] }],
        }),
      ],
      [{ body: 'msg', attrs: http() }],
    );
    expect(simplify(fx.records[0].attributes![0].value)).toEqual({
      request: { method: 'POST', url: '[REDACTED]', token: 'Bearer [REDACTED]' },
      status: { int: '200' },
    });
  });

  it('add into an existing nested map appends there; upsert rules apply', () => {
    const fx = run(
      [
        tx('p', {
          add: [
            { log_attribute: ['http', 'request', 'id'], value: 'r-1' },
            { log_attribute: ['http', 'request', 'method'], value: 'GET' },
            { log_attribute: ['http', 'request', 'url'], value: '/redacted', upsert: true },
          ],
        }),
      ],
      [{ body: 'msg', attrs: http() }],
    );
    const req = fx.records[0].attributes![0].value!.kvlistValue!.values[0].value!.kvlistValue!.values;
    expect(pairs(req)).toEqual([
      ['method', 'POST'],
      ['url', '/redacted'],
      ['token', 'Bearer abc'],
      ['id', 'r-1'],
    ]);
  });

  it('nested remove/redact through a missing or non-map parent is a no-op', () => {
    const before = http();
    const fx = run(
      [tx('p', { remove: [{ log_attribute: ['user_id', 'x'] }, { log_attribute: ['nope', 'x'] }], redact: [{ log_attribute: ['http', 'status', 'code'] }] })],
      [{ body: 'msg', attrs: http() }],
    );
    expect(pairs(fx.records[0].attributes)).toEqual(pairs(before));
    expect(txStats(fx.engine, 'p').remove).toEqual({ hits: 0, misses: 2 });
    expect(txStats(fx.engine, 'p').redact).toEqual({ hits: 0, misses: 1 });
  });

  it('rename a nested key moves its value to a top-level key of the same scope (reference behaviour)', () => {
    const fx = run([tx('p', { rename: [{ from_log_attribute: ['http', 'request', 'method'], to: 'http.method' }] })], [{ body: 'msg', attrs: http() }]);
    expect(pairs(fx.records[0].attributes).map(([k]) => k)).toEqual(['http', 'user_id', 'http.method']);
    expect(simplify(fx.records[0].attributes![2].value)).toBe('POST');
    expect(simplify(fx.records[0].attributes![0].value)).toEqual({ request: { url: '/api', token: 'Bearer abc' }, status: { int: '200' } });
  });

  it('a dotted string path is one key, not a nested path', () => {
    const fx = run([tx('p', { remove: [{ log_attribute: 'http.request.method' }] })], [{ body: 'msg', attrs: [...http(), kv('http.request.method', S('flat'))] }]);
    expect(pairs(fx.records[0].attributes).map(([k]) => k)).toEqual(['http', 'user_id']);
    expect((simplify(fx.records[0].attributes![0].value) as { request: { method: string } }).request.method).toBe('POST');
  });
});

describe('execution order within a policy: remove, redact, rename, add', () => {
  // The transform lists are written in reverse stage order on purpose.
  it('remove runs before redact, rename and add', () => {
    const fx = run(
      [
        tx('p', {
          add: [{ log_attribute: 'a', value: 'added' }],
          rename: [{ from_log_attribute: 'b', to: 'a' }],
          redact: [{ log_attribute: 'a' }],
          remove: [{ log_attribute: 'a' }],
        }),
      ],
      [{ body: 'msg', attrs: [kv('a', S('secret')), kv('b', S('v'))] }],
    );
    // remove a; redact finds nothing; rename b -> a (a is free); add sees a and does nothing.
    expect(pairs(fx.records[0].attributes)).toEqual([['a', 'v']]);
    const st = txStats(fx.engine, 'p');
    expect(st.remove).toEqual({ hits: 1, misses: 0 });
    expect(st.redact).toEqual({ hits: 0, misses: 1 });
    expect(st.rename).toEqual({ hits: 1, misses: 0 });
  });

  it('redact runs before rename (the renamed value is redacted)', () => {
    const fx = run([tx('p', { rename: [{ from_log_attribute: 'c', to: 'd' }], redact: [{ log_attribute: 'c' }] })], [{ body: 'msg', attrs: [kv('c', S('secret'))] }]);
    expect(pairs(fx.records[0].attributes)).toEqual([['d', '[REDACTED]']]);
  });

  it('rename runs before add (add without upsert then sees the renamed key)', () => {
    const fx = run([tx('p', { add: [{ log_attribute: 'd', value: 'added' }], rename: [{ from_log_attribute: 'c', to: 'd' }] })], [{ body: 'msg', attrs: [kv('c', S('orig'))] }]);
    expect(pairs(fx.records[0].attributes)).toEqual([['d', 'orig']]);
  });

  it('remove runs before add (add recreates the removed key)', () => {
    const fx = run([tx('p', { add: [{ log_attribute: 'x', value: 'new' }], remove: [{ log_attribute: 'x' }] })], [{ body: 'msg', attrs: [kv('x', S('old')), kv('y', S('1'))] }]);
    expect(pairs(fx.records[0].attributes)).toEqual([
      ['y', '1'],
      ['x', 'new'],
    ]);
  });

  it('redact runs before add (a value added in the same policy is not redacted)', () => {
    const fx = run([tx('p', { add: [{ log_field: 'body', value: 'token=1', upsert: true }], redact: [{ log_field: 'body', regex: 'token=\\d', replacement: 'token=?' }] })], [{ body: 'msg token=9' }]);
    expect(fx.records[0].body).toEqual(S('token=1'));
  });

  it('operations of one stage run in list order', () => {
    const fx = run(
      [
        tx('p', {
          rename: [
            { from_log_attribute: 'a', to: 'b' },
            { from_log_attribute: 'b', to: 'c' },
          ],
          add: [
            { log_attribute: 'n', value: '1' },
            { log_attribute: 'n', value: '2', upsert: true },
          ],
        }),
      ],
      [{ body: 'msg', attrs: [kv('a', S('v'))] }],
    );
    expect(pairs(fx.records[0].attributes)).toEqual([
      ['c', 'v'],
      ['n', '2'],
    ]);
  });
});

describe('execution order across policies: policy by policy, in ID order', () => {
  it('all stages of one policy run before the next policy (not all removes first)', () => {
    const fx = run([tx('b-remove', { remove: [{ log_attribute: 'x' }] }), tx('a-add', { add: [{ log_attribute: 'x', value: 'from-a' }] })], [{ body: 'msg' }]);
    // a-add adds x, then b-remove removes it.
    expect(pairs(fx.records[0].attributes)).toEqual([]);
    expect(txStats(fx.engine, 'a-add').add).toEqual({ hits: 1, misses: 0 });
    expect(txStats(fx.engine, 'b-remove').remove).toEqual({ hits: 1, misses: 0 });
  });

  it('the later policy in ID order sees and overrides the earlier one', () => {
    const fx = run(
      [
        tx('b', { add: [{ log_attribute: 'x', value: 'B', upsert: true }] }),
        tx('a', {
          add: [
            { log_attribute: 'x', value: 'A', upsert: true },
            { log_attribute: 'y', value: 'token=123' },
          ],
        }),
        tx('c', { redact: [{ log_attribute: 'y', regex: '\\d+', replacement: 'N' }] }),
      ],
      [{ body: 'msg' }],
    );
    expect(pairs(fx.records[0].attributes)).toEqual([
      ['x', 'B'],
      ['y', 'token=N'],
    ]);
  });

  it('ID order is byte-wise: "Z" before "a", "p10" before "p9"', () => {
    const fx = run(
      [
        tx('p9', { add: [{ log_attribute: 'num', value: 'p9', upsert: true }] }),
        tx('p10', { add: [{ log_attribute: 'num', value: 'p10', upsert: true }] }),
        tx('a', { add: [{ log_attribute: 'case', value: 'a', upsert: true }] }),
        tx('Z', { add: [{ log_attribute: 'case', value: 'Z', upsert: true }] }),
      ],
      [{ body: 'msg' }],
    );
    // "Z" (0x5a) < "a" (0x61) < "p10" < "p9".
    expect(pairs(fx.records[0].attributes)).toEqual([
      ['case', 'a'],
      ['num', 'p9'],
    ]);
  });

  it('a rename in one policy is seen by the next', () => {
    const fx = run([tx('a', { rename: [{ from_log_attribute: 'x', to: 'y' }] }), tx('b', { rename: [{ from_log_attribute: 'y', to: 'z' }] })], [{ body: 'msg', attrs: [kv('x', S('v'))] }]);
    expect(pairs(fx.records[0].attributes)).toEqual([['z', 'v']]);
  });
});

describe('transforms run only on kept records', () => {
  const marker = (id: string, extra: Json = {}, prefix = 'm') => tx(id, { add: [{ log_attribute: `by-${id}`, value: '1' }] }, extra, prefix);

  it('a record dropped by another policy is not transformed', () => {
    const fx = run([marker('a'), logPolicy('b-drop', { match: [{ log_field: 'body', exact: 'msg drop' }], keep: 'none' })], [{ body: 'msg drop' }, { body: 'msg keep' }]);
    expect(pairs(fx.records[0].attributes)).toEqual([]);
    expect(pairs(fx.records[1].attributes)).toEqual([['by-a', '1']]);
    expect(keptCount(fx.data)).toBe(1);
    expect(txStats(fx.engine, 'a').add).toEqual({ hits: 1, misses: 0 });
  });

  it('a record sampled out (unkeyed) is not transformed; a kept one is, by every matching policy', () => {
    const draws = [0.99, 0.01];
    let i = 0;
    const fx = run([marker('a'), marker('b', { keep: '50%' })], [{ body: 'msg 1' }, { body: 'msg 2' }], {}, { random: () => draws[i++] });
    expect(pairs(fx.records[0].attributes)).toEqual([]);
    expect(pairs(fx.records[1].attributes)).toEqual([
      ['by-a', '1'],
      ['by-b', '1'],
    ]);
    expect(keptCount(fx.data)).toBe(1);
    expect(txStats(fx.engine, 'a').add).toEqual({ hits: 1, misses: 0 });
    expect(txStats(fx.engine, 'b').add).toEqual({ hits: 1, misses: 0 });
  });

  it('records sampled out by a keyed sample are not transformed', () => {
    const engine = engineOf([marker('s', { keep: '50%', sample_key: { log_attribute: 'k' } })]);
    const recs = Array.from({ length: 200 }, (_, n) => ({ body: `msg ${n}`, attrs: [kv('k', S(`key-${n}`))] }));
    const fx = run(engine, recs);
    const kept = keptCount(fx.data);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(200);
    const transformed = fx.records.filter((r) => r.attributes!.some((a) => a.key === 'by-s')).length;
    expect(transformed).toBe(kept);
    expect(txStats(engine, 's').add).toEqual({ hits: kept, misses: 0 });
  });

  it('a record kept by a rate limit is transformed; a rate-limited one is not', () => {
    const now = 1_000_000;
    const fx = run([marker('rl', { keep: '2/m' })], [{ body: 'msg 1' }, { body: 'msg 2' }, { body: 'msg 3' }], {}, { clock: () => now });
    expect(fx.records.map((r) => pairs(r.attributes))).toEqual([[['by-rl', '1']], [['by-rl', '1']], []]);
    expect(keptCount(fx.data)).toBe(2);
    expect(txStats(fx.engine, 'rl').add).toEqual({ hits: 2, misses: 0 });
  });

  it('a policy that does not match does not transform', () => {
    const fx = run([marker('a', {}, 'other')], [{ body: 'msg' }]);
    expect(pairs(fx.records[0].attributes)).toEqual([]);
    expect(txStats(fx.engine, 'a')).toEqual({ remove: zero, redact: zero, rename: zero, add: zero });
  });
});

describe('regex redact', () => {
  const redactBody = (regex: string, replacement: string | undefined, body: string): string => {
    const r: Json = { log_field: 'body', regex };
    if (replacement !== undefined) r.replacement = replacement;
    const fx = run([logPolicy('p', { match: [{ log_attribute: 'sel', exact: 'y' }], transform: { redact: [r] } })], [{ body, attrs: [kv('sel', S('y'))] }]);
    return fx.records[0].body!.stringValue!;
  };

  it.each<[string, string, string, string | undefined, string]>([
    ['replaces every match', 'a1b22c333', '[0-9]+', '#', 'a#b#c#'],
    ['default replacement', 'pin 1234 and 5678', '[0-9]{4}', undefined, 'pin [REDACTED] and [REDACTED]'],
    ['$1', 'card 5555444433332222', '([0-9]{12})([0-9]{4})', '****$2', 'card ****2222'],
    ['${1}', 'login by account_98765 from web', '(account_)([0-9]+)', '${1}[REDACTED]', 'login by account_[REDACTED] from web'],
    ['${name}', 'user=alice pass=hunter2', '(?P<k>pass)=(?P<v>\\S+)', '${k}=***', 'user=alice pass=***'],
    ['$name', 'id:42 id:7', '(?P<n>[0-9]+)', '<$n>', 'id:<42> id:<7>'],
    ['$$ is a literal dollar', 'price USD 100 today', 'USD [0-9]+', '$$[REDACTED]', 'price $[REDACTED] today'],
    ['$0 is the whole match', 'got error-database here', 'error-[a-z]+', '[$0]', 'got [error-database] here'],
    ['a missing numbered group expands to empty', 'abc-123', '([a-z]+)-([0-9]+)', '$1/$7/', 'abc//'],
    ['a missing named group expands to empty', 'abc-123', '([a-z]+)-([0-9]+)', '${nope}X$1', 'Xabc'],
    ['$1x names the group "1x" (Go rules): empty', 'ab', '(a)(b)', '$1x|${1}x', '|ax'],
    ['an unmatched optional group expands to empty', 'k=', 'k=([0-9]+)?', 'k=<$1>', 'k=<>'],
    ['capture groups do not change the replaced range', 'call 555-1234 now', '([0-9]{3})-([0-9]{4})', '$1-XXXX', 'call 555-XXXX now'],
    ['anchored regex replaces the whole value', 'secret-token', '^.*$', 'hidden', 'hidden'],
    ['(?i) flag', 'Password=1 PASSWORD=2', '(?i)password=[0-9]', 'pw', 'pw pw'],
    ['RE2 classes', 'héllo wörld 42', '\\pL+', 'w', 'w w 42'],
  ])('%s', (_name, body, regex, replacement, want) => {
    expect(redactBody(regex, replacement, body)).toBe(want);
  });

  it('no match leaves the value untouched (miss)', () => {
    const fx = run([tx('p', { redact: [{ log_attribute: 'a', regex: '[0-9]+', replacement: '#' }] })], [{ body: 'msg', attrs: [kv('a', S('no digits'))] }]);
    expect(pairs(fx.records[0].attributes)).toEqual([['a', 'no digits']]);
    expect(txStats(fx.engine, 'p').redact).toEqual({ hits: 0, misses: 1 });
  });

  it('a non-string value is left alone (miss), even when its rendering would match', () => {
    const attrs = [kv('i', I(12345)), kv('d', { doubleValue: 1.5 }), kv('b', { boolValue: true }), kv('m', M(kv('x', S('123')))), kv('arr', { arrayValue: { values: [S('123')] } })];
    const fx = run(
      [tx('p', { redact: ['i', 'd', 'b', 'm', 'arr'].map((k) => ({ log_attribute: k, regex: '.*', replacement: 'X' })) })],
      [{ body: 'msg', attrs: JSON.parse(JSON.stringify(attrs)) as KV[] }],
    );
    expect(pairs(fx.records[0].attributes)).toEqual(pairs(attrs));
    expect(txStats(fx.engine, 'p').redact).toEqual({ hits: 0, misses: 5 });
  });

  it('regex redact of a non-string body is a no-op', () => {
    const body = M(kv('msg', S('secret 123')));
    const fx = run(
      [logPolicy('p', { match: [{ log_attribute: 'sel', exact: 'y' }], transform: { redact: [{ log_field: 'body', regex: '[0-9]+' }] } })],
      [{ body: JSON.parse(JSON.stringify(body)) as AnyValue, attrs: [kv('sel', S('y'))] }],
    );
    expect(fx.records[0].body).toEqual(body);
  });

  it('regex redact of a missing field does not create it', () => {
    const fx = run(
      [
        tx('p', {
          redact: [
            { log_attribute: 'nope', regex: '.*' },
            { log_field: 'severity_text', regex: '.*' },
          ],
        }),
      ],
      [{ body: 'msg' }],
    );
    expect(pairs(fx.records[0].attributes)).toEqual([]);
    expect(fx.records[0].severityText ?? '').toBe('');
  });
});

describe('transform stats', () => {
  it('counts hits and misses per stage over many records', () => {
    const engine = engineOf([
      tx('p', {
        remove: [{ log_attribute: 'r' }],
        redact: [{ log_attribute: 'd' }, { log_attribute: 'rx', regex: '[0-9]+', replacement: '#' }],
        rename: [{ from_log_attribute: 'n', to: 'n2' }],
        add: [{ log_attribute: 'added', value: 'v' }],
      }),
    ]);
    run(engine, [
      { body: 'msg 1', attrs: [kv('r', S('x')), kv('d', S('x')), kv('rx', S('a1')), kv('n', S('x'))] },
      { body: 'msg 2', attrs: [kv('r', S('x')), kv('rx', S('none'))] },
      { body: 'msg 3', attrs: [kv('rx', I(5))] },
      { body: 'other' }, // not matched: no stats
    ]);
    const st = txStats(engine, 'p');
    expect(st.remove).toEqual({ hits: 2, misses: 1 });
    expect(st.redact).toEqual({ hits: 2, misses: 4 });
    expect(st.rename).toEqual({ hits: 1, misses: 2 });
    expect(st.add).toEqual({ hits: 3, misses: 0 });
  });

  it('are kept per policy', () => {
    const engine = engineOf([tx('a', { remove: [{ log_attribute: 'x' }] }), tx('b', { remove: [{ log_attribute: 'x' }] })]);
    run(engine, [{ body: 'msg', attrs: [kv('x', S('1'))] }]);
    expect(txStats(engine, 'a').remove).toEqual({ hits: 1, misses: 0 });
    expect(txStats(engine, 'b').remove).toEqual({ hits: 0, misses: 1 });
  });
});

describe('resource and scope attributes are shared in OTLP', () => {
  it('a resource attribute transform applies to every record of that resource (and no other)', () => {
    const engine = engineOf([
      logPolicy('tag', {
        match: [{ log_field: 'body', exact: 'first' }],
        transform: { remove: [{ resource_attribute: 'secret' }], add: [{ resource_attribute: 'tagged', value: 'yes' }] },
      }),
      // Would drop "later" records while the resource still has `secret`.
      logPolicy('drop-secret', {
        match: [
          { resource_attribute: 'secret', exists: true },
          { log_field: 'body', exact: 'later' },
        ],
        keep: 'none',
      }),
    ]);
    const res1 = { attributes: [kv('service.name', S('a')), kv('secret', S('s'))] };
    const res2 = { attributes: [kv('service.name', S('b')), kv('secret', S('s'))] };
    const data = {
      resourceLogs: [
        {
          resource: res1,
          scopeLogs: [
            { scope: { name: 's1' }, logRecords: [recordOf({ body: 'first' }), recordOf({ body: 'later' })] },
            { scope: { name: 's2' }, logRecords: [recordOf({ body: 'later' })] },
          ],
        },
        { resource: res2, scopeLogs: [{ scope: { name: 's3' }, logRecords: [recordOf({ body: 'later' })] }] },
      ],
    } as unknown as LogsData;
    applyToLogs(engine, data);
    expect(pairs(res1.attributes)).toEqual([
      ['service.name', 'a'],
      ['tagged', 'yes'],
    ]);
    expect(pairs(res2.attributes)).toEqual([
      ['service.name', 'b'],
      ['secret', 's'],
    ]);
    // The two "later" records of resource 1 were evaluated after the removal: kept. Resource 2's was dropped.
    const out = data as unknown as { resourceLogs: { scopeLogs: { logRecords: LogRecordJson[] }[] }[] };
    expect(out.resourceLogs.length).toBe(1);
    expect(out.resourceLogs[0].scopeLogs.map((s) => s.logRecords.length)).toEqual([2, 1]);
    expect(engine.stats().find((s) => s.policyId === 'drop-secret')!.hits).toBe(1);
  });

  it('a scope attribute transform applies to every record of that scope only', () => {
    const engine = engineOf([logPolicy('p', { match: [{ log_field: 'body', exact: 'first' }], transform: { redact: [{ scope_attribute: 'lib.key' }] } })]);
    const sc1 = { name: 's1', attributes: [kv('lib.key', S('k1'))] };
    const sc2 = { name: 's2', attributes: [kv('lib.key', S('k2'))] };
    const data = {
      resourceLogs: [
        {
          resource: { attributes: [] },
          scopeLogs: [
            { scope: sc1, logRecords: [recordOf({ body: 'first' }), recordOf({ body: 'x' })] },
            { scope: sc2, logRecords: [recordOf({ body: 'x' })] },
          ],
        },
      ],
    } as unknown as LogsData;
    applyToLogs(engine, data);
    expect(pairs(sc1.attributes)).toEqual([['lib.key', '[REDACTED]']]);
    expect(pairs(sc2.attributes)).toEqual([['lib.key', 'k2']]);
  });
});
