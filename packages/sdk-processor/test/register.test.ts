/**
 * The zero-code path end to end, on a real service: examples/node-service
 * (express + pino) started with `node --require` / `--import
 * @otel-policy/sdk-processor/register`, the auto-instrumentations and the
 * SDK's own OTLP/HTTP exporters, sending to a sink here. Runs on the SDK
 * line of the suite (2.x in the main run, 3.x in the test/sdk-v3 run: the
 * register takes the SDK of the application's directory). Needs the build
 * (`pnpm test` builds first). test/packaging/register.test.ts does the same
 * from the packed tarballs, in an application outside the repository.
 */
import { SDK_INFO } from '@opentelemetry/core';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveExample, examplePolicyNumbers, OtlpJsonSink, startService, stopService } from '../../../test/support/otlp-sink.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const example = path.join(root, 'examples/node-service');
const built = existsSync(path.join(root, 'packages/sdk-processor/dist/node/register.js'));
const sdkLine = String(SDK_INFO['telemetry.sdk.version']).split('.')[0];
// Where the application runs decides its SDK line: the example itself (2.x) or the 3.x test package.
const cwd = sdkLine === '3' ? path.join(root, 'test/sdk-v3') : example;

/** The example as a CommonJS app (`--require`) and as an ES module app (`--import`). */
const APPS = [
  { file: 'app.cjs', flag: '--require' },
  { file: 'app.mjs', flag: '--import' },
];

const start = (app: (typeof APPS)[number], env: Record<string, string>) =>
  startService(path.join(example, app.file), {
    cwd,
    execArgv: [app.flag, '@otel-policy/sdk-processor/register'],
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      OTEL_SERVICE_NAME: 'shop',
      OTEL_METRICS_EXPORTER: 'none',
      // No cloud metadata lookups from a test.
      OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      ...env,
    },
  });

describe.skipIf(!built)(`zero-code register on a real service (SDK ${sdkLine}.x line)`, () => {
  const sink = new OtlpJsonSink();
  let endpoint: string;
  beforeAll(async () => {
    endpoint = await sink.listen();
  });
  afterAll(() => sink.close());

  it.each(APPS)('$file ($flag): filters pino logs and HTTP spans from the first request: health checks and debug dropped, emails redacted, /search sampled', async (app) => {
    sink.reset();
    const service = await start(app, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_POLICY_SOURCE: path.join(example, 'policies.yaml') });
    await driveExample(service.port);
    expect(await stopService(service.child)).toBe(0);
    const numbers = examplePolicyNumbers(sink);
    expect([...sink.sdkVersions].map((v) => v.split('.')[0])).toEqual([sdkLine]);
    console.log(`SDK ${[...sink.sdkVersions]}, ${app.file}, 261 requests (1 + 20 /healthz + 40 /orders + 200 /search):`, JSON.stringify(numbers));
    expect(service.stderr()).toBe('');
    expect(numbers).toMatchObject({ anyHealthSpan: 0, debugLogs: 0, healthLogs: 0, orderLogs: 41, unredacted: 0, firstOrderLog: 'order first paid by <email>' });
    expect(numbers.serverSpans.healthz).toBe(0);
    expect(numbers.serverSpans.orders).toBe(41);
    // 10% of 200, consistent per trace ID: far outside this band only if sampling were off or broken.
    expect(numbers.serverSpans.search).toBeGreaterThanOrEqual(5);
    expect(numbers.serverSpans.search).toBeLessThanOrEqual(45);
  });

  it('runs unfiltered, with one line on stderr, when the policy file is missing', async () => {
    sink.reset();
    const service = await start(APPS[0], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_POLICY_SOURCE: path.join(example, 'no-such-policies.yaml') });
    await fetch(`http://127.0.0.1:${service.port}/orders/7`).then((r) => r.text());
    expect(await stopService(service.child)).toBe(0);
    expect(sink.logs.some((l) => l.body?.stringValue === 'order 7 paid by jane.doe@example.com')).toBe(true);
    const lines = service.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('no-such-policies.yaml');
    expect(service.stderr()).not.toMatch(/^\s+at /m);
  });

  it('with OTEL_CONFIG_FILE, starts the SDK from that file (which cannot hold our processors) and says policies are not applied', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otel-config-'));
    const file = path.join(dir, 'otel.yaml');
    writeFileSync(file, 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - simple:\n        exporter:\n          console: {}\n');
    try {
      const service = await start(APPS[0], { OTEL_CONFIG_FILE: file, OTEL_POLICY_SOURCE: path.join(example, 'policies.yaml') });
      await fetch(`http://127.0.0.1:${service.port}/healthz`).then((r) => r.text());
      expect(await stopService(service.child)).toBe(0);
      expect(service.stderr().trim().split('\n')).toEqual([
        '@otel-policy/sdk-processor: OTEL_CONFIG_FILE is set: the SDK is configured from that file, which cannot hold third-party processors, so policies are NOT applied',
      ]);
      // The file's console exporter printed the health check span: unfiltered, as the warning says.
      expect(service.stdout()).toContain("'http.route': '/healthz'");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
