/**
 * The browser entry's schema-free proto3 JSON codec (src/sync/json-codec.ts)
 * against the schema decoder of the Node entry (protobufjs): for every sync
 * response we can make (each conformance case's policies, the examples, and
 * a set using every field and value form), in every spelling proto3 JSON
 * allows (lowerCamelCase or proto names, enums by name or number, 64-bit
 * integers as strings or numbers), both give the same policy set. Malformed
 * bodies are a SyncDecodeError that says what is wrong. Requests written
 * with JSON.stringify read back as the schema encoder's do. Extension
 * configs (bytes, base64) decode as Buffer did.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePolicyText, type PolicySet } from '@otel-policy/core';
import {
  clientMetadataOf,
  decodeSyncRequestJson,
  decodeSyncResponseJson,
  encodeSyncRequestJson,
  encodeSyncResponseJson,
  policyDocumentOf,
  policySetFromSyncResponse,
  policySetToProto,
  SyncDecodeError,
  syncSchema,
  type SyncRequestObject,
  type SyncResponseObject,
} from '@otel-policy/providers';
import { syncRequestToJson, syncResponseFromJson } from '../src/sync/json-codec.js';
import { listCases } from '../../../test/support/conformance.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A set using every field, value form and enum the Policy message has. */
const EVERYTHING = `
policies:
  - id: every-log
    name: every log form
    description: all of it
    log:
      match:
        - log_attribute: "http.method"
          equals: 5
        - log_attribute: big
          lt: 9223372036854775807
        - log_attribute: neg
          gte: -42
        - resource_attribute: ["service", "name"]
          starts_with: chk
          case_insensitive: true
        - log_field: severity_text
          exists: true
          negate: true
        - log_attribute: {path: ["a", "b"]}
          gte: 2.5
        - log_attribute: x
          equals: {hex_value: "00ff"}
        - log_attribute: y
          equals: {bytes_value: "AP8="}
        - log_attribute: z
          equals: true
        - log_attribute: d
          equals: 1.25
        - scope_attribute: s
          ends_with: "-x"
        - log_field: event_name
          regex: "^boot"
        - log_field: trace_id
          exact: "4bf92f3577b34da6a3ce929d0e0e4736"
      keep: "10%"
      sample_key: {log_attribute: "user.id"}
      transform:
        remove: [{log_attribute: secret}, {log_field: span_id}]
        redact: [{log_field: body, regex: "\\\\d+", replacement: "#"}, {scope_attribute: token}]
        rename: [{from_log_attribute: old, to: new, upsert: true}, {from_resource_attribute: r, to: r2}]
        add: [{resource_attribute: env, value: prod}, {log_attribute: k, value: v, upsert: true}]
    extensions:
      - type: com.usetero/s3-dump
        version: 1.0.0
        mode: dropped
        config: {target: {kind: s3, name: eu}, n: 3}
      - type: com.example/none
        mode: all
  - id: every-trace
    enabled: false
    trace:
      match:
        - span_kind: INTERNAL
        - span_status: error
        - event_name: boom
          exists: true
        - event_attribute: e
          contains: x
        - span_attribute: http.status_code
          gt: 499
        - link_trace_id: "4bf92f3577b34da6a3ce929d0e0e4736"
          exists: true
        - trace_field: TRACE_FIELD_NAME
          regex: "^GET"
        - trace_field: scope_version
          exact: "1"
      keep: {percentage: 33.3, mode: equalizing, sampling_precision: 4, hash_seed: 7, fail_closed: true}
  - id: every-metric
    metric:
      match:
        - metric_field: name
          starts_with: http.
        - metric_type: histogram
        - aggregation_temporality: cumulative
        - datapoint_attribute: route
          exact: /x
        - metric_field: unit
          lte: 3
      keep: false
  - id: rate-limited
    log:
      match: [{log_field: body, contains: a}]
      keep: 100/s
  - id: invalid-regex
    log:
      match: [{log_field: body, regex: "(unclosed"}]
      keep: none
  - id: no-target
  - log:
      match: [{log_field: body, contains: b}]
      keep: all
`;

interface Source {
  name: string;
  set: PolicySet;
}

const sources: Source[] = [
  { name: 'every field and value form', set: parsePolicyText(EVERYTHING) },
  ...['examples/collector/policies.yaml', 'examples/node-service/policies.yaml', 'examples/nodesdk/policies.yaml', 'examples/quickstart/policies.yaml', 'test/packaging/fixtures/policies.yaml'].map(
    (f) => ({
      name: f,
      set: parsePolicyText(readFileSync(ROOT + f, 'utf8')),
    }),
  ),
  ...listCases().map((c) => ({ name: `conformance ${c.name}`, set: parsePolicyText(readFileSync(c.policiesFile, 'utf8')) })),
];

/** The server's answer for a set, with every top-level field. */
const responseOf = (set: PolicySet): SyncResponseObject => ({
  policies: policySetToProto(set),
  hash: 'abc123',
  syncTimestampUnixNano: '1700000000123456789',
  recommendedSyncIntervalSeconds: 30,
  syncType: 'SYNC_TYPE_FULL',
  extensionConfigs: [{ type: 'com.usetero/s3-dump', config: ['e30='] }],
});

const snakeKeys = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(snakeKeys);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, c]) => [k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`), snakeKeys(c)]));
  return v;
};

/** The same message re-spelled by protobufjs: enums as numbers, 64-bit integers as numbers or strings. */
function respelled(canonical: string, longs: typeof Number | typeof String): unknown {
  const T = syncSchema().SyncResponse;
  return T.toObject(T.fromObject(JSON.parse(canonical) as Record<string, unknown>), { enums: Number, longs, bytes: String, json: true, defaults: false, oneofs: false });
}

/** Every spelling of one response that proto3 JSON allows. */
function spellings(res: SyncResponseObject): [string, string][] {
  const canonical = encodeSyncResponseJson(res);
  const numeric = respelled(canonical, Number);
  const numericStrings = respelled(canonical, String);
  return [
    ['canonical (lowerCamelCase, enum names, int64 strings)', canonical],
    ['proto names (snake_case)', JSON.stringify(snakeKeys(JSON.parse(canonical)))],
    ['enums and int64 as numbers', JSON.stringify(numeric)],
    ['enums as numbers, int64 as strings', JSON.stringify(numericStrings)],
    ['snake_case, enums and int64 as numbers', JSON.stringify(snakeKeys(numeric))],
    ['policies only', JSON.stringify({ policies: JSON.parse(canonical).policies })],
  ];
}

const TOP_LEVEL = ['hash', 'syncTimestampUnixNano', 'recommendedSyncIntervalSeconds', 'syncType', 'errorMessage'] as const;

describe('the browser JSON codec', () => {
  describe.each(sources.map((s) => [s.name, s] as const))('reads a sync response as the schema decoder does: %s', (_name, source) => {
    it.each(spellings(responseOf(source.set)))('%s', (_spelling, text) => {
      const lite = syncResponseFromJson(text);
      let schema: SyncResponseObject;
      try {
        schema = decodeSyncResponseJson(text);
      } catch (err) {
        // int64 2^63-1 as a JSON number reads as 2^63 (out of range): the schema decoder refuses the response, the policy parser reads the number.
        expect((err as Error).message).toMatch(/: expected a 64-bit integer \(a decimal string or number\), got 9223372036854776000$/);
        return;
      }
      expect(policySetFromSyncResponse(lite)).toEqual(policySetFromSyncResponse(schema));
      for (const f of TOP_LEVEL) expect(lite[f], f).toEqual(schema[f]);
      // Bytes in, bytes out: the browser reads what fetch hands it.
      expect(syncResponseFromJson(new TextEncoder().encode(text))).toEqual(lite);
    });
  });

  it('keeps a server error message and an empty answer as they are', () => {
    for (const text of ['{"errorMessage": "database on fire"}', '{"error_message": "x", "policies": null, "hash": null}', '{}', '{"policies": []}', '{"futureField": {"a": 1}}']) {
      const lite = syncResponseFromJson(text);
      const schema = decodeSyncResponseJson(text);
      expect(lite).toEqual(schema);
    }
  });

  it.each([
    ['', /^cannot decode SyncResponse \(JSON\): Unexpected end of JSON input/],
    ['<html>not json</html>', /^cannot decode SyncResponse \(JSON\): Unexpected token/],
    ['\ufeff{}', /^cannot decode SyncResponse \(JSON\): Unexpected token/],
    ['[]', /^cannot decode SyncResponse \(JSON\): not an object$/],
    ['null', /: not an object$/],
    ['"policies"', /: not an object$/],
    ['{"policies": {"id": "a"}}', /: policies: expected a list, got an object$/],
    ['{"policies": "a"}', /: policies: expected a list, got a string$/],
    ['{"policies": [{"id": "a"}, 1]}', /: policies\[1\]: expected an object \(a Policy\), got a number$/],
    ['{"policies": [null]}', /: policies\[0\]: expected an object \(a Policy\), got null$/],
    ['{"policies": [[]]}', /: policies\[0\]: expected an object \(a Policy\), got a list$/],
    ['{"hash": 5}', /: hash: expected a string, got a number$/],
    ['{"error_message": ["x"]}', /: errorMessage: expected a string, got a list$/],
    ['{"syncTimestampUnixNano": "12abc"}', /: syncTimestampUnixNano: expected an unsigned 64-bit integer \(a decimal string or number\), got "12abc"$/],
    ['{"syncTimestampUnixNano": "-1"}', /: syncTimestampUnixNano: expected an unsigned 64-bit integer/],
    ['{"syncTimestampUnixNano": "99999999999999999999"}', /: syncTimestampUnixNano: expected an unsigned 64-bit integer/],
    ['{"sync_timestamp_unix_nano": 1.5}', /: syncTimestampUnixNano: expected an unsigned 64-bit integer/],
    ['{"recommendedSyncIntervalSeconds": -1}', /: recommendedSyncIntervalSeconds: expected an unsigned 32-bit integer, got -1$/],
    ['{"recommendedSyncIntervalSeconds": "soon"}', /: recommendedSyncIntervalSeconds: expected an unsigned 32-bit integer, got "soon"$/],
    ['{"recommendedSyncIntervalSeconds": 4294967296}', /: recommendedSyncIntervalSeconds: expected an unsigned 32-bit integer/],
    ['{"syncType": {}}', /: syncType: expected a SyncType name or number, got \{\}$/],
    ['{"extension_configs": "x"}', /: extensionConfigs: expected a list, got a string$/],
    ['{"extensionConfigs": [true]}', /: extensionConfigs\[0\]: expected an object \(an ExtensionConfig\), got a boolean$/],
  ])('refuses %j with a SyncDecodeError that says why', (text, reason) => {
    let caught: unknown;
    try {
      syncResponseFromJson(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SyncDecodeError);
    expect((caught as Error).message).toMatch(reason);
  });

  it('refuses what the schema decoder refuses at the top level (same kind of error)', () => {
    for (const text of ['', '<html>', '[]', '{"policies": 3}', '{"policies": [1]}', '{"syncTimestampUnixNano": "12abc"}', '\ufeff{}']) {
      expect(() => decodeSyncResponseJson(text), text).toThrow(SyncDecodeError);
      expect(() => syncResponseFromJson(text), text).toThrow(SyncDecodeError);
    }
  });

  it('refuses a document nested deeper than the stack allows, as a SyncDecodeError', () => {
    const depth = 200_000;
    const text = `{"policies": [{"log": ${'['.repeat(depth)}${']'.repeat(depth)}}]}`;
    expect(() => syncResponseFromJson(text)).toThrow(SyncDecodeError);
    expect(() => decodeSyncResponseJson(text)).toThrow(SyncDecodeError);
  });

  it('accepts the proto3 JSON forms of the interval and the timestamp', () => {
    expect(syncResponseFromJson('{"recommendedSyncIntervalSeconds": "30", "syncTimestampUnixNano": 17}')).toEqual({ recommendedSyncIntervalSeconds: 30, syncTimestampUnixNano: '17' });
    expect(syncResponseFromJson('{"recommended_sync_interval_seconds": "3e1", "sync_type": 1}')).toEqual({ recommendedSyncIntervalSeconds: 30, syncType: 'SYNC_TYPE_FULL' });
    expect(syncResponseFromJson('{"syncType": 7}')).toEqual({ syncType: 7 });
  });
});

describe('requests written with JSON.stringify', () => {
  const statuses = [
    { id: 'a', matchHits: 5, matchMisses: 1, redact: { hits: 4, misses: 1 } },
    { id: 'b', matchHits: 2 ** 53 - 1, errors: ['bad regex', 'ünïcödé \u0000 "quoted"'] },
    { id: 'c', remove: { hits: 0, misses: 3 }, rename: { hits: 1, misses: 0 }, add: { hits: 2, misses: 2 } },
  ];
  const requests: [string, SyncRequestObject][] = [
    ['a first sync', { clientMetadata: clientMetadataOf(), fullSync: true, lastSuccessfulHash: '', policyStatuses: [] }],
    [
      'a later sync with counters and errors',
      {
        clientMetadata: clientMetadataOf({
          serviceName: 'web',
          serviceVersion: '1.0',
          labels: { team: 'front' },
          resourceAttributes: { 'browser.platform': 'Linux' },
          supportedPolicyStages: ['POLICY_STAGE_LOG_FILTER'],
        }),
        fullSync: false,
        lastSuccessfulHash: 'abc123',
        policyStatuses: statuses,
        lastSyncTimestampUnixNano: '1700000000123456789',
      },
    ],
  ];

  it.each(requests)('read back as the schema encoding reads back: %s', (_name, request) => {
    const lite = syncRequestToJson(request);
    expect(decodeSyncRequestJson(lite)).toEqual(decodeSyncRequestJson(encodeSyncRequestJson(request)));
    // Within the limits the sync server applies to what any client sends.
    expect(decodeSyncRequestJson(lite, { maxDepth: 16, maxValues: 10_000 })).toEqual(decodeSyncRequestJson(lite));
  });
});

describe('extension configs (bytes) without Buffer', () => {
  /** policy-from-wire.ts's former decoding, on Buffer. */
  const reference = (b64: string): unknown => {
    if (b64 === '') return undefined;
    try {
      return JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
    } catch {
      return b64;
    }
  };
  const configOf = (b64: string) => (policyDocumentOf({ extensions: [{ config: b64 }] }).extensions as { config?: unknown }[])[0].config;
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

  it('decodes JSON configs in every base64 spelling, and keeps the others as text, as Buffer did', () => {
    const configs = ['{}', '{"a":1}', '[1,2,3]', '"str"', '{"ü":"日本語","e":"\\u0000"}', '{"deep":{"x":[true,null,1.5]}}', 'not json', '\ufeff{"bom":1}', '{"a":"\ud800"}'];
    const samples = ['', '=', 'e30', 'e30=', 'e30==', '!!!', 'ab\u00e9cd', 'e3\n0=', 'e 3 0', 'eyJhIjoxfQ==eyJ9', 'ey=Jh'];
    for (const c of configs) {
      const std = b64(c);
      const url = std.replace(/\+/g, '-').replace(/\//g, '_');
      samples.push(std, std.replace(/=+$/, ''), url, url.replace(/=+$/, ''), std.replace(/(.{4})/g, '$1\n'), `${std}garbage`);
    }
    // Random bytes and random strings over the alphabets and the characters Buffer skips.
    let seed = 7;
    const rand = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_= \n!é\u0100';
    for (let i = 0; i < 2000; i++) {
      const len = rand(24);
      if (i % 2) samples.push(Buffer.from(Array.from({ length: len }, () => rand(256))).toString('base64'));
      else samples.push(Array.from({ length: len }, () => chars[rand(chars.length)]).join(''));
    }
    for (const s of samples) expect(configOf(s), JSON.stringify(s)).toEqual(reference(s));
  });
});
