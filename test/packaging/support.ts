/**
 * Running commands as an ordinary npm/node user would, for the packaging
 * tests (test/packaging/*.test.ts).
 */
import { spawn } from 'node:child_process';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command (no shell) with a time limit; resolves its exit code and output. */
export function run(cmd: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<Run> {
  // The child is an ordinary npm/node user: none of the npm_* variables that
  // pnpm or npm set for this process (they would configure the child's npm).
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 0), stdout, stderr: signal ? `${stderr}\n(killed by ${signal})` : stderr });
    });
  });
}

export const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
