/**
 * The conformance corpus through the real CLI binary, as
 * the corpus checker runs it (file mode; provider_only cases skip).
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
  it.concurrent.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => runCase(c, []));
});

// The cases with regexes again, with the Hyperscan backend (re2js, saying so on stderr, where its addon is not built).
const regexCases = cases.filter((c) => readFileSync(c.policiesFile, 'utf8').includes('"regex"'));

describe('conformance through the CLI, --regex-backend hyperscan', () => {
  it('has regex cases', () => {
    expect(regexCases.length).toBeGreaterThan(20);
  });
  it.concurrent.each(regexCases.map((c) => [c.name, c] as const))('%s', (_name, c) => runCase(c, ['--regex-backend', 'hyperscan'], 'hs-'));
});

it('the CLI refuses an unknown regex backend', async () => {
  const c = cases[0];
  const b = c.batches[0];
  await expect(run(process.execPath, [BIN, 'eval', '--policies', c.policiesFile, '--input', b.input, '--regex-backend', 'pcre'])).rejects.toMatchObject({
    stderr: expect.stringContaining('--regex-backend must be default, re2js or hyperscan'),
  });
});

async function runCase(c: (typeof cases)[number], extra: string[], prefix = ''): Promise<void> {
  const stats: { policies: StatsEntry[] }[] = [];
  for (const [i, b] of c.batches.entries()) {
    const out = path.join(work, `${prefix}${c.name}-${i}.out.json`);
    const st = path.join(work, `${prefix}${c.name}-${i}.stats.json`);
    await run(process.execPath, [BIN, 'eval', '--policies', c.policiesFile, '--input', b.input, '--output', out, '--stats', st, '--signal', b.signal, ...extra]);
    expect(normalize(readJson(out))).toEqual(normalize(readJson(b.expected)));
    stats.push(JSON.parse(readFileSync(st, 'utf8')));
  }
  const expected = readJson(path.join(c.dir, 'expected_stats.json')) as { policies: StatsEntry[] };
  if (c.batched) expect(canonical(mergeStats(stats))).toEqual(canonical(mergeStats([expected])));
  else expect(canonical(stats[0])).toEqual(canonical(expected));
}
