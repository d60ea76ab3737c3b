/** The OTLP/HTTP and OTLP/gRPC receivers over real sockets: encodings, limits and every error answer. */
import zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest, GrpcCode, otlpSchema, OtlpSink, type Collector } from '@otel-policy/collector';
import { closeGrpcClients, grpcExport, grpcTarget, httpBase, logsPayload, post, postOtlp, startCollector, tempDir, writeFile } from './support.js';

const { dir, cleanup } = tempDir();
let sink: OtlpSink;
let collector: Collector;
let base: string;

const LIMIT = 64 * 1024;

beforeAll(async () => {
  sink = await new OtlpSink().start();
  writeFile(dir, 'policies.yaml', 'policies:\n  - id: drop-debug\n    name: drop debug\n    log:\n      match:\n        - log_field: severity_text\n          exact: DEBUG\n      keep: none\n');
  collector = await startCollector(
    `
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:0", max_request_body_size: ${LIMIT} }
      grpc: { endpoint: "127.0.0.1:0", max_recv_msg_size_mib: 1 }
processors:
  policy: { providers: [ { type: file, id: p, path: ./policies.yaml } ] }
exporters:
  otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false } }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], processors: [policy], exporters: [otlphttp] }
    traces: { receivers: [otlp], exporters: [otlphttp] }
`,
    dir,
  );
  base = httpBase(collector);
});

afterAll(async () => {
  closeGrpcClients();
  await collector.shutdown();
  await sink.stop();
  cleanup();
});

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const { Status } = otlpSchema();
const statusOf = (body: Buffer) => Status.toObject(Status.decode(body)) as { code: number; message: string; details?: unknown[] };
const logsResponse = otlpSchema().logs.response;

describe('OTLP/HTTP receiver', () => {
  it('accepts protobuf and answers an empty protobuf Export response', async () => {
    const before = sink.recordsOf('logs');
    const res = await postOtlp(base, 'logs', encodeRequest('logs', logsPayload(3), 'proto'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-protobuf');
    expect(res.body.length).toBe(0);
    expect(sink.recordsOf('logs') - before).toBe(3);
  });

  it('accepts JSON and answers JSON', async () => {
    const res = await postOtlp(base, 'logs', json(logsPayload(2)), { encoding: 'json' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body.toString())).toEqual({});
  });

  it('accepts gzip and deflate bodies, and a charset parameter on the Content-Type', async () => {
    const before = sink.recordsOf('logs');
    expect((await postOtlp(base, 'logs', encodeRequest('logs', logsPayload(4), 'proto'), { gzip: true })).status).toBe(200);
    const deflated = zlib.deflateSync(json(logsPayload(1)));
    expect((await post(`${base}/v1/logs`, deflated, { 'content-type': 'application/json; charset=utf-8', 'content-encoding': 'deflate' })).status).toBe(200);
    expect(sink.recordsOf('logs') - before).toBe(5);
  });

  it('accepts snake_case JSON field names, as proto3 JSON parsers must', async () => {
    const before = sink.recordsOf('logs');
    const body = { resource_logs: [{ scope_logs: [{ log_records: [{ severity_text: 'WARN', body: { string_value: 'snake' } }] }] }] };
    expect((await postOtlp(base, 'logs', json(body), { encoding: 'json' })).status).toBe(200);
    expect(sink.recordsOf('logs') - before).toBe(1);
    const last = sink.requests.at(-1)!.data as { resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string } }[] }[] }[] };
    expect(last.resourceLogs[0].scopeLogs[0].logRecords[0].body.stringValue).toBe('snake');
  });

  it('answers 400 with a google.rpc.Status for a malformed protobuf body', async () => {
    const res = await postOtlp(base, 'logs', Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x02]));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/x-protobuf');
    const s = statusOf(res.body);
    expect(s.code).toBe(GrpcCode.INVALID_ARGUMENT);
    expect(s.message).toMatch(/cannot decode the protobuf ExportLogsServiceRequest/);
  });

  it('answers 400 with a JSON Status for malformed JSON and for a wrong shape', async () => {
    const bad = await postOtlp(base, 'logs', Buffer.from('{"resourceLogs": ['), { encoding: 'json' });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toBe('application/json');
    expect(JSON.parse(bad.body.toString())).toMatchObject({ code: 3, message: expect.stringMatching(/^invalid JSON/) });
    const shape = await postOtlp(base, 'logs', json({ resourceLogs: 'nope' }), { encoding: 'json' });
    expect(shape.status).toBe(400);
    expect(JSON.parse(shape.body.toString()).message).toMatch(/resourceLogs: must be a list, got "nope"/);
    const notObject = await postOtlp(base, 'logs', json([1, 2]), { encoding: 'json' });
    expect(JSON.parse(notObject.body.toString()).message).toMatch(/must be a JSON object/);
  });

  it('answers 400 for a body that is not valid gzip', async () => {
    const res = await post(`${base}/v1/logs`, Buffer.from('not gzip'), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(statusOf(res.body).message).toMatch(/cannot decompress the gzip body/);
  });

  it('answers 413 over the size limit: by Content-Length, while streaming, and after decompression', async () => {
    const big = Buffer.alloc(LIMIT + 1, 1);
    const declared = await post(`${base}/v1/logs`, big, { 'content-type': 'application/x-protobuf' });
    expect(declared.status).toBe(413);
    expect(statusOf(declared.body).message).toMatch(/exceeds the limit of 65536 bytes/);
    const chunked = await post(`${base}/v1/logs`, big, { 'content-type': 'application/x-protobuf', 'transfer-encoding': 'chunked' });
    expect(chunked.status).toBe(413);
    const bomb = zlib.gzipSync(Buffer.alloc(LIMIT * 4, 0));
    expect(bomb.length).toBeLessThan(LIMIT);
    const inflated = await post(`${base}/v1/logs`, bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(inflated.status).toBe(413);
    expect(statusOf(inflated.body).message).toMatch(/decompressed request body exceeds/);
  });

  it('answers 415 for an unsupported Content-Type or Content-Encoding', async () => {
    const type = await post(`${base}/v1/logs`, 'x', { 'content-type': 'text/plain' });
    expect(type.status).toBe(415);
    expect(type.body.toString()).toMatch(/text\/plain Content-Type is not supported/);
    const enc = await post(`${base}/v1/logs`, 'x', { 'content-type': 'application/json', 'content-encoding': 'br' });
    expect(enc.status).toBe(415);
    expect(JSON.parse(enc.body.toString()).message).toMatch(/unsupported Content-Encoding "br"/);
  });

  it('answers 405 for other methods and 404 for unknown paths or signals without a pipeline', async () => {
    const get = await post(`${base}/v1/logs`, '', {}, 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect((await post(`${base}/v2/logs`, 'x', { 'content-type': 'application/json' })).status).toBe(404);
    expect((await postOtlp(base, 'metrics', json({}), { encoding: 'json' })).status).toBe(404);
  });

  it('reports records with invalid identifiers as a partial success, in the request encoding', async () => {
    const payload = logsPayload(3) as { resourceLogs: { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[] };
    payload.resourceLogs[0].scopeLogs[0].logRecords[0].traceId = 'not-hex';
    payload.resourceLogs[0].scopeLogs[0].logRecords[1].spanId = '0102';
    const before = sink.recordsOf('logs');
    const res = await postOtlp(base, 'logs', json(payload), { encoding: 'json' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ partialSuccess: { rejectedLogRecords: '2', errorMessage: 'log record rejected: invalid trace_id or span_id' } });
    expect(sink.recordsOf('logs') - before).toBe(1);

    // Protobuf: a 5-byte trace ID on a span.
    const spans = encodeRequest('traces', { resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'ok' }, { name: 'bad' }] }] }] }, 'proto');
    const T = otlpSchema().traces.request;
    const msg = T.decode(spans) as unknown as { resourceSpans: { scopeSpans: { spans: { traceId: Uint8Array }[] }[] }[] };
    msg.resourceSpans[0].scopeSpans[0].spans[1].traceId = Buffer.from([1, 2, 3, 4, 5]);
    const pres = await postOtlp(base, 'traces', T.encode(msg as never).finish());
    expect(pres.status).toBe(200);
    const R = otlpSchema().traces.response;
    expect(R.toObject(R.decode(pres.body), { longs: Number })).toEqual({ partialSuccess: { rejectedSpans: 1, errorMessage: expect.stringMatching(/^span rejected/) } });
  });

  it('a request whose records are all dropped is a success and exports nothing', async () => {
    const before = sink.requests.length;
    const res = await postOtlp(base, 'logs', encodeRequest('logs', logsPayload(3, { severity: () => 'DEBUG' }), 'proto'));
    expect(res.status).toBe(200);
    expect(logsResponse.decode(res.body).toJSON()).toEqual({});
    expect(sink.requests.length).toBe(before);
  });
});

describe('OTLP/gRPC receiver', () => {
  it('exports and answers an empty Export response', async () => {
    const before = sink.recordsOf('logs');
    const res = await grpcExport(grpcTarget(collector), 'logs', encodeRequest('logs', logsPayload(5), 'proto'));
    expect(res.error).toBeUndefined();
    expect(res.response!.length).toBe(0);
    expect(sink.recordsOf('logs') - before).toBe(5);
  });

  it('accepts gzip-compressed calls', async () => {
    const before = sink.recordsOf('logs');
    const client = new grpc.Client(grpcTarget(collector), grpc.credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 });
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest(
        otlpSchema().logs.grpcPath,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(encodeRequest('logs', logsPayload(2), 'proto')),
        (e) => resolve(e),
      ),
    );
    client.close();
    expect(err).toBeNull();
    expect(sink.recordsOf('logs') - before).toBe(2);
  });

  it('answers INVALID_ARGUMENT with the reason for a malformed message', async () => {
    const res = await grpcExport(grpcTarget(collector), 'logs', Buffer.from([0x0a, 0xff, 0xff, 0x01]));
    expect(res.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(res.error?.details).toMatch(/cannot decode the protobuf ExportLogsServiceRequest/);
  });

  it('refuses messages over max_recv_msg_size_mib with RESOURCE_EXHAUSTED', async () => {
    const huge = encodeRequest('logs', logsPayload(1, { body: () => 'x'.repeat(1024 * 1024 + 10) }), 'proto');
    const res = await grpcExport(grpcTarget(collector), 'logs', huge);
    expect(res.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('answers UNIMPLEMENTED for a signal without a pipeline', async () => {
    const res = await grpcExport(grpcTarget(collector), 'metrics', encodeRequest('metrics', { resourceMetrics: [] }, 'proto'));
    expect(res.error?.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('reports rejected records as a partial success', async () => {
    const payload = logsPayload(2) as { resourceLogs: { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[] };
    const L = otlpSchema().logs.request;
    const msg = L.decode(encodeRequest('logs', payload, 'proto')) as unknown as { resourceLogs: { scopeLogs: { logRecords: { spanId: Uint8Array }[] }[] }[] };
    msg.resourceLogs[0].scopeLogs[0].logRecords[0].spanId = Buffer.from([1]);
    const res = await grpcExport(grpcTarget(collector), 'logs', L.encode(msg as never).finish());
    expect(res.error).toBeUndefined();
    expect(logsResponse.toObject(logsResponse.decode(res.response!), { longs: Number })).toEqual({
      partialSuccess: { rejectedLogRecords: 1, errorMessage: 'log record rejected: invalid trace_id or span_id' },
    });
  });
});
