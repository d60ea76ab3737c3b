/**
 * The sync schema: encodings (binary and proto3 JSON) and the conversion of
 * policy files to Policy messages and back, which must keep every policy's
 * meaning and every policy's errors.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compilePolicies, parsePolicyText, PolicyEngine, type Policy, type PolicySet } from '@otel-policy/core';
import { applyToLogs, applyToMetrics, applyToTraces } from '@otel-policy/adapters';
import {
  decodeSyncRequestBinary,
  decodeSyncRequestJson,
  decodeSyncResponse,
  decodeSyncResponseJson,
  encodeSyncRequestBinary,
  encodeSyncRequestJson,
  encodeSyncResponse,
  hashPolicies,
  policySetFromSyncResponse,
  policySetToProto,
  SyncDecodeError,
  syncSchema,
  type SyncEncoding,
} from '@otel-policy/providers';
import { listCases, readJson } from '../../../test/support/conformance.js';
import { loadProtoRoot } from '@otel-policy/proto';
import { KNOWN_KEYS } from '../../core/src/policy/known-keys.js';

/** Policy file text -> server's SyncResponse -> wire -> client's policy set. */
function throughWire(set: PolicySet, encoding: SyncEncoding): PolicySet {
  const bytes = encodeSyncResponse({ policies: policySetToProto(set), hash: 'h' }, encoding);
  return policySetFromSyncResponse(decodeSyncResponse(bytes, encoding));
}

const SAMPLING_PREFIX = /^sampling_mode_/;

function base64Hex(b64: string): string {
  return Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('hex');
}

/** Spellings the wire changes without changing meaning. */
function canonicalPolicy(p: Policy): unknown {
  return JSON.parse(
    JSON.stringify(p, (key, v) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
      if (key === 'percentage' && typeof v === 'number') return Math.fround(v);
      if (key === 'mode' && typeof v === 'string') return v.toLowerCase().replace(SAMPLING_PREFIX, '');
      if (key === 'value' && v && typeof v === 'object' && v.type === 'bytes') return { type: 'bytes', hex: base64Hex(v.base64) };
      return v;
    }),
  );
}

const errorsOf = (set: PolicySet) => Object.fromEntries(compilePolicies(set).errors);

describe('sync schema', () => {
  it('loads the protos', () => {
    const s = syncSchema();
    expect(s.SyncRequest.fullName).toBe('.tero.policy.v1.SyncRequest');
    expect(s.SyncResponse.fields.recommendedSyncIntervalSeconds).toBeDefined();
    expect(s.Policy.oneofs.target.fieldsArray.map((f) => f.name)).toEqual(['log', 'metric', 'trace']);
  });

  const cases = listCases();

  describe.each(['protobuf', 'json'] as const)('every conformance policy file survives the wire (%s)', (encoding) => {
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const set = parsePolicyText(readFileSync(c.policiesFile, 'utf8'));
      const back = throughWire(set, encoding);
      expect(back.policies.map(canonicalPolicy)).toEqual(set.policies.map(canonicalPolicy));
      expect(errorsOf(back)).toEqual(errorsOf(set));
    });
  });

  it('a policy behaves the same after the wire (every conformance case, outputs and stats)', () => {
    for (const c of cases) {
      const set = parsePolicyText(readFileSync(c.policiesFile, 'utf8'));
      const direct = new PolicyEngine({ policies: set });
      const synced = new PolicyEngine({ policies: throughWire(set, 'protobuf') });
      for (const b of c.batches) {
        const run = (engine: PolicyEngine) => {
          const data = readJson(b.input) as never;
          if (b.signal === 'log') applyToLogs(engine, data);
          else if (b.signal === 'metric') applyToMetrics(engine, data);
          else applyToTraces(engine, data);
          return data;
        };
        expect(run(synced), c.name).toEqual(run(direct));
      }
      const counters = (e: PolicyEngine) => e.stats().map(({ statsEpoch: _epoch, ...s }) => s);
      expect(counters(synced), c.name).toEqual(counters(direct));
    }
  });

  it('authoring shorthands become their proto forms', () => {
    const yaml = `
policies:
  - id: shorthand-log
    name: s
    log:
      match:
        - log_attribute: "http.method"
          equals: 5
        - resource_attribute: ["service", "name"]
          starts_with: chk
          case_insensitive: true
        - log_field: severity_text
          exists: true
          negate: true
        - log_attribute: {path: ["a"]}
          gte: 2.5
        - log_attribute: x
          equals: {hex_value: "00ff"}
        - log_attribute: y
          equals: {bytes_value: "AP8"}
        - log_attribute: z
          equals: true
        - log_attribute: big
          lt: 9223372036854775807
      keep: "10%"
      sample_key: {log_attribute: "user.id"}
      transform:
        remove: [{log_attribute: secret}]
        redact: [{log_field: body, regex: "\\\\d+", replacement: "#"}, {scope_attribute: token}]
        rename: [{from_log_attribute: old, to: new, upsert: true}]
        add: [{resource_attribute: env, value: prod}]
  - id: shorthand-trace
    enabled: false
    trace:
      match:
        - span_kind: INTERNAL
        - span_status: unset
        - event_name: boom
          exists: true
        - link_trace_id: "4bf92f3577b34da6a3ce929d0e0e4736"
          exists: true
        - trace_field: TRACE_FIELD_NAME
          regex: "^GET"
      keep: {percentage: 33.3, mode: equalizing, sampling_precision: 0, hash_seed: 7, fail_closed: false}
  - id: shorthand-metric
    metric:
      match:
        - metric_type: gauge
        - aggregation_temporality: AGGREGATION_TEMPORALITY_DELTA
        - datapoint_attribute: host
          contains: web
      keep: true
    extensions:
      - type: com.usetero/s3-dump
        version: 1.0.0
        mode: dropped
        config: {target: {kind: s3, name: eu}}
`;
    const set = parsePolicyText(yaml);
    const protos = policySetToProto(set);
    expect(protos[0].log).toMatchObject({
      match: [
        { logAttribute: { path: ['http.method'] }, equals: { intValue: '5' } },
        { resourceAttribute: { path: ['service', 'name'] }, startsWith: 'chk', caseInsensitive: true },
        { logField: 'LOG_FIELD_SEVERITY_TEXT', exists: true, negate: true },
        { logAttribute: { path: ['a'] }, gte: { doubleValue: 2.5 } },
        { logAttribute: { path: ['x'] }, equals: { hexValue: '00ff' } },
        { logAttribute: { path: ['y'] }, equals: { bytesValue: 'AP8=' } },
        { logAttribute: { path: ['z'] }, equals: { boolValue: true } },
        { logAttribute: { path: ['big'] }, lt: { intValue: '9223372036854775807' } },
      ],
      keep: '10%',
      sampleKey: { logAttribute: { path: ['user.id'] } },
      transform: {
        remove: [{ logAttribute: { path: ['secret'] } }],
        redact: [
          { logField: 'LOG_FIELD_BODY', regex: '\\d+', replacement: '#' },
          { scopeAttribute: { path: ['token'] }, replacement: '[REDACTED]' },
        ],
        rename: [{ fromLogAttribute: { path: ['old'] }, to: 'new', upsert: true }],
        add: [{ resourceAttribute: { path: ['env'] }, value: 'prod', upsert: false }],
      },
    });
    expect(protos[1]).toMatchObject({
      enabled: false,
      trace: {
        match: [
          { spanKind: 'SPAN_KIND_INTERNAL' },
          { spanStatus: 'SPAN_STATUS_CODE_UNSPECIFIED' },
          { eventName: 'boom', exists: true },
          { linkTraceId: '4bf92f3577b34da6a3ce929d0e0e4736', exists: true },
          { traceField: 'TRACE_FIELD_NAME', regex: '^GET' },
        ],
        keep: { percentage: 33.3, mode: 'SAMPLING_MODE_EQUALIZING', samplingPrecision: 0, hashSeed: 7, failClosed: false },
      },
    });
    expect(protos[2]).toMatchObject({
      metric: { match: [{ metricType: 'METRIC_TYPE_GAUGE' }, { aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA' }, { datapointAttribute: { path: ['host'] }, contains: 'web' }], keep: true },
      extensions: [{ type: 'com.usetero/s3-dump', version: '1.0.0', mode: 'EXTENSION_MODE_DROPPED' }],
    });
    for (const encoding of ['protobuf', 'json'] as const) {
      const back = throughWire(set, encoding);
      expect(back.policies.map(canonicalPolicy)).toEqual(set.policies.map(canonicalPolicy));
      // proto3 `optional`: an explicit 0 survives, an absent field stays absent.
      expect(back.policies[1].trace!.keep).toMatchObject({ samplingPrecision: 0, hashSeed: 7, failClosed: false, mode: 'SAMPLING_MODE_EQUALIZING' });
      expect(back.policies[2].extensions[0]).toEqual({ type: 'com.usetero/s3-dump', version: '1.0.0', mode: 'dropped', config: { target: { kind: 's3', name: 'eu' } } });
      expect(errorsOf(back)).toEqual({});
    }
  });

  it('invalid pieces reach the client, which reports them at the same place', () => {
    const json = JSON.stringify({
      policies: [
        { id: 'bad-regex', log: { match: [{ log_field: 'body', regex: '([bad' }] } },
        { id: 'bad-keep', log: { match: [{ log_field: 'body', contains: 'x' }], keep: 'bogus' } },
        { id: 'empty-path', log: { match: [{ log_attribute: [], exists: true }] } },
        { id: 'empty-path-object', log: { match: [{ logAttribute: {}, exists: true }] } },
        { id: 'bad-redact', log: { match: [{ log_field: 'body', exists: true }], transform: { redact: [{ log_attribute: 'cvv', regex: '([bad' }] } } },
        { id: 'bad-hex', trace: { match: [{ trace_field: 'trace_id', equals: { hex_value: 'xyz' } }] } },
        { id: 'unspecified-kind', trace: { match: [{ span_kind: 'SPAN_KIND_UNSPECIFIED' }] } },
        { id: 'unspecified-field', log: { match: [{ log_field: 'LOG_FIELD_UNSPECIFIED', exists: true }] } },
        { id: 'bad-percentage', trace: { match: [{ trace_field: 'name', exists: true }], keep: { percentage: 150 } } },
        { id: 'empty-rename', log: { match: [{ log_field: 'body', exists: true }], transform: { rename: [{ from_log_attribute: 'a', to: '' }] } } },
        { id: 'no-condition', metric: { match: [{ metric_field: 'name' }], keep: false } },
      ],
    });
    const set = parsePolicyText(json);
    const expected = errorsOf(set);
    expect(Object.keys(expected).sort()).toEqual(set.policies.map((p) => p.id).sort());
    for (const encoding of ['protobuf', 'json'] as const) {
      expect(errorsOf(throughWire(set, encoding))).toEqual(expected);
    }
  });

  it('pieces the proto cannot carry still leave the policy invalid, with an error at the same place', () => {
    const json = JSON.stringify({
      policies: [
        { id: 'unknown-field', log: { match: [{ log_field: 'colour', exists: true }] } },
        { id: 'exists-not-bool', log: { match: [{ log_field: 'body', exists: 'yes' }] } },
        { id: 'two-conditions', log: { match: [{ log_field: 'body', exists: true, contains: 'x' }] } },
        { id: 'two-selectors', log: { match: [{ log_field: 'body', log_attribute: 'x', exists: true }] } },
        { id: 'bad-sample-key', log: { match: [{ log_field: 'body', exists: true }], keep: '50%', sample_key: { log_field: 'colour' } } },
        { id: 'bad-bytes', log: { match: [{ log_attribute: 'x', equals: { bytes_value: '!!' } }] } },
        { id: 'bad-mode', trace: { match: [{ trace_field: 'name', exists: true }], keep: { percentage: 50, mode: 'sideways' } } },
        { id: 'negative-precision', trace: { match: [{ trace_field: 'name', exists: true }], keep: { percentage: 50, sampling_precision: -1 } } },
        { id: 'two-targets', log: { match: [] }, metric: { match: [] } },
        { name: 'no id', log: { match: [{ log_field: 'body', exists: true }] } },
      ],
    });
    const set = parsePolicyText(json);
    const expected = errorsOf(set);
    expect(Object.keys(expected).length).toBe(set.policies.length);
    for (const encoding of ['protobuf', 'json'] as const) {
      const got = errorsOf(throughWire(set, encoding));
      expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
      for (const [id, errs] of Object.entries(expected)) {
        // Same location prefix ("log: match[0]", "trace: keep", ...), perhaps another reason.
        const where = (e: string) => (/^(log|metric|trace): /.test(e) ? e.split(': ').slice(0, 2).join(': ') : 'policy');
        expect(got[id].map(where), id).toEqual(errs.map(where));
      }
    }
  });

  it('reads proto3 JSON in either field spelling, with int64 as strings or numbers and enums as names or numbers', () => {
    const snake = decodeSyncResponseJson(
      JSON.stringify({
        policies: [{ id: 'p', enabled: true, log: { match: [{ log_field: 1, equals: { int_value: 42 } }], keep: 'none', sample_key: { log_attribute: { path: ['k'] } } } }],
        hash: 'abc',
        sync_timestamp_unix_nano: 1700000000000000000,
        recommended_sync_interval_seconds: 30,
      }),
    );
    const camel = decodeSyncResponseJson(
      JSON.stringify({
        policies: [{ id: 'p', enabled: true, log: { match: [{ logField: 'LOG_FIELD_BODY', equals: { intValue: '42' } }], keep: 'none', sampleKey: { logAttribute: { path: ['k'] } } } }],
        hash: 'abc',
        syncTimestampUnixNano: '1700000000000000000',
        recommendedSyncIntervalSeconds: 30,
      }),
    );
    expect(snake).toEqual(camel);
    expect(camel.syncTimestampUnixNano).toBe('1700000000000000000');
    const set = policySetFromSyncResponse(camel);
    expect(set.policies[0].log!.match[0]).toMatchObject({ field: { kind: 'field', field: 'body' }, match: { kind: 'equals', value: { type: 'int', value: 42n } } });
    expect(set.policies[0].log!.sampleKey).toEqual({ kind: 'log_attribute', path: ['k'] });
  });

  it('writes int64 and fixed64 as strings in JSON and round-trips requests in both encodings', () => {
    const req = {
      clientMetadata: { supportedPolicyStages: ['POLICY_STAGE_LOG_FILTER'], resourceAttributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
      fullSync: true,
      lastSyncTimestampUnixNano: '1700000000000000001',
      lastSuccessfulHash: 'h1',
      policyStatuses: [{ id: 'p', matchHits: 5, matchMisses: 2, errors: ['boom'], redact: { hits: 3, misses: 0 } }],
    };
    const json = JSON.parse(encodeSyncRequestJson(req));
    expect(json.policyStatuses[0]).toEqual({ id: 'p', matchHits: '5', matchMisses: '2', errors: ['boom'], redact: { hits: '3', misses: '0' } });
    expect(json.lastSyncTimestampUnixNano).toBe('1700000000000000001');
    const expected = { ...req, policyStatuses: [{ id: 'p', matchHits: '5', matchMisses: '2', errors: ['boom'], redact: { hits: '3', misses: '0' } }] };
    expect(decodeSyncRequestJson(JSON.stringify(json))).toEqual(expected);
    expect(decodeSyncRequestBinary(encodeSyncRequestBinary(req))).toEqual(expected);
  });

  it('rejects garbage with SyncDecodeError', () => {
    expect(() => decodeSyncResponseJson('not json')).toThrow(SyncDecodeError);
    expect(() => decodeSyncResponseJson('[1,2]')).toThrow(SyncDecodeError);
    expect(() => decodeSyncResponseJson('{"policies": 5}')).toThrow(SyncDecodeError);
    expect(() => decodeSyncResponseJson('{"policies": [{"log": "x"}]}')).toThrow(SyncDecodeError);
    expect(() => decodeSyncResponse(Buffer.from('<html>oops</html>'), 'protobuf')).toThrow(SyncDecodeError);
  });

  it('an absent enabled means false (proto3), and a hash is stable for unchanged content', () => {
    const set = policySetFromSyncResponse({ policies: [{ id: 'p', log: { match: [{ logField: 'LOG_FIELD_BODY', exists: true }] } }] });
    expect(set.policies[0].enabled).toBe(false);
    const text = readFileSync(listCases()[0].policiesFile, 'utf8');
    expect(hashPolicies(policySetToProto(parsePolicyText(text)))).toBe(hashPolicies(policySetToProto(parsePolicyText(text))));
    expect(hashPolicies(policySetToProto(parsePolicyText(text)))).not.toBe(hashPolicies([]));
  });
});

describe('the keys a policy document may hold (core known-keys.ts)', () => {
  const root = loadProtoRoot(['tero/policy/v1/policy.proto']);
  const LEVELS: Record<string, string> = {
    policy: 'Policy',
    log: 'LogTarget',
    metric: 'MetricTarget',
    trace: 'TraceTarget',
    'log.match': 'LogMatcher',
    'metric.match': 'MetricMatcher',
    'trace.match': 'TraceMatcher',
    'log.sample_key': 'LogSampleKey',
    'log.transform': 'LogTransform',
    'log.transform.remove': 'LogRemove',
    'log.transform.redact': 'LogRedact',
    'log.transform.rename': 'LogRename',
    'log.transform.add': 'LogAdd',
  };
  /** Spellings the parser reads beyond the proto's fields. */
  const ALIASES: Record<string, string[]> = { 'log.transform.rename': ['from'] };
  const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

  it.each(Object.entries(LEVELS))('%s holds the fields of %s, and nothing else but its aliases', (level, message) => {
    const fields = root.lookupType(`tero.policy.v1.${message}`).fieldsArray.map((f) => f.name);
    expect(KNOWN_KEYS[level].map(camel).sort()).toEqual([...fields, ...(ALIASES[level] ?? [])].sort());
  });

  it('no policy of the conformance cases or the examples has a key the table lacks', () => {
    const files = [...listCases().map((c) => c.policiesFile), ...['examples/collector/policies.yaml', 'examples/nodesdk/policies.yaml'].map((f) => new URL(`../../../${f}`, import.meta.url).pathname)];
    const warnings = files.flatMap((f) => parsePolicyText(readFileSync(f, 'utf8')).policies.flatMap((p) => (p.warnings ?? []).map((w) => `${f}: ${p.id}: ${w}`)));
    expect(files.length).toBeGreaterThan(150);
    expect(warnings).toEqual([]);
  });

  it('names a key no field has, at its level, and leaves what the policy does unchanged', () => {
    const set = parsePolicyText(`policies:
  - id: typo
    extra: 1
    log:
      match: [{ log_field: body, contains: "@", negat: true }, { logField: severity_text, exact: INFO, caseInsensitive: true }]
      kepp: none
      sample_key: { log_attribute: id, hash: 1 }
      transfrom: { redact: [] }
      transform: { redact: [{ log_field: body, replace: x }], rename: [{ from: { log_attribute: a }, to: b }] }
`);
    expect(set.policies[0].warnings).toEqual([
      'unknown key "extra" (ignored)',
      'log: unknown key "kepp" (ignored)',
      'log: unknown key "transfrom" (ignored)',
      'log: match[0]: unknown key "negat" (ignored)',
      'log: sample_key: unknown key "hash" (ignored)',
      'log: transform: redact[0]: unknown key "replace" (ignored)',
    ]);
    expect(compilePolicies(set).policies[0].errors).toEqual([]);
  });
});
