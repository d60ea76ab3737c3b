/**
 * The conformance corpus in provider mode, as the corpus checker
 * runs it with --server-cmd: for every case (provider_only ones included)
 * the CLI policy server serves the case's policies, the CLI runner syncs
 * from it per batch (over HTTP, then over gRPC), and the outputs and the
 * server's GET /stats (hits and errors reported through sync) are compared
 * with the expected ones. Needs the build (dist), as `pnpm test` makes it.
 *
 * One server per case serves both runs: after the HTTP run its stats must
 * equal the expected ones, after the gRPC run every hit count must have
 * doubled (hits are summed over reports) and the errors stay the same
 * (each distinct error is kept once).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { listCases, normalize, providerStats, readJson, type ConformanceCase, type StatsEntry } from '../support/conformance.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../packages/cli/bin/otel-policy.js', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'otel-policy-provider-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Few processes at a time: each case runs a server and a runner. */
const SLOTS = Math.max(2, Math.min(4, cpus().length + 1));
let free = SLOTS;
const waiting: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (free === 0) await new Promise<void>((r) => waiting.push(r));
  else free--;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else free++;
  }
}

interface Server {
  http: number;
  grpc: number;
  child: ChildProcess;
}

function startServer(policies: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve-policies', '--policies', policies, '--http-port', '0', '--grpc-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server printed no ports within 30 s: ${err}`));
    }, 30_000);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const http = /^HTTP_PORT=(\d+)\s*$/m.exec(out);
      const grpc = /^GRPC_PORT=(\d+)\s*$/m.exec(out);
      if (http && grpc) {
        clearTimeout(timer);
        resolve({ http: Number(http[1]), grpc: Number(grpc[1]), child });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before printing its ports: ${err}`));
    });
  });
}

async function stopServer(s: Server): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => {
    if (s.child.exitCode !== null) resolve(s.child.exitCode);
    else s.child.once('exit', (code) => resolve(code));
  });
  await fetch(`http://127.0.0.1:${s.http}/shutdown`, { method: 'POST', headers: { 'x-otel-policy-shutdown': '1' } }).catch(() => undefined);
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

async function runBatches(c: ConformanceCase, source: string[], tag: string): Promise<void> {
  for (const [i, b] of c.batches.entries()) {
    const out = path.join(work, `${c.name}-${tag}-${i}.json`);
    await run(process.execPath, [BIN, 'eval', ...source, '--input', b.input, '--output', out, '--signal', b.signal]);
    expect(normalize(readJson(out)), `${tag} output of ${path.basename(b.input)}`).toEqual(normalize(readJson(b.expected)));
  }
}

const serverStats = async (s: Server) => providerStats((await (await fetch(`http://127.0.0.1:${s.http}/stats`)).json()) as { policies: StatsEntry[] });

describe('conformance in provider mode (CLI server and runner, HTTP then gRPC)', () => {
  it.concurrent.each(listCases().map((c) => [c.name, c] as const))('%s', (_name, c) =>
    slot(async () => {
      const expected = providerStats(readJson(path.join(c.dir, 'expected_stats.json')) as { policies: StatsEntry[] });
      const server = await startServer(c.policiesFile);
      try {
        await runBatches(c, ['--server', `http://127.0.0.1:${server.http}/v1/policy/sync`], 'http');
        expect(await serverStats(server), 'stats after the HTTP run').toEqual(expected);
        await runBatches(c, ['--grpc', `127.0.0.1:${server.grpc}`], 'grpc');
        const doubled = { policies: expected.policies.map((p) => (p.hits ? { ...p, hits: p.hits * 2 } : p)) };
        expect(await serverStats(server), 'stats after the gRPC run').toEqual(doubled);
      } finally {
        expect(await stopServer(server), 'server exit status').toBe(0);
      }
    }),
  );
});
