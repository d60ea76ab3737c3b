/**
 * The CLI's sync commands beyond the conformance corpus: serve-policies
 * options (token, disabled gRPC, signals) and eval --server options
 * (token, protobuf, --stats), and usage errors. Needs the build (dist).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import https from 'node:https';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCerts } from '../support/certs.js';

const BIN = fileURLToPath(new URL('../../packages/cli/bin/otel-policy.js', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'otel-policy-cli-sync-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function serve(args: string[]): Promise<{ child: ChildProcess; out: string; http: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve-policies', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('no ports'));
    }, 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /^HTTP_PORT=(\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        // Give a GRPC_PORT line, if any, a moment to arrive.
        setTimeout(() => resolve({ child, out, http: Number(m[1]) }), 100);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}`));
    });
  });
}

const exitOf = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

const policies = path.join(work, 'policies.yaml');
writeFileSync(
  policies,
  `policies:
  - id: drop-debug
    log:
      match:
        - log_field: severity_text
          exact: DEBUG
      keep: none
  - id: broken
    log:
      match:
        - log_attribute: []
          exists: true
`,
);
const input = path.join(work, 'logs.json');
writeFileSync(input, JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityText: 'DEBUG' }, { severityText: 'INFO' }] }] }] }));

describe('CLI sync commands', () => {
  it('serve-policies --token, --grpc-port off; eval --server with --token, protobuf and --stats', async () => {
    const server = await serve(['--policies', policies, '--token', 'tok', '--grpc-port', 'off', '--sync-interval', '5']);
    try {
      expect(server.out).not.toMatch(/GRPC_PORT/);
      const url = `http://127.0.0.1:${server.http}/v1/policy/sync`;
      const out = path.join(work, 'out.json');
      const denied = await cli(['eval', '--server', url, '--input', input, '--output', out]);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/401/);
      const stats = path.join(work, 'stats.json');
      for (const contentType of ['json', 'protobuf']) {
        const ok = await cli(['eval', '--server', url, '--token', 'tok', '--content-type', contentType, '--input', input, '--output', out, '--stats', stats]);
        expect(ok.stderr).toMatch(/broken/);
        expect(ok.code).toBe(0);
        expect(JSON.parse(readFileSync(out, 'utf8')).resourceLogs[0].scopeLogs[0].logRecords).toEqual([{ severityText: 'INFO' }]);
        expect(JSON.parse(readFileSync(stats, 'utf8'))).toEqual({ policies: [{ policy_id: 'drop-debug', hits: 1 }] });
      }
      const received = await (await fetch(`http://127.0.0.1:${server.http}/stats`, { headers: { authorization: 'Bearer tok' } })).json();
      expect(received.policies).toEqual([
        { policy_id: 'broken', hits: 0, misses: 0, errors: ['log: match[0]: attribute has empty path'] },
        { policy_id: 'drop-debug', hits: 2, misses: 0, errors: [] },
      ]);
    } finally {
      server.child.kill('SIGTERM');
      expect(await exitOf(server.child)).toBe(0);
    }
  });

  it("serve-policies --cors-origin: a page's preflight answered, others refused; a value that is not an origin is a usage error", async () => {
    const server = await serve(['--policies', policies, '--grpc-port', 'off', '--cors-origin', 'https://shop.example.com', '--cors-origin', 'http://localhost:*']);
    try {
      const preflight = (origin: string) => fetch(`http://127.0.0.1:${server.http}/v1/policy/sync`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      for (const origin of ['https://shop.example.com', 'http://localhost:5173']) {
        const ok = await preflight(origin);
        expect([origin, ok.status, ok.headers.get('access-control-allow-origin')]).toEqual([origin, 204, origin]);
      }
      expect((await preflight('https://evil.example.net')).status).toBe(403);
    } finally {
      server.child.kill('SIGTERM');
      expect(await exitOf(server.child)).toBe(0);
    }
    const bad = await cli(['serve-policies', '--policies', policies, '--cors-origin', 'https://shop.example.com/']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^otel-policy: --cors-origin "https:\/\/shop.example.com\/" is not an origin: give a scheme and host without a path/);
  });

  it('serve-policies over mutual TLS (--tls-cert, --tls-key, --tls-client-ca) with --token-file', async () => {
    const certs = makeCerts();
    const tokenFile = path.join(work, 'token');
    writeFileSync(tokenFile, 's3cret\n');
    const server = await serve([
      '--policies',
      policies,
      '--grpc-port',
      '0',
      '--tls-cert',
      certs.files.serverCert,
      '--tls-key',
      certs.files.serverKey,
      '--tls-client-ca',
      certs.files.ca,
      '--token-file',
      tokenFile,
    ]);
    const post = (opts: https.RequestOptions, token?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = https.request(
          `https://127.0.0.1:${server.http}/v1/policy/sync`,
          { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, ...opts },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end('{}');
      });
    const client = { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey };
    try {
      expect(await post(client, 's3cret')).toBe(200);
      expect(await post(client, 'wrong')).toBe(401);
      await expect(post({ ca: certs.ca }, 's3cret')).rejects.toThrow();
    } finally {
      server.child.kill('SIGTERM');
      expect(await exitOf(server.child)).toBe(0);
    }
    const half = await cli(['serve-policies', '--policies', policies, '--tls-cert', certs.files.serverCert]);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--tls-cert and --tls-key go together/);
    const missing = await cli(['serve-policies', '--policies', policies, '--tls-cert', path.join(work, 'nope.pem'), '--tls-key', certs.files.serverKey]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read --tls-cert .*nope\.pem: no such file/);
  });

  it('serve-policies --max-body-bytes; POST /shutdown with its header stops it (exit 0), GET /shutdown is 405; a bad file is one error line', async () => {
    const server = await serve(['--policies', policies, '--grpc-port', 'off', '--max-body-bytes', '100']);
    const base = `http://127.0.0.1:${server.http}`;
    try {
      const big = await fetch(`${base}/v1/policy/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(200) }) });
      expect(big.status).toBe(413);
      expect(await big.text()).toMatch(/exceeds the limit of 100 bytes/);
      expect((await fetch(`${base}/v1/policy/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(200);
      expect((await fetch(`${base}/shutdown`)).status).toBe(405);
      expect((await fetch(`${base}/shutdown`, { method: 'POST', headers: { 'x-otel-policy-shutdown': '1' } })).status).toBe(200);
      expect(await exitOf(server.child)).toBe(0);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect((await cli(['serve-policies', '--policies', policies, '--max-body-bytes', '0'])).code).toBe(2);
    const bad = path.join(work, 'bad.json');
    writeFileSync(bad, '{ "policies": [');
    // An input error (exit 2), with the file's line and column.
    const broken = await cli(['serve-policies', '--policies', bad]);
    expect(broken.code).toBe(2);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    expect(broken.stderr).toMatch(/^otel-policy: \S*bad\.json:1:16: invalid JSON: /);
  });

  it('eval fails (exit 1) when the server cannot be reached; usage and input errors exit 2', async () => {
    const down = await cli(['eval', '--server', 'http://127.0.0.1:9/v1/policy/sync', '--timeout', '2000', '--input', input]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/no policies/);
    expect((await cli(['eval', '--policies', policies, '--server', 'http://x/', '--input', input])).code).toBe(2);
    expect((await cli(['eval', '--input', input])).code).toBe(2);
    expect((await cli(['serve-policies', '--policies', policies, '--http-port', 'abc'])).code).toBe(2);
    const missing = await cli(['serve-policies', '--policies', path.join(work, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: cannot read: no such file/);
    const help = await cli(['help']);
    expect(help.stdout).toMatch(/serve-policies --policies PATH/);
    expect(help.stdout).toMatch(/--server URL \| --grpc HOST:PORT/);
  });
});
