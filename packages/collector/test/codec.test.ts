/** The OTLP codec: both encodings to and from the pipeline's OTLP/JSON shape, losslessly. */
import { describe, expect, it } from 'vitest';
import { countRecords, decodeRequest, encodeRequest, encodeResponse, decodeResponse, OtlpDecodeError, otlpSchema } from '@otel-policy/collector';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

const logs = {
  resourceLogs: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }], droppedAttributesCount: 1 },
      schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
      scopeLogs: [
        {
          scope: { name: 'lib', version: '1.0' },
          logRecords: [
            {
              timeUnixNano: '1700000000123456789',
              observedTimeUnixNano: '18446744073709551615',
              severityNumber: 9,
              severityText: 'INFO',
              body: { stringValue: '' },
              attributes: [
                { key: 'big', value: { intValue: '-9223372036854775808' } },
                { key: 'nan', value: { doubleValue: 'NaN' } },
                { key: 'inf', value: { doubleValue: 'Infinity' } },
                { key: 'bytes', value: { bytesValue: 'AQID' } },
                { key: 'list', value: { arrayValue: { values: [{ boolValue: false }, { doubleValue: 1.5 }] } } },
                { key: 'map', value: { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } } },
                { key: 'empty' },
              ],
              traceId: TRACE,
              spanId: SPAN,
              flags: 1,
              eventName: 'evt',
            },
          ],
        },
      ],
    },
  ],
};

const traces = {
  resourceSpans: [
    {
      scopeSpans: [
        {
          spans: [
            {
              traceId: TRACE,
              spanId: SPAN,
              parentSpanId: '0000000000000001',
              traceState: 'ot=th:8',
              name: 'GET /',
              kind: 2,
              startTimeUnixNano: '1',
              endTimeUnixNano: '2',
              events: [{ name: 'e', timeUnixNano: '3', attributes: [{ key: 'a', value: { stringValue: 'b' } }] }],
              links: [{ traceId: TRACE, spanId: SPAN, traceState: 'x=y' }],
              status: { code: 2, message: 'boom' },
            },
          ],
        },
      ],
    },
  ],
};

const metrics = {
  resourceMetrics: [
    {
      scopeMetrics: [
        {
          metrics: [
            { name: 'g', gauge: { dataPoints: [{ asDouble: 1.25, timeUnixNano: '5', exemplars: [{ asInt: '3', traceId: TRACE, spanId: SPAN }] }] } },
            { name: 's', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: '7' }, { asInt: '8', attributes: [{ key: 'a', value: { stringValue: 'b' } }] }] } },
            { name: 'h', histogram: { aggregationTemporality: 1, dataPoints: [{ count: '3', sum: 6, bucketCounts: ['1', '2'], explicitBounds: [1] }] } },
            { name: 'e', exponentialHistogram: { aggregationTemporality: 1, dataPoints: [{ count: '1', scale: 2, zeroCount: '0', positive: { offset: -1, bucketCounts: ['1'] } }] } },
            { name: 'q', summary: { dataPoints: [{ count: '1', sum: 2, quantileValues: [{ quantile: 0.5, value: 2 }] }] } },
            { name: 'empty' },
          ],
        },
      ],
    },
  ],
};

describe('OTLP codec', () => {
  for (const [signal, payload] of [
    ['logs', logs],
    ['traces', traces],
    ['metrics', metrics],
  ] as const) {
    it(`${signal}: JSON -> shape -> protobuf -> shape is lossless`, () => {
      const fromJson = decodeRequest(signal, Buffer.from(JSON.stringify(payload)), 'json');
      expect(fromJson.rejected).toBe(0);
      expect(fromJson.data).toEqual(payload);
      const proto = encodeRequest(signal, fromJson.data, 'proto');
      // Encoding leaves the shape as it was (identifiers restored to hex).
      expect(fromJson.data).toEqual(payload);
      const back = decodeRequest(signal, proto, 'proto');
      expect(back.data).toEqual(payload);
      expect(JSON.parse(Buffer.from(encodeRequest(signal, back.data, 'json')).toString())).toEqual(payload);
    });
  }

  it('counts log records, spans and data points', () => {
    expect(countRecords('logs', logs)).toBe(1);
    expect(countRecords('traces', traces)).toBe(1);
    expect(countRecords('metrics', metrics)).toBe(6);
  });

  it('keeps an empty string apart from a missing value, and drops empty identifiers', () => {
    const d = decodeRequest('logs', Buffer.from(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: '' }, traceId: '', severityText: '' }, {}] }] }] })), 'json');
    const records = (d.data as typeof logs).resourceLogs[0].scopeLogs[0].logRecords as Record<string, unknown>[];
    expect(records[0]).toEqual({ body: { stringValue: '' }, severityText: '' });
    expect(records[1]).toEqual({});
  });

  it('accepts enum names and numbers as strings in JSON, normalising to numbers', () => {
    const d = decodeRequest(
      'traces',
      Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'x', kind: 'SPAN_KIND_CLIENT', status: { code: 'STATUS_CODE_ERROR' }, startTimeUnixNano: 5 }] }] }] })),
      'json',
    );
    expect((d.data as typeof traces).resourceSpans[0].scopeSpans[0].spans[0]).toEqual({ name: 'x', kind: 3, status: { code: 2 }, startTimeUnixNano: '5' });
  });

  it('rejects records with malformed identifiers and prunes what they leave empty', () => {
    const body = { resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'a', traceId: 'xyz' }] }] }, { scopeSpans: [{ spans: [{ name: 'b', links: [{ spanId: '01' }] }, { name: 'c' }] }] }] };
    const d = decodeRequest('traces', Buffer.from(JSON.stringify(body)), 'json');
    expect(d.rejected).toBe(2);
    expect(d.records).toBe(1);
    expect(d.data).toEqual({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'c' }] }] }] });
    const m = decodeRequest(
      'metrics',
      Buffer.from(JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'g', gauge: { dataPoints: [{ asInt: '1', exemplars: [{ traceId: 'ab' }] }] } }] }] }] })),
      'json',
    );
    expect(m.rejected).toBe(1);
    expect(m.rejectMessage).toMatch(/exemplar/);
    expect(m.data).toEqual({ resourceMetrics: [] });
  });

  it('throws OtlpDecodeError for bodies that are not requests', () => {
    expect(() => decodeRequest('logs', Buffer.from([0x0a, 0x05, 0x01]), 'proto')).toThrow(OtlpDecodeError);
    expect(() => decodeRequest('logs', Buffer.from('{'), 'json')).toThrow(/invalid JSON/);
    expect(() => decodeRequest('logs', Buffer.from('"x"'), 'json')).toThrow(/must be a JSON object/);
  });

  it('encodes and reads Export responses with partial success', () => {
    for (const enc of ['proto', 'json'] as const) {
      expect(decodeResponse('metrics', encodeResponse('metrics', 4, 'bad points', enc), enc)).toEqual({ rejected: 4, errorMessage: 'bad points' });
      expect(decodeResponse('metrics', encodeResponse('metrics', 0, undefined, enc), enc)).toEqual({ rejected: 0, errorMessage: '' });
    }
    expect(
      otlpSchema()
        .logs.response.decode(encodeResponse('logs', 0, undefined, 'proto'))
        .toJSON(),
    ).toEqual({});
  });
});

describe('wire-level record count', () => {
  it('counts log records, spans and data points without decoding', async () => {
    const { countRecordsProto } = await import('@otel-policy/collector');
    expect(countRecordsProto('logs', encodeRequest('logs', logs, 'proto'))).toBe(1);
    expect(countRecordsProto('traces', encodeRequest('traces', traces, 'proto'))).toBe(1);
    expect(countRecordsProto('metrics', encodeRequest('metrics', metrics, 'proto'))).toBe(6);
    const many = { resourceLogs: [logs.resourceLogs[0], { scopeLogs: [{ logRecords: [{}, {}, {}] }, { logRecords: [] }] }] };
    expect(countRecordsProto('logs', encodeRequest('logs', many, 'proto'))).toBe(4);
  });
});
