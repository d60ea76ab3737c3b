/**
 * The codec against hostile and malformed bodies: every failure is an
 * OtlpDecodeError with a reason (the receivers answer it 400 /
 * INVALID_ARGUMENT), never another exception; OTLP/JSON values are checked
 * against the schema instead of being silently changed; nesting is bounded
 * by one documented limit in both encodings.
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '@otel-policy/core';
import { decodeRequest, encodeRequest, OtlpDecodeError, readRequest } from '@otel-policy/collector';
import { logsPayload } from './support.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** The error decodeRequest throws (fails the test if it does not throw). */
function decodeError(body: Uint8Array, encoding: 'proto' | 'json', signal: 'logs' | 'traces' | 'metrics' = 'logs'): Error {
  try {
    decodeRequest(signal, body, encoding);
  } catch (err) {
    return err as Error;
  }
  throw new Error('decodeRequest accepted the body');
}

/** A log request with one record whose fields are `record`. */
const logWith = (record: Record<string, unknown>) => ({ resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }] });

/** A body nested `levels` kvlistValue (or arrayValue) levels deep, as OTLP/JSON. */
function nestedValue(levels: number, kind: 'kvlist' | 'array', snake = false): unknown {
  let v: unknown = { [snake ? 'string_value' : 'stringValue']: 'leaf' };
  for (let i = 0; i < levels; i++) {
    v = kind === 'kvlist' ? { [snake ? 'kvlist_value' : 'kvlistValue']: { values: [{ key: 'k', value: v }] } } : { [snake ? 'array_value' : 'arrayValue']: { values: [v] } };
  }
  return v;
}

/** The same as protobuf bytes, built with a bare Writer (protobufjs's encoder has the depth limit under test). */
function nestedProto(levels: number): Uint8Array {
  const w = () => protobuf.Writer.create();
  let anyValue = w().uint32(10).string('leaf').finish(); // AnyValue.string_value = 1
  for (let i = 0; i < levels; i++) {
    const kv = w().uint32(10).string('k').uint32(18).bytes(anyValue).finish(); // KeyValue: key = 1, value = 2
    const list = w().uint32(10).bytes(kv).finish(); // KeyValueList.values = 1
    anyValue = w().uint32(50).bytes(list).finish(); // AnyValue.kvlist_value = 6
  }
  const record = w().uint32(42).bytes(anyValue).finish(); // LogRecord.body = 5
  const scope = w().uint32(18).bytes(record).finish(); // ScopeLogs.log_records = 2
  const resource = w().uint32(18).bytes(scope).finish(); // ResourceLogs.scope_logs = 2
  return w().uint32(10).bytes(resource).finish(); // request.resource_logs = 1
}

describe('nesting', () => {
  it('refuses a body nested 10,000 levels deep with snake_case or camelCase keys as a decode error, not a stack overflow', () => {
    for (const snake of [true, false]) {
      // Built as text: JSON.stringify itself overflows at this depth.
      const [kv, sv] = snake ? ['kvlist_value', 'string_value'] : ['kvlistValue', 'stringValue'];
      const body = `${`{"${kv}":{"values":[{"key":"k","value":`.repeat(10_000)}{"${sv}":"leaf"}${'}]}}'.repeat(10_000)}`;
      const text = `{"resource_logs":[{"scope_logs":[{"log_records":[{"severity_text":"x","body":${body}}]}]}]}`;
      expect(() => JSON.parse(text)).not.toThrow();
      const err = decodeError(Buffer.from(text), 'json');
      expect(err).toBeInstanceOf(OtlpDecodeError);
      expect(err.message).toMatch(/nested deeper than 1000 messages/);
    }
    const deepArrays = Buffer.from(`{"resource_logs":${'['.repeat(20_000)}${']'.repeat(20_000)}}`);
    expect(decodeError(deepArrays, 'json')).toBeInstanceOf(OtlpDecodeError);
  });

  it('accepts attribute values nested 300 kvlist levels (and 450 array levels) deep, in both encodings, and re-encodes them', () => {
    for (const body of [nestedValue(300, 'kvlist'), nestedValue(450, 'array'), nestedValue(300, 'kvlist', true)]) {
      const d = decodeRequest('logs', json(logWith({ body })), 'json');
      expect(d.records).toBe(1);
      const proto = encodeRequest('logs', d.data, 'proto');
      const again = decodeRequest('logs', proto, 'proto');
      expect(again.records).toBe(1);
      expect(encodeRequest('logs', again.data, 'proto')).toEqual(proto);
    }
    expect(decodeRequest('logs', nestedProto(300), 'proto').records).toBe(1);
  });

  it('refuses deeper values in both encodings, saying why', () => {
    const fromJson = decodeError(json(logWith({ body: nestedValue(340, 'kvlist') })), 'json');
    expect(fromJson).toBeInstanceOf(OtlpDecodeError);
    expect(fromJson.message).toMatch(/^invalid ExportLogsServiceRequest: resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.body\..*: nested deeper than 1000 messages$/);
    const fromProto = decodeError(nestedProto(340), 'proto');
    expect(fromProto).toBeInstanceOf(OtlpDecodeError);
    expect(fromProto.message).toMatch(/nested deeper than 1000 messages/);
  });
});

describe('OTLP/JSON values', () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['a uint64 that overflows', { timeUnixNano: '999999999999999999999999' }, /logRecords\[0\]\.timeUnixNano: must be a uint64 .*got "999999999999999999999999"/],
    ['a negative unsigned value', { timeUnixNano: '-1' }, /timeUnixNano: must be a uint64/],
    ['trailing garbage', { observedTimeUnixNano: '12abc' }, /observedTimeUnixNano: must be a uint64/],
    ['2^64 exactly', { timeUnixNano: '18446744073709551616' }, /timeUnixNano: must be a uint64/],
    ['a fraction in a 64-bit field', { timeUnixNano: 1.5 }, /timeUnixNano: must be a uint64/],
    ['an int64 over the maximum', { body: { intValue: '9223372036854775808' } }, /body\.intValue: must be an int64/],
    ['an int64 with an exponent', { body: { intValue: '1e3' } }, /body\.intValue: must be an int64/],
    ['a negative uint32', { droppedAttributesCount: -1 }, /droppedAttributesCount: must be a uint32/],
    ['a fraction in a uint32', { droppedAttributesCount: 2.5 }, /droppedAttributesCount: must be a uint32/],
    ['a fixed32 over 2^32', { flags: 4294967296 }, /flags: must be a uint32/],
    ['an unknown enum name', { severityNumber: 'SEVERITY_NUMBER_LOUD' }, /severityNumber: must be an enum value/],
    ['a fractional enum', { severityNumber: 9.5 }, /severityNumber: must be an enum value/],
    ['a number for a string', { severityText: 5 }, /severityText: must be a string, got 5/],
    ['an object for a string', { body: { stringValue: { a: 1 } } }, /body\.stringValue: must be a string, got an object/],
    ['a string for a bool', { body: { boolValue: 'true' } }, /body\.boolValue: must be true or false/],
    ['a word for a double', { body: { doubleValue: 'abc' } }, /body\.doubleValue: must be a number/],
    ['bytes that are not base64', { body: { bytesValue: '%%%' } }, /body\.bytesValue: must be a base64 string/],
    ['an object for a list', { attributes: { key: 'a' } }, /attributes: must be a list, got an object/],
    ['null in a list', { attributes: [null] }, /attributes\[0\]: must be an object, got null/],
    ['a string for a message', { body: 'text' }, /body: must be an object, got "text"/],
    ['two members of a oneof', { body: { stringValue: 'a', intValue: '1' } }, /only one field of "value" may be set/],
    ['a field given twice', { severityText: 'A', severity_text: 'B' }, /severityText is given twice/],
  ];
  for (const [what, record, message] of bad) {
    it(`refuses ${what}, naming the field`, () => {
      const err = decodeError(json(logWith(record)), 'json');
      expect(err).toBeInstanceOf(OtlpDecodeError);
      expect(err.message).toMatch(/^invalid ExportLogsServiceRequest: resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\./);
      expect(err.message).toMatch(message);
    });
  }

  it('checks every signal: spans, metric points and exemplars', () => {
    expect(decodeError(json({ resourceSpans: [{ scopeSpans: [{ spans: [{ kind: 'SPAN_KIND_NOPE' }] }] }] }), 'json', 'traces').message).toMatch(/spans\[0\]\.kind: must be an enum value/);
    const point = (p: Record<string, unknown>) => ({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', sum: { dataPoints: [p] } }] }] }] });
    expect(decodeError(json(point({ asInt: '1.5' })), 'json', 'metrics').message).toMatch(/sum\.dataPoints\[0\]\.asInt: must be an int64/);
    expect(decodeError(json(point({ exemplars: [{ asInt: 'x' }] })), 'json', 'metrics').message).toMatch(/exemplars\[0\]\.asInt: must be an int64/);
    const histogram = { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'h', histogram: { dataPoints: [{ bucketCounts: ['1', '-2'] }] } }] }] }] };
    expect(decodeError(json(histogram), 'json', 'metrics').message).toMatch(/dataPoints\[0\]\.bucketCounts\[1\]: must be a uint64/);
  });

  it('accepts every valid form, at the edges of each range, and keeps the values exact', () => {
    const record = {
      time_unix_nano: '18446744073709551615',
      observedTimeUnixNano: 1_700_000_000_000,
      severityNumber: 'SEVERITY_NUMBER_WARN',
      droppedAttributesCount: '4294967295',
      flags: 0,
      body: {
        kvlistValue: {
          values: [
            { key: 'min', value: { intValue: '-9223372036854775808' } },
            { key: 'max', value: { int_value: 9007199254740991 } },
            { key: 'nan', value: { doubleValue: 'NaN' } },
          ],
        },
      },
      attributes: [
        { key: 'b', value: { bytesValue: 'AQID' } },
        { key: 'ok', value: { boolValue: false } },
        { key: 'null', value: null },
      ],
      traceId: null,
    };
    const d = decodeRequest('logs', json(logWith(record)), 'json');
    const r = (d.data as { resourceLogs: { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[] }).resourceLogs[0].scopeLogs[0].logRecords[0];
    expect(r.timeUnixNano).toBe('18446744073709551615');
    expect(r.observedTimeUnixNano).toBe('1700000000000');
    expect(r.severityNumber).toBe(13);
    expect(r.droppedAttributesCount).toBe(4294967295);
    expect(r.body).toEqual({
      kvlistValue: {
        values: [
          { key: 'min', value: { intValue: '-9223372036854775808' } },
          { key: 'max', value: { intValue: '9007199254740991' } },
          { key: 'nan', value: { doubleValue: 'NaN' } },
        ],
      },
    });
    expect(r.attributes).toEqual([{ key: 'b', value: { bytesValue: 'AQID' } }, { key: 'ok', value: { boolValue: false } }, { key: 'null' }]);
    // A uint64 number over 2^63 is not clamped to 2^63-1.
    const big = decodeRequest('logs', Buffer.from('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":10000000000000000000}]}]}]}'), 'json');
    expect((big.data as typeof d.data & { resourceLogs: { scopeLogs: { logRecords: { timeUnixNano: string }[] }[] }[] }).resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano).toBe(
      '10000000000000000000',
    );
  });
});

/** A small deterministic generator (tests must not flake). */
function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** `valid` mutated the `i`-th way of three: three bit flips, truncated, or two random bytes inserted. */
function mutated(valid: Uint8Array, i: number, rand: () => number): Buffer {
  const b = Buffer.from(valid);
  if (i % 3 === 0) {
    for (let k = 0; k < 3; k++) b[Math.floor(rand() * b.length)] ^= 1 << Math.floor(rand() * 8);
    return b;
  }
  if (i % 3 === 1) return b.subarray(0, Math.floor(rand() * b.length));
  const at = Math.floor(rand() * b.length);
  return Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(rand() * 256), Math.floor(rand() * 256)]), b.subarray(at)]);
}

describe('malformed bodies of every kind', () => {
  it('a mutated protobuf body (bit flips, truncation, inserted bytes) decodes or fails with OtlpDecodeError, and what decodes re-encodes', () => {
    const valid = encodeRequest('logs', logsPayload(3), 'proto');
    const rand = rng(42);
    let failures = 0;
    for (let i = 0; i < 400; i++) {
      const body = mutated(valid, i, rand);
      try {
        const d = decodeRequest('logs', body, 'proto');
        encodeRequest('logs', d.data, 'proto');
        encodeRequest('logs', d.data, 'json');
      } catch (err) {
        failures++;
        expect(err).toBeInstanceOf(OtlpDecodeError);
      }
    }
    expect(failures).toBeGreaterThan(50);
  });

  it('a mutated protobuf body is refused with OtlpDecodeError or located, read by policies, spliced, and then decodes', () => {
    const valid = encodeRequest('logs', logsPayload(3), 'proto');
    const engine = new PolicyEngine({
      policies: JSON.stringify({
        policies: [
          { id: 'a', name: 'a', log: { match: [{ log_field: 'body', regex: '1$' }], keep: 'none' } },
          {
            id: 'b',
            name: 'b',
            log: {
              match: [
                { log_attribute: 'i', exists: true },
                { resource_attribute: 'service.name', exists: true },
              ],
              keep: 'all',
              transform: { add: [{ log_attribute: 'seen', value: 'y' }] },
            },
          },
          {
            id: 'c',
            name: 'c',
            log: {
              match: [
                { log_field: 'severity_text', exact: 'INFO' },
                { log_field: 'trace_id', exists: false },
              ],
              keep: 'all',
            },
          },
        ],
      }),
    });
    const rand = rng(43);
    let failures = 0;
    for (let i = 0; i < 600; i++) {
      const body = mutated(valid, i, rand);
      let received;
      try {
        received = readRequest('logs', body, 'proto');
      } catch (err) {
        failures++;
        expect(err).toBeInstanceOf(OtlpDecodeError);
        continue;
      }
      // What the service accepts, it can evaluate and forward, and a decoder downstream can read.
      received.payload.applyPolicies(engine);
      const out = received.payload.encode('proto');
      expect(() => decodeRequest('logs', out, 'proto')).not.toThrow();
    }
    expect(failures).toBeGreaterThan(50);
  });

  it('JSON with a value of the wrong type anywhere decodes or fails with OtlpDecodeError', () => {
    const replacements: unknown[] = [null, 1.5, -1, 'x', '', true, [], {}, [1], { a: 1 }, '99999999999999999999999', 1e308];
    const rand = rng(7);
    const template = JSON.stringify(logsPayload(2));
    /** Every leaf and container path in the payload. */
    const paths: (string | number)[][] = [];
    const collect = (v: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (Array.isArray(v)) v.forEach((x, i) => collect(x, [...path, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) collect(x, [...path, k]);
    };
    collect(JSON.parse(template), []);
    let failures = 0;
    for (let i = 0; i < 300; i++) {
      const payload = JSON.parse(template) as Record<string | number, unknown>;
      const path = paths[1 + Math.floor(rand() * (paths.length - 1))];
      let holder = payload;
      for (const k of path.slice(0, -1)) holder = holder[k] as Record<string | number, unknown>;
      holder[path.at(-1)!] = replacements[Math.floor(rand() * replacements.length)];
      try {
        const d = decodeRequest('logs', json(payload), 'json');
        encodeRequest('logs', d.data, 'proto');
      } catch (err) {
        failures++;
        expect(err, `${path.join('.')}`).toBeInstanceOf(OtlpDecodeError);
      }
    }
    expect(failures).toBeGreaterThan(50);
  });

  it('invalid UTF-8 in a protobuf string is accepted as the Collector accepts it, and passes through byte for byte', () => {
    const valid = Buffer.from(encodeRequest('logs', logsPayload(1, { body: () => 'abcd' }), 'proto'));
    const at = valid.indexOf('abcd');
    valid[at + 1] = 0xff;
    valid[at + 2] = 0xc3;
    const d = readRequest('logs', valid, 'proto');
    expect(d.records).toBe(1);
    expect(Buffer.from(d.payload.encode('proto'))).toEqual(valid);
    // Decoded (the debug exporter, a JSON exporter), it reads with replacement characters.
    expect(JSON.stringify(decodeRequest('logs', valid, 'proto').data)).toContain('a\ufffd');
  });
});
