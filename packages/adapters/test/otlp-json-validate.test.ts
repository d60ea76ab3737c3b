/** checkOtlpJsonShape: the first problem, named by its JSON path; nothing else refused. */
import { describe, expect, it } from 'vitest';
import { checkOtlpJsonShape, MAX_DEPTH, OtlpShapeError } from '../src/otlp-json/index.js';

const problem = (payload: unknown, signal: 'log' | 'trace' | 'metric' = 'log'): string | undefined => {
  try {
    checkOtlpJsonShape(payload, signal);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(OtlpShapeError);
    return (err as Error).message;
  }
};

const logs = (record: unknown) => ({ resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }] });

describe('checkOtlpJsonShape', () => {
  it('accepts valid payloads of every signal, nulls for fields, unknown keys and the int64/double/enum encodings', () => {
    expect(problem({})).toBeUndefined();
    expect(
      problem(
        logs({
          timeUnixNano: '1700000000000000000',
          severityNumber: 'SEVERITY_NUMBER_INFO',
          body: { kvlistValue: { values: [{ key: 'a', value: { doubleValue: 'NaN' } }] } },
          traceId: null,
          someFutureField: { x: [1] },
        }),
      ),
    ).toBeUndefined();
    expect(problem({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'GET', kind: 2, status: { code: 'STATUS_CODE_ERROR' }, events: [{ name: 'e' }], links: [] }] }] }] }, 'trace')).toBeUndefined();
    expect(
      problem(
        {
          resourceMetrics: [
            {
              scopeMetrics: [
                { metrics: [{ name: 'm', sum: { dataPoints: [{ asInt: '5', attributes: [] }], isMonotonic: true }, histogram: { dataPoints: [{ bucketCounts: ['1', 2], explicitBounds: [1.5] }] } }] },
              ],
            },
          ],
        },
        'metric',
      ),
    ).toBeUndefined();
  });

  it('names the JSON path of the first value of the wrong shape', () => {
    expect(problem({ resourceLogs: 'nope' })).toBe('resourceLogs: expected a list, got a string');
    expect(problem([])).toBe('expected an object (LogsData), got a list');
    expect(problem(logs(1))).toBe('resourceLogs[0].scopeLogs[0].logRecords[0]: expected an object (LogRecord), got a number');
    expect(problem(logs(null))).toBe('resourceLogs[0].scopeLogs[0].logRecords[0]: expected an object (LogRecord), got null');
    expect(problem(logs({ body: { stringValue: 5 } }))).toBe('resourceLogs[0].scopeLogs[0].logRecords[0].body.stringValue: expected a string, got a number');
    expect(problem(logs({ attributes: [{ key: 'a', value: { intValue: '12abc' } }] }))).toMatch(/attributes\[0\]\.value\.intValue: expected an integer/);
    expect(problem(logs({ droppedAttributesCount: -1 }))).toMatch(/droppedAttributesCount: expected a non-negative integer, got -1/);
    expect(problem({ resourceMetrics: [{ scopeMetrics: [{ metrics: [null] }] }] }, 'metric')).toBe('resourceMetrics[0].scopeMetrics[0].metrics[0]: expected an object (Metric), got null');
    expect(problem({ resourceSpans: [{ scopeSpans: [{ spans: [{ events: {} }] }] }] }, 'trace')).toBe('resourceSpans[0].scopeSpans[0].spans[0].events: expected a list, got an object');
  });

  it('reads "__proto__", "constructor" and other Object.prototype names as unknown keys, not as fields', () => {
    const withProto = JSON.parse('{"resourceLogs": [{"__proto__": {"x": 1}, "constructor": "c", "scopeLogs": [{"logRecords": [{"toString": 5, "hasOwnProperty": []}]}]}]}');
    expect(problem(withProto)).toBeUndefined();
    expect(problem(logs({ attributes: [{ key: '__proto__', value: { stringValue: 'x' } }] }))).toBeUndefined();
  });

  it('refuses known fields under their snake_case names, which the accessors would skip silently', () => {
    expect(problem({ resource_logs: [] })).toBe('resource_logs: OTLP/JSON keys are lowerCamelCase: write "resourceLogs"');
    expect(problem(logs({ severity_text: 'DEBUG' }))).toBe('resourceLogs[0].scopeLogs[0].logRecords[0].severity_text: OTLP/JSON keys are lowerCamelCase: write "severityText"');
    expect(problem({ resourceSpans: [{ scopeSpans: [{ spans: [{ parent_span_id: 'ab' }] }] }] }, 'trace')).toMatch(/spans\[0\]\.parent_span_id: .*write "parentSpanId"/);
    // An unknown snake_case key is just unknown.
    expect(problem(logs({ some_future_field: 1 }))).toBeUndefined();
  });

  it("refuses another signal's top-level key (it would pass through unevaluated)", () => {
    expect(problem({ resourceLogs: [], resourceSpans: [] })).toBe('resourceSpans: a logs payload (resourceLogs) cannot hold traces; one signal per payload');
    expect(problem({ resourceLogs: [] }, 'trace')).toBe('resourceLogs: a traces payload (resourceSpans) cannot hold logs; one signal per payload');
    expect(problem({ resource_metrics: [] }, 'log')).toMatch(/^resource_metrics: a logs payload .* cannot hold metrics/);
  });

  it('refuses nesting deeper than MAX_DEPTH, under known keys or not, without overflowing the stack', () => {
    let body: unknown = { stringValue: 'leaf' };
    for (let i = 0; i < 100_000; i++) body = { arrayValue: { values: [body] } };
    expect(problem(logs({ body }))).toMatch(new RegExp(`nested more than ${MAX_DEPTH} levels deep`));
    let unknown: unknown = 1;
    for (let i = 0; i < 100_000; i++) unknown = [unknown];
    expect(problem(logs({ extension: unknown }))).toMatch(/nested more than/);
    let fine: unknown = { stringValue: 'leaf' };
    for (let i = 0; i < 200; i++) fine = { arrayValue: { values: [fine] } };
    expect(problem(logs({ body: fine }))).toBeUndefined();
  });
});
