/**
 * TLS, mutual TLS and authentication on the OTLP receivers, over real
 * sockets with certificates made in the test: what is accepted, and every
 * refusal (no client certificate, a certificate from another CA, an expired
 * server certificate, a wrong or missing token, wrong basic credentials,
 * a token file that changes). A second collector exports to the first with
 * its `tls` and `headers`, as a Collector would.
 */
import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest, GrpcCode, OtlpSink, type Collector } from '@otel-policy/collector';
import { makeCerts, type TestCerts } from '../../../test/support/certs.js';
import { eventually, grpcExport, grpcTarget, logsPayload, post, sleep, startCollector, tempDir } from './support.js';

const { dir, cleanup } = tempDir();
let certs: TestCerts;
let sink: OtlpSink;
let collector: Collector;
let httpsBase: string;
let basicBase: string;

const body = () => encodeRequest('logs', logsPayload(2), 'proto');
const PROTO = { 'content-type': 'application/x-protobuf' };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

beforeAll(async () => {
  certs = makeCerts();
  sink = await new OtlpSink().start();
  writeFileSync(path.join(dir, 'tokens'), 'first-token\n');
  collector = await startCollector(
    `
receivers:
  otlp:
    protocols:
      http:
        endpoint: "127.0.0.1:0"
        tls: { cert_file: ${certs.files.serverCert}, key_file: ${certs.files.serverKey}, client_ca_file: ${certs.files.ca} }
        auth: { authenticator: bearertokenauth/in }
      grpc:
        endpoint: "127.0.0.1:0"
        tls: { cert_file: ${certs.files.serverCert}, key_file: ${certs.files.serverKey} }
        auth: { authenticator: bearertokenauth/in }
  otlp/basic:
    protocols:
      http: { endpoint: "127.0.0.1:0", auth: { authenticator: basicauth } }
extensions:
  bearertokenauth/in: { filename: ./tokens }
  basicauth: { htpasswd: { inline: "alice:wonderland\\nbob:{SHA}${sha1('builder')}" } }
exporters:
  otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false } }
service:
  extensions: [bearertokenauth/in, basicauth]
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp, otlp/basic], exporters: [otlphttp] }
`,
    dir,
  );
  httpsBase = `https://${collector.endpoints.receivers.otlp!.http}`;
  basicBase = `http://${collector.endpoints.receivers['otlp/basic']!.http}`;
});

afterAll(async () => {
  await collector?.shutdown();
  await sink?.stop();
  cleanup();
});

function sha1(s: string): string {
  return createHash('sha1').update(s).digest('base64');
}

/** One POST whose every failure rejects (the shared helper ignores resets, which are what a refused handshake looks like). */
function attempt(url: string, tls: https.RequestOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = url.startsWith('https:') ? https.request : http.request;
    const req = request(url, { method: 'POST', headers: { ...PROTO, authorization: 'Bearer first-token' }, agent: false, timeout: 5000, ...tls }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body());
  });
}

const mtls = () => ({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });

describe('OTLP/HTTP over mutual TLS with a bearer token', () => {
  it('accepts a client with a certificate from the CA and the right token', async () => {
    const before = sink.recordsOf('logs');
    const res = await post(`${httpsBase}/v1/logs`, body(), { ...PROTO, authorization: 'Bearer first-token' }, 'POST', mtls());
    expect(res.status).toBe(200);
    await eventually(() => sink.recordsOf('logs') - before === 2);
  });

  it('answers 401 before reading the request when the token is wrong or missing', async () => {
    for (const authorization of ['Bearer wrong', 'first-token', undefined]) {
      const res = await post(`${httpsBase}/v1/logs`, body(), { ...PROTO, ...(authorization ? { authorization } : {}) }, 'POST', mtls());
      expect(res.status, String(authorization)).toBe(401);
      expect(res.body.toString()).toContain('missing or invalid credentials');
    }
  });

  it('fails the handshake for a client without a certificate, or with one from another CA', async () => {
    await expect(attempt(`${httpsBase}/v1/logs`, { ca: certs.ca })).rejects.toThrow(/certificate|socket hang up|ECONNRESET/i);
    await expect(attempt(`${httpsBase}/v1/logs`, { ca: certs.ca, cert: certs.strangerCert, key: certs.strangerKey })).rejects.toThrow(/certificate|unknown ca|socket hang up|ECONNRESET/i);
    expect(await attempt(`${httpsBase}/v1/logs`, mtls())).toBe(200);
  });

  it('is not served in plaintext, and a client that does not trust the CA refuses the server', async () => {
    await expect(attempt(`http://${collector.endpoints.receivers.otlp!.http}/v1/logs`)).rejects.toThrow();
    await expect(attempt(`${httpsBase}/v1/logs`, { cert: certs.clientCert, key: certs.clientKey })).rejects.toThrow(/self.signed|unable to verify|certificate/i);
  });

  it('picks up a changed token file without a restart', async () => {
    writeFileSync(path.join(dir, 'tokens'), '# rotated\nsecond-token\n');
    await sleep(1100);
    await eventually(async () => (await post(`${httpsBase}/v1/logs`, body(), { ...PROTO, authorization: 'Bearer second-token' }, 'POST', mtls())).status === 200);
    expect((await post(`${httpsBase}/v1/logs`, body(), { ...PROTO, authorization: 'Bearer first-token' }, 'POST', mtls())).status).toBe(401);
    writeFileSync(path.join(dir, 'tokens'), 'first-token\n');
    await sleep(1100);
    await eventually(async () => (await post(`${httpsBase}/v1/logs`, body(), { ...PROTO, authorization: 'Bearer first-token' }, 'POST', mtls())).status === 200);
  });
});

describe('OTLP/gRPC over TLS with a bearer token', () => {
  const creds = () => grpc.credentials.createSsl(Buffer.from(certs.ca));
  const md = (token?: string) => {
    const m = new grpc.Metadata();
    if (token) m.set('authorization', `Bearer ${token}`);
    return m;
  };

  it('accepts the right token and answers UNAUTHENTICATED otherwise', async () => {
    const before = sink.recordsOf('logs');
    const ok = await grpcExport(grpcTarget(collector), 'logs', body(), md('first-token'), creds());
    expect(ok.error).toBeUndefined();
    await eventually(() => sink.recordsOf('logs') - before === 2);
    for (const token of ['wrong', undefined]) {
      const r = await grpcExport(grpcTarget(collector), 'logs', body(), md(token), creds());
      expect(r.error?.code, String(token)).toBe(GrpcCode.UNAUTHENTICATED);
    }
  });

  it('refuses a call without credentials when its metadata arrives, before reading its message', async () => {
    // A message announced as 1 MiB of which only a part is ever sent: the refusal must not wait for (or buffer) the rest.
    const session = http2.connect(`https://${grpcTarget(collector)}`, { ca: certs.ca });
    session.on('error', () => {});
    try {
      const statuses = await Promise.all(
        Array.from({ length: 5 }, () => {
          const stream = session.request({ ':method': 'POST', ':path': '/opentelemetry.proto.collector.logs.v1.LogsService/Export', 'content-type': 'application/grpc', te: 'trailers' });
          stream.on('error', () => {});
          const prefix = Buffer.alloc(5);
          prefix.writeUInt32BE(1024 * 1024, 1);
          stream.write(Buffer.concat([prefix, Buffer.alloc(1000, 0x41)]));
          return new Promise<string>((resolve) => {
            const timer = setTimeout(() => resolve('no answer within 5 s'), 5000);
            const done = (h: http2.IncomingHttpHeaders) => {
              if (h['grpc-status'] === undefined) return;
              clearTimeout(timer);
              resolve(String(h['grpc-status']));
            };
            stream.on('response', done);
            stream.on('trailers', done);
          });
        }),
      );
      expect(statuses).toEqual(Array(5).fill(String(GrpcCode.UNAUTHENTICATED)));
    } finally {
      session.destroy();
    }
  });

  it('refuses a plaintext client', async () => {
    const r = await grpcExport(grpcTarget(collector), 'logs', body(), md('first-token'), grpc.credentials.createInsecure());
    expect(r.error?.code).toBe(GrpcCode.UNAVAILABLE);
  });
});

describe('basicauth', () => {
  it('accepts plain and {SHA} htpasswd users and answers 401 to anything else', async () => {
    expect((await post(`${basicBase}/v1/logs`, body(), { ...PROTO, authorization: basic('alice', 'wonderland') })).status).toBe(200);
    expect((await post(`${basicBase}/v1/logs`, body(), { ...PROTO, authorization: basic('bob', 'builder') })).status).toBe(200);
    for (const authorization of [basic('alice', 'nope'), basic('bob', 'builder2'), basic('carol', 'wonderland'), 'Bearer alice:wonderland']) {
      expect((await post(`${basicBase}/v1/logs`, body(), { ...PROTO, authorization })).status, authorization).toBe(401);
    }
  });
});

describe('a collector exporting to this one', () => {
  it('sends with tls (CA, client certificate) and headers, and is refused with a wrong token', async () => {
    const edge = (token: string) =>
      startCollector(
        `
receivers:
  otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } }
exporters:
  otlphttp:
    endpoint: "${httpsBase}"
    tls: { ca_file: ${certs.files.ca}, cert_file: ${certs.files.clientCert}, key_file: ${certs.files.clientKey} }
    headers: { authorization: "Bearer ${token}" }
    sending_queue: { enabled: false }
    retry_on_failure: { enabled: false }
service:
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [otlp], exporters: [otlphttp] } }
`,
        dir,
      );
    const good = await edge('first-token');
    const bad = await edge('stolen-token');
    try {
      const before = sink.recordsOf('logs');
      const ok = await post(`http://${good.endpoints.receivers.otlp!.http}/v1/logs`, body(), PROTO);
      expect(ok.status).toBe(200);
      await eventually(() => sink.recordsOf('logs') - before === 2);
      const refused = await post(`http://${bad.endpoints.receivers.otlp!.http}/v1/logs`, body(), PROTO);
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(sink.recordsOf('logs') - before).toBe(2);
    } finally {
      await good.shutdown();
      await bad.shutdown();
    }
  });
});

describe('an expired server certificate', () => {
  it('is refused by a client that checks it', async () => {
    const expired = await startCollector(
      `
receivers:
  otlp: { protocols: { http: { endpoint: "127.0.0.1:0", tls: { cert_file: ${certs.files.expiredCert}, key_file: ${certs.files.expiredKey} } } } }
exporters:
  debug: { verbosity: basic }
service:
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [otlp], exporters: [debug] } }
`,
      dir,
    );
    try {
      await expect(post(`https://${expired.endpoints.receivers.otlp!.http}/v1/logs`, body(), PROTO, 'POST', { ca: certs.ca })).rejects.toThrow(/expired/i);
    } finally {
      await expired.shutdown();
    }
  });
});
