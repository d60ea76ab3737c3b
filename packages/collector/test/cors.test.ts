/**
 * The OTLP/HTTP receiver's `cors` setting, over a real socket: web pages of
 * an allowed origin get their preflight answered (before authentication)
 * and may read every answer, errors included; other pages get no allow
 * headers, which a browser then refuses to follow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest, OtlpSink, type Collector } from '@otel-policy/collector';
import { httpBase, logsPayload, post, startCollector, tempDir, writeFile } from './support.js';

const { dir, cleanup } = tempDir();
let sink: OtlpSink;
let collector: Collector;
let url: string;

beforeAll(async () => {
  sink = await new OtlpSink().start();
  writeFile(dir, 'tokens', 'page-token\n');
  collector = await startCollector(
    `
receivers:
  otlp:
    protocols:
      http:
        endpoint: "127.0.0.1:0"
        auth: { authenticator: bearertokenauth }
        cors: { allowed_origins: ["https://shop.example.com", "http://localhost:*"], allowed_headers: [authorization], max_age: 600 }
extensions:
  bearertokenauth: { filename: ./tokens }
exporters:
  otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false } }
service:
  extensions: [bearertokenauth]
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [otlphttp] }
`,
    dir,
  );
  url = `${httpBase(collector)}/v1/logs`;
});

afterAll(async () => {
  await collector.shutdown();
  await sink.stop();
  cleanup();
});

const preflight = (origin: string, headers = 'content-type, authorization') => post(url, '', { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers }, 'OPTIONS');

describe('OTLP/HTTP receiver cors', () => {
  it("answers an allowed page's preflight, without credentials", async () => {
    for (const origin of ['https://shop.example.com', 'http://localhost:5173']) {
      const r = await preflight(origin);
      expect([origin, r.status]).toEqual([origin, 204]);
      expect(r.headers['access-control-allow-origin']).toBe(origin);
      expect(r.headers['access-control-allow-methods']).toBe('POST');
      expect(r.headers['access-control-allow-headers']).toBe('content-type, authorization');
      expect(r.headers['access-control-max-age']).toBe('600');
    }
  });

  it('gives other pages, and headers not allowed, no allow headers', async () => {
    const other = await preflight('https://evil.example.net');
    expect(other.status).toBe(204);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers['access-control-allow-methods']).toBeUndefined();
    const header = await preflight('https://shop.example.com', 'content-type, x-secret');
    expect(header.headers['access-control-allow-methods']).toBeUndefined();
  });

  it("lets an allowed page read every answer: the export, and a refusal's reason", async () => {
    const body = encodeRequest('logs', logsPayload(2), 'json');
    const ok = await post(url, body, { origin: 'https://shop.example.com', 'content-type': 'application/json', authorization: 'Bearer page-token' });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    const refused = await post(url, body, { origin: 'https://shop.example.com', 'content-type': 'application/json' });
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    const other = await post(url, body, { origin: 'https://evil.example.net', 'content-type': 'application/json', authorization: 'Bearer page-token' });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
