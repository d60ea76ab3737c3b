/**
 * The policy processor with sync providers (`type: http` and `type: grpc`)
 * against a real policy sync server: policies arrive, hot reload when the
 * server's set changes, counters are reported upstream, and the client
 * describes itself with the service's telemetry resource.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicyText } from '@otel-policy/core';
import { PolicySyncServer } from '@otel-policy/providers';
import { encodeRequest, OtlpSink, type Collector } from '@otel-policy/collector';
import { eventually, httpBase, logsPayload, postOtlp, startCollector } from './support.js';

const DROP = (severity: string) => `policies:
  - id: drop-${severity.toLowerCase()}
    name: drop ${severity}
    log:
      match:
        - log_field: severity_text
          exact: ${severity}
      keep: none
`;

let server: PolicySyncServer;
let sink: OtlpSink;

beforeAll(async () => {
  server = new PolicySyncServer({ policies: parsePolicyText(DROP('DEBUG')), token: 'secret', syncIntervalSecs: 1, httpPort: 0, grpcPort: 0 });
  await server.start();
  sink = await new OtlpSink().start();
});

afterAll(async () => {
  await sink.stop();
  await server.stop();
});

async function collectorWith(provider: string): Promise<Collector> {
  return startCollector(`
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
processors:
  policy:
    providers:
      - ${provider}
exporters: { otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false } } }
service:
  telemetry: { metrics: { level: none }, resource: { service.name: edge-collector, deployment.environment: test } }
  pipelines: { logs: { receivers: [otlp], processors: [policy], exporters: [otlphttp] } }
`);
}

const send = (c: Collector, severity: string) => postOtlp(httpBase(c), 'logs', encodeRequest('logs', logsPayload(2, { severity: () => severity }), 'proto'));

describe.each([
  ['http', () => `{ type: http, id: central, url: "http://127.0.0.1:${server.httpPort}/v1/policy/sync", headers: [ { name: authorization, value: "Bearer secret" } ], content_type: protobuf }`],
  ['grpc', () => `{ type: grpc, id: central, url: "127.0.0.1:${server.grpcPort}", headers: { authorization: "Bearer secret" } }`],
])('a %s sync provider', (_kind, provider) => {
  it('applies the server policies, reloads when they change, and reports counters upstream', async () => {
    server.setPolicies(parsePolicyText(DROP('DEBUG')));
    server.resetStats();
    const c = await collectorWith(provider());
    try {
      const before = sink.recordsOf('logs');
      expect((await send(c, 'DEBUG')).status).toBe(200);
      expect((await send(c, 'INFO')).status).toBe(200);
      expect(sink.recordsOf('logs') - before).toBe(2);
      expect(server.lastRequest?.clientMetadata?.resourceAttributes).toEqual(
        expect.arrayContaining([
          { key: 'service.name', value: { stringValue: 'edge-collector' } },
          { key: 'deployment.environment', value: { stringValue: 'test' } },
        ]),
      );

      const reloads = c.processors.get('policy')!.registry.reloads;
      server.setPolicies(parsePolicyText(DROP('INFO')));
      await eventually(() => c.processors.get('policy')!.registry.reloads > reloads, 10_000, 'the new policies');
      const mid = sink.recordsOf('logs');
      expect((await send(c, 'DEBUG')).status).toBe(200);
      expect((await send(c, 'INFO')).status).toBe(200);
      expect(sink.recordsOf('logs') - mid).toBe(2);
    } finally {
      await c.shutdown();
    }
    // The final report on shutdown carries the counters.
    const reported = server.stats().policies;
    expect(reported.find((p) => p.policy_id === 'drop-debug')?.hits).toBe(2);
    expect(reported.find((p) => p.policy_id === 'drop-info')?.hits).toBe(2);
  });
});

it('keeps running without policies when the sync server cannot be reached, and says so', async () => {
  const lines: string[] = [];
  const { createLogger } = await import('@otel-policy/collector');
  const { Collector, parseConfigText } = await import('@otel-policy/collector');
  const c = new Collector(
    parseConfigText(
      `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
processors: { policy: { providers: [ { type: http, id: gone, url: "http://127.0.0.1:9/v1/policy/sync" } ] } }
exporters: { otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false } } }
service:
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [otlp], processors: [policy], exporters: [otlphttp] } }
`,
      process.cwd(),
      { env: {} },
    ),
    { logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }) },
  );
  await c.start();
  try {
    const before = sink.recordsOf('logs');
    expect((await send(c, 'DEBUG')).status).toBe(200);
    expect(sink.recordsOf('logs') - before).toBe(2);
    expect(lines.join('')).toMatch(/policy provider error; keeping its last good policies.*"provider":"gone"/);
  } finally {
    await c.shutdown();
  }
});
