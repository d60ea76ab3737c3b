/**
 * The receivers against hostile clients, over real sockets on 127.0.0.1:
 * a bound on the bytes in flight across requests and protocols (429 /
 * RESOURCE_EXHAUSTED, released once answered), slow clients cut by the
 * server's timeouts, and malformed input of every kind answered 4xx /
 * INVALID_ARGUMENT with a reason, never 500.
 */
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest, otlpSchema, OtlpSink, type Collector } from '@otel-policy/collector';
import { closeGrpcClients, eventually, grpcExport, grpcTarget, httpBase, logsPayload, parseProm, post, postOtlp, sleep, startCollector } from './support.js';

const LIMIT = 512 * 1024; // per request
let sink: OtlpSink;
let collector: Collector;
let base: string;
let port: number;

beforeAll(async () => {
  sink = await new OtlpSink({ keep: false }).start();
  collector = await startCollector(`
receivers:
  otlp:
    admission: { request_limit_mib: 1 }
    protocols:
      http: { endpoint: "127.0.0.1:0", max_request_body_size: ${LIMIT}, read_header_timeout: 400ms, read_timeout: 1500ms }
      grpc: { endpoint: "127.0.0.1:0" }
exporters:
  otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false } }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [otlphttp] }
`);
  base = httpBase(collector);
  port = Number(base.split(':').at(-1));
});

afterAll(async () => {
  closeGrpcClients();
  await collector.shutdown();
  await sink.stop();
});

const inflight = () => parseProm(collector.metrics.render()).get('otelcol_receiver_inflight_bytes{receiver="otlp"}');
const statusMessage = (body: Buffer) => (otlpSchema().Status.toObject(otlpSchema().Status.decode(body)) as { message: string }).message;

/**
 * A gzip upload that has sent (and the server has inflated) `inflated`
 * bytes and stays open; `end()` aborts it.
 */
async function heldUpload(inflated: number): Promise<{ end: () => void; response: Promise<number> }> {
  const gz = zlib.createGzip();
  const req = http.request(`${base}/v1/logs`, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', 'transfer-encoding': 'chunked' } });
  const response = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(-1));
  });
  gz.on('data', (c: Buffer) => req.write(c));
  gz.write(Buffer.alloc(inflated, 0x0a));
  gz.flush(zlib.constants.Z_SYNC_FLUSH);
  return { end: () => req.destroy(), response };
}

describe('admission: a bound on the bytes in flight', () => {
  it('refuses over the receiver-wide bound with 429 and Retry-After (HTTP) or RESOURCE_EXHAUSTED (gRPC), and admits again once the bytes are released', async () => {
    const before = inflight() ?? 0;
    expect(before).toBe(0);
    const held = [await heldUpload(400 * 1024), await heldUpload(400 * 1024)];
    await eventually(() => (inflight() ?? 0) >= 800 * 1024, 5000, 'the held uploads to be inflated');

    // 300 KiB more does not fit in 1 MiB: refused as soon as its bytes go over.
    const body = encodeRequest('logs', logsPayload(1, { body: () => 'x'.repeat(300 * 1024) }), 'proto');
    const refused = await postOtlp(base, 'logs', body);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(statusMessage(refused.body)).toMatch(/too much data in flight: the receiver holds its limit of 1048576 bytes \(admission\.request_limit_mib\)/);
    // The bound is shared with the gRPC protocol.
    const viaGrpc = await grpcExport(grpcTarget(collector), 'logs', body);
    expect(viaGrpc.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(viaGrpc.error?.details).toMatch(/too much data in flight/);

    for (const h of held) h.end();
    await eventually(() => inflight() === 0, 5000, 'the held bytes to be released');
    expect((await postOtlp(base, 'logs', body)).status).toBe(200);
    expect((await grpcExport(grpcTarget(collector), 'logs', body)).error).toBeUndefined();
    expect(inflight()).toBe(0);
    expect(parseProm(collector.metrics.render()).get('otelcol_receiver_admission_refused_requests_total{receiver="otlp",transport="http"}')).toBe(1);
  });

  it('many concurrent gzip bombs are each refused (413 alone, 429 together), never inflated past the limit, and release everything', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024, 0)); // 64 MiB inflated, ~64 KiB on the wire
    const results = await Promise.all(Array.from({ length: 20 }, () => post(`${base}/v1/logs`, bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' })));
    for (const r of results) expect([413, 429]).toContain(r.status);
    expect(results.some((r) => r.status === 413)).toBe(true);
    await eventually(() => inflight() === 0, 5000, 'the bytes to be released');
  });
});

describe('slow clients', () => {
  it('closes a connection whose headers trickle in past read_header_timeout', async () => {
    const socket = net.connect(port, '127.0.0.1');
    const closed = new Promise<string>((resolve) => {
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', () => undefined);
    });
    socket.write('POST /v1/logs HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => socket.write('X-Slow: 1\r\n'), 100);
    const outcome = await Promise.race([closed, sleep(4000).then(() => 'still open')]);
    clearInterval(trickle);
    socket.destroy();
    expect(outcome).not.toBe('still open');
    expect(outcome).toMatch(/^HTTP\/1\.1 408|^$/);
  });

  it('closes a connection whose body trickles in past read_timeout', async () => {
    const socket = net.connect(port, '127.0.0.1');
    const closed = new Promise<string>((resolve) => {
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', () => undefined);
    });
    socket.write('POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100000\r\n\r\n');
    const trickle = setInterval(() => socket.write(Buffer.alloc(10)), 100);
    const outcome = await Promise.race([closed, sleep(5000).then(() => 'still open')]);
    clearInterval(trickle);
    socket.destroy();
    expect(outcome).not.toBe('still open');
  });
});

describe('malformed requests are 4xx with a reason, never 500', () => {
  const proto = { 'content-type': 'application/x-protobuf' };
  const jsonType = { 'content-type': 'application/json' };

  it('JSON nested 10,000 levels deep with snake_case keys: 400 naming the limit', async () => {
    const body = `${'{"kvlist_value":{"values":[{"key":"k","value":'.repeat(10_000)}{"string_value":"x"}${'}]}}'.repeat(10_000)}`;
    const res = await post(`${base}/v1/logs`, `{"resource_logs":[{"scope_logs":[{"log_records":[{"body":${body}}]}]}]}`, jsonType);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString())).toMatchObject({ code: 3, message: expect.stringMatching(/nested deeper than 1000 messages/) });
  });

  it('a malformed int64: 400 naming the field', async () => {
    const res = await post(`${base}/v1/logs`, JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '12abc' }] }] }] }), jsonType);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString()).message).toBe(
      'invalid ExportLogsServiceRequest: resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano: must be a uint64 (a decimal string or an integer, from 0 to 18446744073709551615), got "12abc"',
    );
  });

  it('empty, truncated and badly compressed bodies', async () => {
    expect((await post(`${base}/v1/logs`, '', proto)).status).toBe(200); // an empty protobuf message is a valid, empty request
    const emptyJson = await post(`${base}/v1/logs`, '', jsonType);
    expect(emptyJson.status).toBe(400);
    expect(JSON.parse(emptyJson.body.toString()).message).toMatch(/^invalid JSON/);
    const emptyGzip = await post(`${base}/v1/logs`, '', { ...proto, 'content-encoding': 'gzip' });
    expect(emptyGzip.status).toBe(400);
    expect(statusMessage(emptyGzip.body)).toMatch(/cannot decompress the gzip body/);
    const valid = encodeRequest('logs', logsPayload(5), 'proto');
    const truncated = await post(`${base}/v1/logs`, valid.subarray(0, valid.length - 7), proto);
    expect(truncated.status).toBe(400);
    expect(statusMessage(truncated.body)).toMatch(/^cannot decode the protobuf ExportLogsServiceRequest: /);
    const gz = zlib.gzipSync(valid);
    const cut = await post(`${base}/v1/logs`, gz.subarray(0, gz.length - 10), { ...proto, 'content-encoding': 'gzip' });
    expect(cut.status).toBe(400);
    expect(statusMessage(cut.body)).toMatch(/cannot decompress the gzip body: unexpected end of file/);
    const deflated = await post(`${base}/v1/logs`, zlib.deflateRawSync(valid), { ...proto, 'content-encoding': 'deflate' });
    expect(deflated.status).toBe(200);
    const garbage = await post(`${base}/v1/logs`, Buffer.from('definitely not deflate'), { ...proto, 'content-encoding': 'deflate' });
    expect(garbage.status).toBe(400);
  });

  it('wrong content types and field types', async () => {
    expect((await post(`${base}/v1/logs`, '{}', { 'content-type': 'text/json' })).status).toBe(415);
    expect((await post(`${base}/v1/logs`, '{}', {})).status).toBe(415);
    // JSON sent as protobuf: a decode error.
    const mislabelled = await post(`${base}/v1/logs`, JSON.stringify(logsPayload(1)), proto);
    expect(mislabelled.status).toBe(400);
    const wrongType = await post(`${base}/v1/logs`, JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ attributes: [{ key: 'k', value: { intValue: 'NaN' } }] }] }] }] }), jsonType);
    expect(wrongType.status).toBe(400);
    expect(JSON.parse(wrongType.body.toString()).message).toMatch(/logRecords\[0\]\.attributes\[0\]\.value\.intValue: must be an int64/);
  });

  it('a huge attribute count within the size limit is handled', async () => {
    const attributes = Array.from({ length: 20_000 }, (_, i) => ({ key: `k${i}`, value: { intValue: String(i) } }));
    const body = encodeRequest('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [{ attributes }] }] }] }, 'proto');
    expect(body.length).toBeLessThan(LIMIT);
    expect((await postOtlp(base, 'logs', body)).status).toBe(200);
  });

  it('gRPC: bad framing and a message nested too deep are answered with a status; the server keeps serving', async () => {
    const session = http2.connect(`http://${grpcTarget(collector)}`);
    session.on('error', () => undefined);
    const call = (frame: Buffer, headers: Record<string, string> = {}) =>
      new Promise<string | undefined>((resolve) => {
        const stream = session.request({ ':method': 'POST', ':path': otlpSchema().logs.grpcPath, 'content-type': 'application/grpc', te: 'trailers', ...headers });
        let status: string | undefined;
        stream.on('response', (h) => (status ??= h['grpc-status'] as string | undefined));
        stream.on('trailers', (t) => (status = t['grpc-status'] as string | undefined));
        stream.on('close', () => resolve(status));
        stream.on('error', () => resolve(status));
        stream.resume();
        stream.end(frame);
      });
    // A length prefix longer than the data, and a compressed flag without grpc-encoding.
    expect(await call(Buffer.from([0, 0, 0, 0, 50, 1, 2, 3]))).not.toBe('0');
    expect(await call(Buffer.from([1, 0, 0, 0, 2, 1, 2]))).not.toBe('0');
    // A message that is not an ExportLogsServiceRequest.
    expect(await call(Buffer.from([0, 0, 0, 0, 3, 0x0a, 0xff, 0xff]))).toBe(String(grpc.status.INVALID_ARGUMENT));
    session.close();
    let deep = Buffer.from([0x0a, 4]).toString('latin1') + 'leaf';
    for (let i = 0; i < 400; i++) {
      const kv = Buffer.concat([Buffer.from([0x0a, 1, 0x6b, 0x12]), varint(deep.length), Buffer.from(deep, 'latin1')]);
      const list = Buffer.concat([Buffer.from([0x0a]), varint(kv.length), kv]);
      deep = Buffer.concat([Buffer.from([0x32]), varint(list.length), list]).toString('latin1');
    }
    const record = Buffer.concat([Buffer.from([0x2a]), varint(deep.length), Buffer.from(deep, 'latin1')]);
    const scope = Buffer.concat([Buffer.from([0x12]), varint(record.length), record]);
    const resource = Buffer.concat([Buffer.from([0x12]), varint(scope.length), scope]);
    const request = Buffer.concat([Buffer.from([0x0a]), varint(resource.length), resource]);
    const res = await grpcExport(grpcTarget(collector), 'logs', request);
    expect(res.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(res.error?.details).toMatch(/nested deeper than 1000 messages/);
    expect((await grpcExport(grpcTarget(collector), 'logs', encodeRequest('logs', logsPayload(1), 'proto'))).error).toBeUndefined();
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
