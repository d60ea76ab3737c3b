/**
 * The packages as an application gets them: every public package packed
 * (pnpm pack, as published), installed with plain npm into a new application
 * outside the workspace (os.tmpdir()) beside the OpenTelemetry JS SDK 2.x
 * packages the workspace uses, then used from an ES module and from a
 * CommonJS module (require(esm)), under this Node and under Node 22
 * (`npx -y node@22`), type-checked from TypeScript (module nodenext, ESM
 * and CommonJS), and through the `otel-policy` command of the CLI tarball. The consumers (fixtures/) build a LoggerProvider and a
 * TracerProvider whose policy file drops DEBUG logs, redacts email
 * addresses and drops health-check spans, and print what reached their
 * in-memory exporters.
 *
 * Packs dist/ as it is: build first (`pnpm test` does). Needs the npm
 * registry for the third-party dependencies.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packPackages } from '../../scripts/pack-packages.js';
import { run, show, type Run } from './support.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const workspace = here('../../');

/** The SDK 2.x versions the workspace builds and tests the processors with. */
const sdkDev = JSON.parse(readFileSync(here('../../packages/sdk-processor/package.json'), 'utf8')).devDependencies as Record<string, string>;
const SDK = ['@opentelemetry/api', '@opentelemetry/sdk-logs', '@opentelemetry/sdk-trace-base'].map((name) => `${name}@${sdkDev[name]}`);

let tmp: string;
let app: string;
let node22: string | undefined;
let node22Why = '';
let install: Run;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'otel-policy-install-'));
  app = path.join(tmp, 'app');
  const tarballs = path.join(tmp, 'tarballs');
  mkdirSync(app);
  mkdirSync(tarballs);
  const [packed, n22] = await Promise.all([
    packPackages(tarballs),
    // Node 22 for the second run: the binary npx fetches (then spawned directly).
    run('npx', ['-y', 'node@22', '-p', 'process.execPath'], tmp, 120_000).catch((err: Error) => ({ code: -1, stdout: '', stderr: err.message })),
  ]);
  if (n22.code === 0 && n22.stdout.trim()) node22 = n22.stdout.trim();
  else node22Why = `npx -y node@22 failed (${n22.code}): ${n22.stderr.trim().split('\n').pop()}`;

  writeFileSync(path.join(app, 'package.json'), `${JSON.stringify({ name: 'otel-policy-consumer', version: '1.0.0', private: true }, null, 2)}\n`);
  for (const f of ['policies.yaml', 'consumer.mjs', 'consumer.cjs', 'logs.json', 'typed.mts']) copyFileSync(here(`fixtures/${f}`), path.join(app, f));
  copyFileSync(here('fixtures/typed.mts'), path.join(app, 'typed.cts'));
  // As the README tells users: npm install of the tarballs beside the SDK.
  // The hyperscan tarball's install script builds its addon when this machine
  // has the library, and prints a notice (exit 0) when it does not.
  install = await run('npm', ['install', '--no-audit', '--no-fund', ...packed.map((p) => p.path), ...SDK], app, 150_000);
}, 240_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Output {
  consumer: string;
  node: string;
  resolved: string;
  logs: { severityText: string; body: string }[];
  spans: string[];
}

async function consume(nodeBin: string, file: string): Promise<Output> {
  const r = await run(nodeBin, [file], app);
  expect(r.code, show(r)).toBe(0);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Output;
  // From the installed tarballs, not from the workspace.
  expect(out.resolved.startsWith(path.join(app, 'node_modules', '@otel-policy', 'sdk-processor') + path.sep)).toBe(true);
  expect(out.resolved.startsWith(workspace)).toBe(false);
  return out;
}

function expectPolicies(out: Output): void {
  // drop-debug removed the DEBUG record; redact-emails rewrote the address; the WARN record passed as it was.
  expect(out.logs).toEqual([
    { severityText: 'INFO', body: 'order 42 paid by <email>' },
    { severityText: 'WARN', body: 'payment gateway slow' },
  ]);
  // drop-health-spans removed the /healthz span.
  expect(out.spans).toEqual(['GET /orders/:id']);
}

describe('the packed packages installed with npm into a new application', () => {
  it('npm install of the tarballs succeeds', () => {
    expect(install.code, show(install)).toBe(0);
  });

  it(`ES module consumer, this Node (${process.version})`, async () => {
    const out = await consume(process.execPath, 'consumer.mjs');
    expect(out.node).toBe(process.version);
    expectPolicies(out);
  });

  it(`CommonJS consumer (require), this Node (${process.version})`, async () => {
    const out = await consume(process.execPath, 'consumer.cjs');
    expect(out.node).toBe(process.version);
    expectPolicies(out);
  });

  it('ES module and CommonJS consumers under Node 22', async (ctx) => {
    if (!node22) {
      console.warn(`skipping the Node 22 run: ${node22Why}`);
      ctx.skip(node22Why);
    }
    for (const file of ['consumer.mjs', 'consumer.cjs']) {
      const out = await consume(node22!, file);
      expect(out.node).toMatch(/^v22\./);
      expectPolicies(out);
    }
  });

  it('TypeScript (module nodenext) types the processors as SDK processors, from ESM and from CommonJS', async () => {
    // skipLibCheck as `tsc --init` sets it: with it off, the .d.ts of the
    // metric exporter and views also need @opentelemetry/sdk-metrics (an
    // optional peer) installed.
    const tsconfig = { compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['typed.mts', 'typed.cts'] };
    writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(tsconfig));
    const r = await run(process.execPath, [path.join(workspace, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], app);
    expect(r.code, show(r)).toBe(0);
  });

  it('the CLI tarball: npx otel-policy validate and eval', async () => {
    const validate = await run('npx', ['otel-policy', 'validate', 'policies.yaml'], app);
    expect(validate.code, show(validate)).toBe(0);
    expect(validate.stdout).toContain('policies.yaml: 3 valid, 0 invalid');

    const evaluated = await run('npx', ['otel-policy', 'eval', '--policies', 'policies.yaml', '--input', 'logs.json'], app);
    expect(evaluated.code, show(evaluated)).toBe(0);
    const records = JSON.parse(evaluated.stdout).resourceLogs[0].scopeLogs[0].logRecords;
    expect(records).toEqual([{ severityText: 'INFO', body: { stringValue: 'order 42 paid by <email>' } }]);
  });

  it('the hyperscan tarball installed: its addon built here, or a notice and the default backend', async () => {
    const r = await run(process.execPath, ['--input-type=module', '-e', "const m = await import('@otel-policy/hyperscan'); console.log(JSON.stringify(m.hyperscanAvailability()))"], app);
    expect(r.code, show(r)).toBe(0);
    const availability = JSON.parse(r.stdout) as { available: boolean; version?: string; reason?: string };
    // Either way the install succeeded (first test); without the addon the reason is given.
    expect(availability.available ? availability.version : availability.reason).toBeTruthy();
    console.log(`@otel-policy/hyperscan from the tarball: ${availability.available ? `addon built (${availability.version})` : availability.reason}`);
  });
});
