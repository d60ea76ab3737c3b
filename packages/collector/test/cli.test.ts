/** `otel-policy collector` through the real binary: validation errors, --dry-run, the shipped example, start-up failures. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '@otel-policy/collector';
import { tempDir, writeFile } from './support.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../cli/bin/otel-policy.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../examples/collector/config.yaml', import.meta.url));
const built = existsSync(BIN.replace('bin/otel-policy.js', 'dist/main.js'));
const { dir, cleanup } = tempDir();
afterAll(cleanup);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { timeout: 20_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.skipIf(!built)('otel-policy collector', () => {
  it('validates the shipped example with --dry-run', async () => {
    const r = await cli('collector', '--config', EXAMPLE, '--dry-run');
    expect(r).toMatchObject({ code: 0, stdout: `${EXAMPLE}: configuration is valid\n` });
  });

  it('rejects an invalid configuration with exit 2, every problem and its path', async () => {
    const f = writeFile(
      dir,
      'bad.yaml',
      'receivers: { otlp: { protocols: { http: { endpont: x } } } }\nexporters: { debug: { verbosity: loud } }\nservice: { pipelines: { logs: { receivers: [otlp], exporters: [debug] } } }\n',
    );
    const r = await cli('collector', '--config', f);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid configuration (2 problems)');
    expect(r.stderr).toContain('receivers.otlp.protocols.http.endpont: unknown key');
    expect(r.stderr).toContain('exporters.debug.verbosity: must be one of "basic", "normal", "detailed", got "loud"');
  });

  it('reports a missing file and a missing --config', async () => {
    const missing = await cli('collector', '--config', `${dir}/nope.yaml`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.yaml: no such file/);
    const directory = await cli('collector', '--config', dir);
    expect(directory.code).toBe(2);
    expect(directory.stderr).toContain('is a directory, not a file');
    const usage = await cli('collector');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--config is required');
  });

  it('names the file, line and column of a YAML syntax error, in one line without a stack trace', async () => {
    for (const [name, text, line, col] of [
      ['tabs.yaml', 'receivers:\n\totlp: {}\n', 2, 1],
      ['truncated.yaml', 'service:\n  pipelines:\n    logs: { receivers: [otlp\n', 4, 1],
    ] as const) {
      const f = writeFile(dir, name, text);
      const r = await cli('collector', '--config', f, '--dry-run');
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`${f}:${line}:${col}: invalid configuration: cannot parse YAML: `);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('fails to start with a clear message when a port is taken', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const f = writeFile(
        dir,
        'busy.yaml',
        `receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:${port}" } } } }\nexporters: { debug: }\nservice: { telemetry: { metrics: { level: none } }, pipelines: { logs: { receivers: [otlp], exporters: [debug] } } }\n`,
      );
      const r = await cli('collector', '--config', f);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot start: cannot listen on 127.0.0.1:${port} for the OTLP/HTTP receiver "otlp": address already in use`);
    } finally {
      blocker.close();
    }
  });
});

describe('the shipped example', () => {
  it('uses the standard ports, the policy processor on all three signals, health and metrics', () => {
    const c = loadConfigFile(EXAMPLE);
    expect(c.receivers.get('otlp')!.grpc!.endpoint).toEqual({ host: '127.0.0.1', port: 4317 });
    expect(c.receivers.get('otlp')!.http!.endpoint).toEqual({ host: '127.0.0.1', port: 4318 });
    expect(c.service.pipelines.map((p) => [p.signal, p.processors])).toEqual([
      ['logs', ['policy']],
      ['traces', ['policy']],
      ['metrics', ['policy']],
    ]);
    expect(c.service.extensions).toEqual(['health_check']);
    expect(c.service.telemetry.metrics).toEqual({ host: '127.0.0.1', port: 8888 });
  });
});
