/**
 * The demos' numbers are ones a reader can trust: nothing the policies kept
 * is lost to a full SDK queue and counted as dropped, and a sampling rate
 * shown is the rate the policy states. Runs the demos as a reader would
 * (they import the built packages).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const built = existsSync(path.join(root, 'packages/sdk-processor/dist/index.js'));
const run = (script: string) => execFileSync(process.execPath, [path.join(root, script)], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe.skipIf(!built)('demos', () => {
  it('pnpm demo: every record the policies kept reached the exporter', () => {
    const out = run('examples/nodesdk/service.js');
    expect(out).toContain('every record the policies kept reached the exporter (none lost to a full SDK queue)');
    expect(out).toContain('a redacted log as exported: "order confirmation sent to <email>"');
  });

  it('pnpm demo:quickstart: the sampled share of cache logs is near the 10% the policy states', () => {
    const out = run('examples/quickstart/run.js');
    const m = /cache logs: kept (\d+) of (\d+)/.exec(out);
    expect(m).not.toBeNull();
    const share = Number(m![1]) / Number(m![2]);
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.16);
  });
});
