/**
 * The conformance corpus through the real CLI binary, as
 * ../shared/conformance/check runs it (file mode; provider_only cases skip).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { canonical, listCases, mergeStats, normalize, readJson, type StatsEntry } from './support/conformance.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../packages/cli/bin/otel-policy.js', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'otel-policy-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cases = listCases().filter((c) => !c.providerOnly);

describe('conformance through the CLI', () => {
  it.concurrent.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const stats: { policies: StatsEntry[] }[] = [];
    for (const [i, b] of c.batches.entries()) {
      const out = path.join(work, `${c.name}-${i}.out.json`);
      const st = path.join(work, `${c.name}-${i}.stats.json`);
      await run(process.execPath, [BIN, 'eval', '--policies', c.policiesFile, '--input', b.input, '--output', out, '--stats', st, '--signal', b.signal]);
      expect(normalize(readJson(out))).toEqual(normalize(readJson(b.expected)));
      stats.push(JSON.parse(readFileSync(st, 'utf8')));
    }
    const expected = readJson(path.join(c.dir, 'expected_stats.json')) as { policies: StatsEntry[] };
    if (c.batched) expect(canonical(mergeStats(stats))).toEqual(canonical(mergeStats([expected])));
    else expect(canonical(stats[0])).toEqual(canonical(expected));
  });
});
