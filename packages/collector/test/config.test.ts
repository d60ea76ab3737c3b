/** Configuration: the Collector's shape, defaults, and every rejection naming its path. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText, parseDuration, parseEndpoint, type CollectorConfig } from '@otel-policy/collector';
import { tempDir, writeFile } from './support.js';

const { dir, cleanup } = tempDir();
afterAll(cleanup);
writeFile(dir, 'policies.json', '{"policies": []}');

/** The example from the issue, verbatim. */
const ISSUE_EXAMPLE = `receivers:
  otlp:
    protocols:
      grpc: { endpoint: 0.0.0.0:4317 }
      http: { endpoint: 0.0.0.0:4318 }
processors:
  policy:
    providers:
      - { type: file, id: local, path: ./policies.json }
exporters:
  debug: { verbosity: detailed }
  otlphttp: { endpoint: "http://127.0.0.1:4319", encoding: json }
service:
  pipelines:
    logs: { receivers: [otlp], processors: [policy], exporters: [otlphttp] }
`;

const parse = (yaml: string, env: Record<string, string> = {}): CollectorConfig => parseConfigText(yaml, dir, { env });

function problems(yaml: string): string[] {
  try {
    parse(yaml);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const minimal = (extra: string) => `
receivers: { otlp: { protocols: { http: } } }
exporters: { debug: }
service: { pipelines: { logs: { receivers: [otlp], exporters: [debug] } } }
${extra}`;

describe('configuration', () => {
  it('accepts the issue example unchanged, with Collector defaults', () => {
    const c = parse(ISSUE_EXAMPLE);
    const r = c.receivers.get('otlp')!;
    expect(r.grpc!.endpoint).toEqual({ host: '0.0.0.0', port: 4317 });
    expect(r.http!.endpoint).toEqual({ host: '0.0.0.0', port: 4318 });
    expect(r.http!.maxRequestBodySize).toBe(20 * 1024 * 1024);
    expect(r.grpc!.maxRecvMsgSizeBytes).toBe(4 * 1024 * 1024);
    expect(c.processors.get('policy')!.providers).toEqual([{ type: 'file', id: 'local', path: path.join(dir, 'policies.json'), pollIntervalSecs: undefined }]);
    const e = c.exporters.get('otlphttp')!;
    expect(e).toMatchObject({
      type: 'otlphttp',
      encoding: 'json',
      compression: 'gzip',
      timeoutMs: 30_000,
      urls: { logs: 'http://127.0.0.1:4319/v1/logs', traces: 'http://127.0.0.1:4319/v1/traces', metrics: 'http://127.0.0.1:4319/v1/metrics' },
      queue: { enabled: true, numConsumers: 10, queueSize: 1000, sizer: 'requests', blockOnOverflow: false },
      retry: { enabled: true, initialIntervalMs: 5000, randomizationFactor: 0.5, multiplier: 1.5, maxIntervalMs: 30_000, maxElapsedTimeMs: 300_000 },
    });
    expect(c.exporters.get('debug')).toMatchObject({ type: 'debug', verbosity: 'detailed' });
    expect(c.service.pipelines).toEqual([{ id: 'logs', signal: 'logs', receivers: ['otlp'], processors: ['policy'], exporters: ['otlphttp'] }]);
    expect(c.service.telemetry.metrics).toEqual({ host: '127.0.0.1', port: 8888 });
  });

  it('resolves a relative provider path against the config file directory', () => {
    const sub = path.join(dir, 'sub');
    writeFile(dir, 'sub-policies.yaml', 'policies: []');
    const c = parseConfigText(minimal('processors: { policy: { providers: [ { type: file, id: a, path: ../sub-policies.yaml } ] } }'), sub, { env: {} });
    expect(c.processors.get('policy')!.providers[0]).toMatchObject({ path: path.join(dir, 'sub-policies.yaml') });
  });

  it('refuses a policy file that does not parse: at a first start there is no last good set to keep', () => {
    writeFile(dir, 'broken-policies.yaml', 'policies:\n  - id: a\n    name: "unterminated\n');
    writeFile(dir, 'empty-policies.yaml', '');
    expect(problems(minimal('processors: { policy: { providers: [ { type: file, id: a, path: ./broken-policies.yaml }, { type: file, id: b, path: ./empty-policies.yaml } ] } }'))).toEqual([
      `processors.policy.providers[0].path: cannot parse policies (${path.join(dir, 'broken-policies.yaml')}): line 4, column 1: invalid YAML: Missing closing "quote`,
      `processors.policy.providers[1].path: cannot parse policies (${path.join(dir, 'empty-policies.yaml')}): the file holds no policies list (it is empty, or only comments); write "policies: []" for none`,
    ]);
  });

  it('reads the grpc and http exporters, providers, health check and telemetry variants', () => {
    const c = parse(`
receivers:
  otlp:
    protocols:
      grpc: { endpoint: "localhost:0", max_recv_msg_size_mib: 8 }
      http: { endpoint: ":4318", max_request_body_size: 1000, logs_url_path: custom/logs }
  otlp/second: { protocols: { grpc: } }
processors:
  policy/remote:
    providers:
      - type: http
        id: sync
        url: http://127.0.0.1:9000/v1/policy/sync
        headers: [{ name: authorization, value: "Bearer x" }]
        content_type: protobuf
        poll_interval_secs: 30
      - { type: grpc, id: g, url: "http://127.0.0.1:9001", headers: { authorization: y } }
    service_metadata: { service_name: edge }
exporters:
  otlp:
    endpoint: backend:4317
    tls: { insecure: true }
    compression: none
    timeout: 1m30s
    sending_queue: { num_consumers: 2, queue_size: 50, sizer: items }
    retry_on_failure: { initial_interval: 100ms, max_interval: 1s, max_elapsed_time: 0 }
  otlphttp/split:
    logs_endpoint: https://logs.example/v1/logs
extensions:
  health_check: { endpoint: "127.0.0.1:0", path: /healthz }
service:
  extensions: [health_check]
  telemetry:
    logs: { level: DEBUG }
    metrics: { address: "127.0.0.1:9999" }
    resource: { service.name: edge-collector }
  pipelines:
    traces/a: { receivers: [otlp, otlp/second], processors: [policy/remote], exporters: [otlp] }
    logs: { receivers: [otlp], exporters: [otlphttp/split] }
`);
    const r = c.receivers.get('otlp')!;
    expect(r.grpc).toEqual({ endpoint: { host: '127.0.0.1', port: 0 }, maxRecvMsgSizeBytes: 8 * 1024 * 1024, maxConcurrentStreams: undefined });
    expect(r.http).toMatchObject({ endpoint: { host: '', port: 4318 }, maxRequestBodySize: 1000, paths: { logs: '/custom/logs', traces: '/v1/traces' } });
    expect(c.receivers.get('otlp/second')!.grpc!.endpoint).toEqual({ host: '127.0.0.1', port: 4317 });
    expect(c.processors.get('policy/remote')!.providers).toEqual([
      { type: 'http', id: 'sync', url: 'http://127.0.0.1:9000/v1/policy/sync', headers: { authorization: 'Bearer x' }, contentType: 'protobuf', pollIntervalSecs: 30 },
      { type: 'grpc', id: 'g', target: '127.0.0.1:9001', secure: false, headers: { authorization: 'y' }, pollIntervalSecs: undefined },
    ]);
    expect(c.processors.get('policy/remote')!.serviceMetadata.serviceName).toBe('edge');
    expect(c.exporters.get('otlp')).toMatchObject({
      target: 'backend:4317',
      compression: 'none',
      timeoutMs: 90_000,
      tls: { insecure: true },
      queue: { numConsumers: 2, queueSize: 50, sizer: 'items' },
      retry: { initialIntervalMs: 100, maxIntervalMs: 1000, maxElapsedTimeMs: 0 },
    });
    expect(c.exporters.get('otlphttp/split')).toMatchObject({ urls: { logs: 'https://logs.example/v1/logs' } });
    expect(c.extensions.get('health_check')).toEqual({ id: 'health_check', type: 'health_check', endpoint: { host: '127.0.0.1', port: 0 }, path: '/healthz' });
    expect(c.service.telemetry).toEqual({ metrics: { host: '127.0.0.1', port: 9999 }, logLevel: 'debug', logEncoding: 'console', resource: { 'service.name': 'edge-collector' } });
  });

  it('reads the Prometheus reader form and level none', () => {
    const readers = parse(minimal('').replace('service: {', 'service: { telemetry: { metrics: { readers: [ { pull: { exporter: { prometheus: { host: 0.0.0.0, port: 9464 } } } } ] } },'));
    expect(readers.service.telemetry.metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    const hostPort = parse(minimal('').replace('service: {', 'service: { telemetry: { metrics: { host: 127.0.0.1, port: 0 } },'));
    expect(hostPort.service.telemetry.metrics).toEqual({ host: '127.0.0.1', port: 0 });
    const none = parse(minimal('').replace('service: {', 'service: { telemetry: { metrics: { level: none } },'));
    expect(none.service.telemetry.metrics).toBeUndefined();
  });

  it('expands ${env:NAME} references, with defaults and types', () => {
    const c = parse(
      `
receivers: { otlp: { protocols: { http: { endpoint: "\${env:HOST}:\${env:PORT}" } } } }
exporters: { otlphttp: { endpoint: "\${env:BACKEND:-http://fallback:4318}", headers: { x-key: "\${KEY}", x-price: "$$5" }, sending_queue: { queue_size: "\${env:QSIZE}" } } }
service: { pipelines: { logs: { receivers: [otlp], exporters: [otlphttp] } } }`,
      { HOST: '127.0.0.1', PORT: '5555', KEY: 'secret', QSIZE: '7' },
    );
    expect(c.receivers.get('otlp')!.http!.endpoint).toEqual({ host: '127.0.0.1', port: 5555 });
    expect(c.exporters.get('otlphttp')).toMatchObject({ urls: { logs: 'http://fallback:4318/v1/logs' }, headers: { 'x-key': 'secret', 'x-price': '$5' }, queue: { queueSize: 7 } });
  });

  it('rejects unknown keys, naming the path and the valid keys', () => {
    expect(problems(minimal('').replace('http: }', 'http: { endpoint: "127.0.0.1:1", enpoint: x } }'))).toEqual([
      'receivers.otlp.protocols.http.enpoint: unknown key (valid keys: endpoint, max_request_body_size, logs_url_path, traces_url_path, metrics_url_path, read_timeout, read_header_timeout, idle_timeout, tls, auth, cors)',
    ]);
    expect(problems(minimal('').replace('exporters: { debug: }', 'exporters: { debug: { verbosity: basic, colour: red } }'))).toEqual([
      'exporters.debug.colour: unknown key (valid keys: verbosity, sampling_initial, sampling_thereafter, use_internal_logger)',
    ]);
    expect(problems(minimal('bogus: 1'))[0]).toMatch(/^bogus: unknown key/);
  });

  it('rejects Collector settings this service does not implement, saying so', () => {
    expect(problems(minimal('').replace('http: }', 'http: { include_metadata: true } }'))).toEqual([
      'receivers.otlp.protocols.http.include_metadata: is a Collector setting this service does not support',
    ]);
    expect(problems(minimal('connectors: { forward: }'))).toEqual(['connectors: is a Collector setting this service does not support']);
  });

  it('reads receiver cors: origins without a path, headers, max_age', () => {
    const c = parse(minimal('').replace('http: }', 'http: { cors: { allowed_origins: ["https://*.example.com", "*"], allowed_headers: [authorization], max_age: 600 } } }'));
    expect(c.receivers.get('otlp')!.http!.cors).toEqual({ allowedOrigins: ['https://*.example.com', '*'], allowedHeaders: ['authorization'], maxAgeSecs: 600 });
    expect(problems(minimal('').replace('http: }', 'http: { cors: { allowed_origins: ["https://shop.example.com/"], max_age: -1, origins: [] } } }'))).toEqual([
      'receivers.otlp.protocols.http.cors.origins: unknown key (valid keys: allowed_origins, allowed_headers, max_age)',
      'receivers.otlp.protocols.http.cors.allowed_origins[0]: "https://shop.example.com/" is not an origin: give a scheme and host without a path (https://shop.example.com), or "*"',
      'receivers.otlp.protocols.http.cors.max_age: must be an integer >= 0, got -1',
    ]);
  });

  it('reads receiver tls and auth, checking files, versions and the authenticator it names', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-tlscfg-'));
    for (const f of ['cert.pem', 'key.pem', 'ca.pem', 'tokens']) writeFileSync(path.join(dir, f), 'x');
    const withAuth = (protocol: string, ext: string, listed = true) =>
      `receivers: { otlp: { protocols: { ${protocol}: { tls: { cert_file: cert.pem, key_file: key.pem, client_ca_file: ca.pem }, auth: { authenticator: bearertokenauth/in } } } } }
extensions: { ${ext} }
exporters: { debug: }
service: { extensions: [${listed ? 'bearertokenauth/in' : ''}], pipelines: { logs: { receivers: [otlp], exporters: [debug] } } }`;
    const c = parseConfigText(withAuth('http', 'bearertokenauth/in: { filename: tokens }'), dir);
    expect(c.receivers.get('otlp')!.http).toMatchObject({
      tls: { certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem'), clientCaFile: path.join(dir, 'ca.pem'), minVersion: 'TLSv1.2' },
      authenticator: 'bearertokenauth/in',
    });
    expect(c.extensions.get('bearertokenauth/in')).toMatchObject({ type: 'bearertokenauth', scheme: 'Bearer', header: 'authorization', file: path.join(dir, 'tokens') });
    const problemsIn = (text: string) => {
      try {
        parseConfigText(text, dir);
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(problemsIn(withAuth('grpc', 'health_check: '))).toEqual([
      'service.extensions[0]: references extension "bearertokenauth/in", which is not configured under extensions',
      'receivers.otlp.protocols.grpc.auth.authenticator: references extension "bearertokenauth/in", which is not configured under extensions',
    ]);
    expect(problemsIn(withAuth('grpc', 'bearertokenauth/in: { token: s3cret }', false))).toEqual([
      'receivers.otlp.protocols.grpc.auth.authenticator: extension "bearertokenauth/in" must also be listed in service.extensions',
    ]);
    expect(problemsIn(withAuth('http', 'bearertokenauth/in: { }'))).toEqual(['extensions.bearertokenauth/in: needs a token, tokens or a filename']);
    expect(problemsIn(withAuth('http', 'bearertokenauth/in: { token: s3cret }').replace('client_ca_file: ca.pem', 'min_version: "1.1"'))).toEqual([
      'receivers.otlp.protocols.http.tls.min_version: must be "1.2" or "1.3" (older TLS versions are not accepted), got "1.1"',
    ]);
    expect(problemsIn(withAuth('http', 'bearertokenauth/in: { token: s3cret }').replace('key_file: key.pem', 'key_file: nope.pem'))).toEqual([
      `receivers.otlp.protocols.http.tls.key_file: no such file: ${path.join(dir, 'nope.pem')}`,
    ]);
  });

  it('reads the limits: shutdown_timeout, admission and the HTTP timeouts, with defaults, and refuses inconsistent ones', () => {
    const d = parse(minimal(''));
    expect(d.service.shutdownTimeoutMs).toBe(20_000);
    expect(d.receivers.get('otlp')!.admission.requestLimitBytes).toBe(128 * 1024 * 1024);
    expect(d.receivers.get('otlp')!.http).toMatchObject({ readHeaderTimeoutMs: 10_000, readTimeoutMs: 60_000, idleTimeoutMs: 30_000 });
    const c = parse(
      minimal('')
        .replace('otlp: { protocols: { http: } }', 'otlp: { admission: { request_limit_mib: 16 }, protocols: { http: { read_header_timeout: 2s, read_timeout: 0, idle_timeout: 5s } } }')
        .replace('service: {', 'service: { shutdown_timeout: 25s,'),
    );
    expect(c.service.shutdownTimeoutMs).toBe(25_000);
    expect(c.receivers.get('otlp')!.admission.requestLimitBytes).toBe(16 * 1024 * 1024);
    expect(c.receivers.get('otlp')!.http).toMatchObject({ readHeaderTimeoutMs: 2000, readTimeoutMs: 0, idleTimeoutMs: 5000 });
    expect(problems(minimal('').replace('http: }', 'http: { read_header_timeout: 5s, read_timeout: 1s } }'))).toEqual([
      'receivers.otlp.protocols.http.read_timeout: must not be less than read_header_timeout (or 0 for no limit)',
    ]);
    expect(problems(minimal('').replace('service: {', 'service: { shutdown_timeout: soon,'))).toEqual(['service.shutdown_timeout: must be a duration such as "500ms", "5s" or "1m30s", got "soon"']);
    // Past 2^31 - 1 ms a Node timer fires at once: refused rather than acting as no wait at all.
    expect(problems(minimal('').replace('service: {', 'service: { shutdown_timeout: 600h,'))).toEqual(['service.shutdown_timeout: must be at most 596h (the longest a timer can wait), got "600h"']);
    expect(parse(minimal('').replace('service: {', 'service: { shutdown_timeout: 596h,')).service.shutdownTimeoutMs).toBe(596 * 3_600_000);
    expect(problems(minimal('').replace('otlp: { protocols', 'otlp: { admission: { request_limit_mib: 0 }, protocols'))).toEqual([
      'receivers.otlp.admission.request_limit_mib: must be an integer >= 1, got 0',
    ]);
  });

  it('reads the regex backend of a policy processor, default when absent, and refuses unknown ones', () => {
    const processor = (line: string) => `processors:\n  policy:\n    providers: [{ type: file, id: local, path: ./policies.json }]\n${line}`;
    expect(parse(ISSUE_EXAMPLE).processors.get('policy')!.regexBackend).toBe('default');
    expect(parse(minimal(processor('    regex_backend: hyperscan'))).processors.get('policy')!.regexBackend).toBe('hyperscan');
    expect(parse(minimal(processor('    regex_backend: re2js'))).processors.get('policy')!.regexBackend).toBe('re2js');
    expect(problems(minimal(processor('    regex_backend: pcre')))).toEqual(['processors.policy.regex_backend: must be one of "default", "re2js", "hyperscan", got "pcre"']);
  });

  it('rejects invalid values with their path, all at once', () => {
    const p = problems(`
receivers:
  otlp: { protocols: { grpc: { endpoint: "nohost" }, http: { max_request_body_size: -5 } } }
  kafka: {}
processors:
  policy:
    providers:
      - { type: file, id: a, path: ./missing.json }
      - { type: s3, id: b }
      - { type: http, id: a, url: "ftp://x", path: ./x }
      - { id: c, path: ./policies.json }
exporters:
  otlphttp: { endpoint: "127.0.0.1:4318", encoding: xml, timeout: 5, sending_queue: { queue_size: 0 }, retry_on_failure: { multiplier: 0.5 } }
  otlp: { endpoint: "backend:4317", compression: zstd, tls: { insecure: yes } }
  debug: { verbosity: loud }
service:
  extensions: [health_check]
  pipelines:
    logs: { receivers: [otlp, nope], processors: [batch], exporters: [] }
    profiles: { receivers: [otlp], exporters: [debug] }
`);
    expect(p).toEqual(
      expect.arrayContaining([
        'receivers.otlp.protocols.grpc.endpoint: must be "host:port", got "nohost"',
        'receivers.otlp.protocols.http.max_request_body_size: must be an integer >= 1, got -5',
        'receivers.kafka: unknown receiver type "kafka" (this service supports: otlp)',
        `processors.policy.providers[0].path: no such file or directory: ${path.join(dir, 'missing.json')}`,
        'processors.policy.providers[1].type: must be one of "file", "http", "grpc", got "s3"',
        'processors.policy.providers[2].path: unknown key (valid keys: type, id, poll_interval_secs, url, headers, content_type)',
        'processors.policy.providers[2].id: "a" is used by another provider of this processor',
        'processors.policy.providers[2].url: must be an http:// or https:// URL, got "ftp://x"',
        'processors.policy.providers[3].type: is required (file, http or grpc)',
        'exporters.otlphttp.endpoint: must be an http:// or https:// URL, got "127.0.0.1:4318"',
        'exporters.otlphttp.encoding: must be one of "proto", "json", got "xml"',
        'exporters.otlphttp.timeout: must be a duration such as "500ms", "5s" or "1m30s", got 5',
        'exporters.otlphttp.sending_queue.queue_size: must be an integer >= 1, got 0',
        'exporters.otlphttp.retry_on_failure.multiplier: must be a number from 1 to 100, got 0.5',
        'exporters.otlp.compression: must be one of "gzip", "deflate", "none", got "zstd"',
        'exporters.otlp.tls.insecure: must be true or false, got "yes"',
        'exporters.debug.verbosity: must be one of "basic", "normal", "detailed", got "loud"',
        'service.extensions[0]: references extension "health_check", which is not configured under extensions',
        'service.pipelines.logs.receivers[1]: references receiver "nope", which is not configured under receivers',
        'service.pipelines.logs.processors[0]: references processor "batch", which is not configured under processors',
        'service.pipelines.logs.exporters: must list at least one component',
        'service.pipelines.profiles: pipeline IDs are "logs", "traces" or "metrics", optionally followed by "/name"',
      ]),
    );
  });

  it('requires a service with pipelines, and endpoints for the signals an otlphttp exporter serves', () => {
    expect(problems('receivers: { otlp: { protocols: { http: } } }')).toEqual(['service: is required (with at least one pipeline)']);
    expect(problems(minimal('').replace('service: { pipelines: { logs: { receivers: [otlp], exporters: [debug] } } }', 'service: { pipelines: {} }'))).toEqual([
      'service.pipelines: must define at least one pipeline',
    ]);
    expect(
      problems(`
receivers: { otlp: { protocols: { http: } } }
exporters: { otlphttp: { logs_endpoint: "http://x/v1/logs" } }
service: { pipelines: { traces: { receivers: [otlp], exporters: [otlphttp] } } }`),
    ).toEqual(['exporters.otlphttp: needs "endpoint" or "traces_endpoint" for pipeline "traces"']);
  });

  it('reports YAML syntax errors', () => {
    expect(problems('receivers: [unclosed')[0]).toMatch(/^cannot parse YAML: /);
    try {
      parseConfigText('receivers:\n  otlp:\n\tprotocols: {}\n', '/');
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).position).toEqual({ line: 3, col: 1 });
    }
  });

  it('parses Go durations and endpoints', () => {
    expect(parseDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('10us')).toBeCloseTo(0.01);
    expect(parseDuration('5')).toBeUndefined();
    expect(parseDuration('5 s')).toBeUndefined();
    expect(parseEndpoint('[::1]:4317')).toEqual({ host: '::1', port: 4317 });
    expect(parseEndpoint('localhost:4317')).toEqual({ host: '127.0.0.1', port: 4317 });
    expect(parseEndpoint(':4318')).toEqual({ host: '', port: 4318 });
    expect(parseEndpoint('host:99999')).toBeUndefined();
  });
});
