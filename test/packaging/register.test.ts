/**
 * The zero-code start as a user meets it: the packed tarballs installed with
 * plain npm into a new application outside the repository, beside the SDK
 * line it runs (2.x: sdk-node 0.223 under this Node; 3.x: sdk-node 0.301
 * under Node 22), started with `node --require` (CommonJS app) and `node
 * --import` (ES module app) `@otel-policy/sdk-processor/register` and
 * OTEL_POLICY_SOURCE; the policies apply to its pino logs and HTTP spans
 * from the first request. The application is examples/node-service, copied.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packPackages } from '../../scripts/pack-packages.js';
import { run, show } from './support.js';
import { driveExample, examplePolicyNumbers, OtlpJsonSink, startService, stopService } from '../support/otlp-sink.js';

const workspace = fileURLToPath(new URL('../../', import.meta.url));
const example = path.join(workspace, 'examples/node-service');
const exampleDeps = (JSON.parse(readFileSync(path.join(example, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
const v3Deps = (JSON.parse(readFileSync(path.join(workspace, 'test/sdk-v3/package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
const pinned = (deps: Record<string, string>) => ['@opentelemetry/sdk-node', '@opentelemetry/auto-instrumentations-node', 'express', 'pino'].map((n) => `${n}@${deps[n]}`);

interface Line {
  name: string;
  deps: string[];
  node?: string;
  dir: string;
  install?: Run;
}

let tmp: string;
const lines: Line[] = [];
const sink = new OtlpJsonSink();
let endpoint: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'otel-policy-register-'));
  const tarballs = path.join(tmp, 'tarballs');
  mkdirSync(tarballs);
  const [packed, n22] = await Promise.all([packPackages(tarballs), run('npx', ['-y', 'node@22', '-p', 'process.execPath'], tmp, 120_000).catch(() => undefined)]);
  const ours = packed.filter((p) => ['@otel-policy/core', '@otel-policy/proto', '@otel-policy/adapters', '@otel-policy/providers', '@otel-policy/sdk-processor'].includes(p.name)).map((p) => p.path);
  endpoint = await sink.listen();
  lines.push({ name: '2.x', deps: pinned(exampleDeps), node: process.execPath, dir: path.join(tmp, 'app-2x') });
  lines.push({ name: '3.x', deps: pinned(v3Deps), node: n22?.code === 0 ? n22.stdout.trim() : undefined, dir: path.join(tmp, 'app-3x') });
  await Promise.all(
    lines.map(async (line) => {
      mkdirSync(line.dir);
      writeFileSync(path.join(line.dir, 'package.json'), `${JSON.stringify({ name: `app-${line.name}`, version: '1.0.0', private: true }, null, 2)}\n`);
      // The CommonJS app as app.js, the ES module one as app.mjs.
      copyFileSync(path.join(example, 'app.cjs'), path.join(line.dir, 'app.js'));
      copyFileSync(path.join(example, 'app.mjs'), path.join(line.dir, 'app.mjs'));
      copyFileSync(path.join(example, 'policies.yaml'), path.join(line.dir, 'policies.yaml'));
      line.install = await run('npm', ['install', '--no-audit', '--no-fund', ...ours, ...line.deps], line.dir, 240_000);
    }),
  );
}, 420_000);

afterAll(async () => {
  sink.close();
  // Asynchronous: two SDK installations are large, and a synchronous removal would stall the test worker.
  if (tmp) await rm(tmp, { recursive: true, force: true });
}, 300_000);

describe('the register from the packed tarballs, in a new application', () => {
  for (const lineName of ['2.x', '3.x']) {
    for (const [file, flag] of [
      ['app.js', '--require'],
      ['app.mjs', '--import'],
    ] as const) {
      it(`SDK ${lineName}: node ${flag} @otel-policy/sdk-processor/register ${file}`, async (ctx) => {
        const line = lines.find((l) => l.name === lineName)!;
        if (!line.node) {
          console.warn(`skipping the SDK ${lineName} run: npx -y node@22 is not available`);
          ctx.skip();
        }
        expect(line.install!.code, show(line.install!)).toBe(0);
        sink.reset();
        const service = await startService(path.join(line.dir, file), {
          cwd: line.dir,
          execPath: line.node,
          execArgv: [flag, '@otel-policy/sdk-processor/register'],
          env: {
            PATH: process.env.PATH,
            PORT: '0',
            OTEL_POLICY_SOURCE: 'policies.yaml',
            OTEL_SERVICE_NAME: 'shop',
            OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
            OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
            OTEL_METRICS_EXPORTER: 'none',
            OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
            OTEL_BSP_SCHEDULE_DELAY: '100',
            OTEL_BLRP_SCHEDULE_DELAY: '100',
          },
        });
        await driveExample(service.port);
        expect(await stopService(service.child)).toBe(0);
        const numbers = examplePolicyNumbers(sink);
        console.log(`installed tarballs, SDK ${[...sink.sdkVersions]}, ${flag} ${file}:`, JSON.stringify(numbers));
        expect([...sink.sdkVersions].map((v) => v.split('.')[0])).toEqual([lineName[0]]);
        expect(service.stderr()).toBe('');
        expect(numbers).toMatchObject({ anyHealthSpan: 0, debugLogs: 0, healthLogs: 0, orderLogs: 41, unredacted: 0, firstOrderLog: 'order first paid by <email>' });
        expect(numbers.serverSpans.orders).toBe(41);
        expect(numbers.serverSpans.search).toBeGreaterThanOrEqual(5);
        expect(numbers.serverSpans.search).toBeLessThanOrEqual(45);
      });
    }
  }
});
