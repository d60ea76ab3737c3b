import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { camelKeys, JSON_CONTENT_TYPE, mediaTypeOf, otlpSchema, PROTO_DIR, PROTOBUF_CONTENT_TYPE, SIGNALS, snakeToCamel, SYNC_METHOD_PATH, syncSchema } from '../src/index.js';

describe('the vendored protos', () => {
  it('ship with their license', () => {
    expect(existsSync(path.join(PROTO_DIR, 'LICENSE'))).toBe(true);
    expect(existsSync(path.join(PROTO_DIR, 'tero/policy/v1/policy.proto'))).toBe(true);
    expect(existsSync(path.join(PROTO_DIR, 'opentelemetry/proto/collector/logs/v1/logs_service.proto'))).toBe(true);
  });

  it('load the OTLP services and round-trip a request', () => {
    const s = otlpSchema();
    expect(otlpSchema()).toBe(s);
    for (const signal of SIGNALS) expect(s[signal].grpcPath).toMatch(/^\/opentelemetry\.proto\.collector\..+\/Export$/);
    const req = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'hi' }, severityNumber: 9 }] }] }] };
    const bytes = s.logs.request.encode(s.logs.request.fromObject(req)).finish();
    const back = s.logs.request.toObject(s.logs.request.decode(bytes)) as typeof req;
    expect(back.resourceLogs[0].scopeLogs[0].logRecords[0].body).toEqual({ stringValue: 'hi' });
    expect(s.Status.fields.message).toBeDefined();
  });

  it('load the policy sync protocol', () => {
    const s = syncSchema();
    expect(syncSchema()).toBe(s);
    expect(SYNC_METHOD_PATH).toBe('/tero.policy.v1.PolicyService/Sync');
    const bytes = s.SyncRequest.encode(s.SyncRequest.fromObject({ clientMetadata: { supportedPolicyStages: [] } })).finish();
    expect(s.SyncRequest.decode(bytes)).toBeDefined();
    expect(s.Policy.fields.id).toBeDefined();
  });

  it('decode attribute values nested beyond protobufjs default depth of 100', () => {
    const s = otlpSchema();
    let value: Record<string, unknown> = { stringValue: 'leaf' };
    for (let i = 0; i < 60; i++) value = { kvlistValue: { values: [{ key: 'k', value }] } };
    const req = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: value }] }] }] };
    const bytes = s.logs.request.encode(s.logs.request.fromObject(req)).finish();
    expect(() => s.logs.request.decode(bytes)).not.toThrow();
  });
});

describe('content types', () => {
  it('reads the media type of a header value', () => {
    expect(mediaTypeOf('Application/JSON; charset=utf-8')).toBe(JSON_CONTENT_TYPE);
    expect(mediaTypeOf(' application/x-protobuf ')).toBe(PROTOBUF_CONTENT_TYPE);
    expect(mediaTypeOf(undefined)).toBe('');
    expect(mediaTypeOf(null)).toBe('');
  });
});

describe('proto3 JSON key case', () => {
  it('turns proto field names into JSON names', () => {
    expect(snakeToCamel('time_unix_nano')).toBe('timeUnixNano');
    expect(snakeToCamel('trace_id')).toBe('traceId');
    expect(snakeToCamel('already')).toBe('already');
    expect(snakeToCamel('field_2x')).toBe('field2x');
  });

  it('renames keys through a document, the explicit JSON name winning', () => {
    const doc = JSON.parse('{"client_metadata":{"supported_policy_stages":[{"a_b":1}]},"policyId":"x","policy_id":"y","__proto__":{"polluted":true}}');
    const out = camelKeys(doc) as Record<string, unknown>;
    expect(out).toEqual({ clientMetadata: { supportedPolicyStages: [{ aB: 1 }] }, policyId: 'x' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});
