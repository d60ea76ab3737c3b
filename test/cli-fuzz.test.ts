/**
 * A seeded mutation fuzz test of `otel-policy eval`, in process (main() with
 * its output captured): policy files and inputs from the conformance corpus,
 * mutated (cut short, bytes changed, spans deleted or repeated, values
 * swapped for other types, nesting deepened), must each end in time either
 * with exit 0 and valid JSON output, or with exit 2 and one or two lines
 * without a stack trace. Exit 1 (an internal error) fails with the seed, so
 * a failure reproduces with FUZZ_SEED=<seed>.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../packages/cli/src/main.js';
import { listCases } from './support/conformance.js';
import { prng, type Rng } from './support/prng.js';

const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 150);
const BASE_SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const PER_RUN_MS = 10_000;
const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-fuzz-'));
afterAll(() => {
  if (!process.env.FUZZ_KEEP) rmSync(dir, { recursive: true, force: true });
});

const cases = listCases().filter((c) => !c.providerOnly);
const JUNK = ['{', '}', '[', ']', ',', ':', '"', '\\', '\t', '\n', ' ', '-', '0', '1e999', 'null', 'true', '\u0000', '\uFEFF', 'é', '#', '&', '*', '---', '- ', '!!binary'];

/** A random JSON value of some type, sometimes deeply nested. */
function randomValue(r: Rng): unknown {
  switch (r.int(0, 8)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, 1.5, 2 ** 64, -(2 ** 63), Number.MAX_SAFE_INTEGER]);
    case 3:
      return r.pick(['', 'x', '12abc', '999999999999999999999999', '-1', 'NaN', 'DEBUG', '([bad', 'a'.repeat(5000)]);
    case 4:
      return [];
    case 5:
      return {};
    case 6:
      return [randomValue(r), randomValue(r)];
    case 7: {
      let v: unknown = 'leaf';
      for (let i = r.int(10, 3000); i > 0; i--) v = r.chance(0.5) ? [v] : { kvlistValue: { values: [{ key: 'k', value: v }] } };
      return v;
    }
    default:
      return { stringValue: 5, intValue: 'x', arrayValue: 'y', key: 1 };
  }
}

/** Replace a random node of a JSON document by a value of another type. */
function swapNode(doc: unknown, r: Rng): unknown {
  const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const stack: unknown[] = [doc];
  while (stack.length && nodes.length < 5000) {
    const v = stack.pop();
    if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        nodes.push({ parent: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k });
        stack.push(child);
      }
    }
  }
  if (nodes.length === 0) return randomValue(r);
  const { parent, key } = r.pick(nodes);
  (parent as Record<string | number, unknown>)[key] = randomValue(r);
  return doc;
}

/** One mutation of a file's text. */
function mutate(text: string, r: Rng): string {
  switch (r.int(0, 6)) {
    case 0:
      return text.slice(0, r.int(0, text.length));
    case 1: {
      const chars = [...text];
      for (let n = r.int(1, 4); n > 0; n--) chars[r.int(0, Math.max(0, chars.length - 1))] = r.pick(JUNK);
      return chars.join('');
    }
    case 2: {
      const a = r.int(0, text.length);
      return text.slice(0, a) + text.slice(Math.min(text.length, a + r.int(1, 50)));
    }
    case 3: {
      const a = r.int(0, text.length);
      const span = text.slice(a, a + r.int(1, 80));
      return text.slice(0, a) + span + span + text.slice(a);
    }
    case 4:
    case 5:
      try {
        return JSON.stringify(swapNode(JSON.parse(text), r));
      } catch {
        return text + r.pick(JUNK);
      }
    default:
      return r.pick(JUNK).repeat(r.int(1, 3)) + text;
  }
}

/** Run main() with stdout/stderr captured. */
async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await Promise.race([main(argv), new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${PER_RUN_MS} ms`)), PER_RUN_MS).unref())]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('eval under seeded mutations', () => {
  it(`${ITERATIONS} mutated runs end in time with valid output or one clear error (seed ${BASE_SEED})`, async () => {
    const outcomes = { ok: 0, inputError: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const seed = BASE_SEED + i;
      const r = prng(seed);
      const c = r.pick(cases);
      const batch = r.pick(c.batches);
      let policies = readFileSync(c.policiesFile, 'utf8');
      let input = readFileSync(batch.input, 'utf8');
      const target = r.int(0, 2); // 0: policies, 1: input, 2: both
      if (target !== 1) policies = mutate(policies, r);
      if (target !== 0) input = mutate(input, r);
      const pf = path.join(dir, `p${i}${path.extname(c.policiesFile)}`);
      const inf = path.join(dir, `i${i}.json`);
      const outf = path.join(dir, `o${i}.json`);
      writeFileSync(pf, policies);
      writeFileSync(inf, input);
      const argv = ['eval', '--policies', pf, '--input', inf, '--output', outf, '--stats', path.join(dir, `s${i}.json`), ...(r.chance(0.5) ? ['--signal', batch.signal] : [])];
      const context = `seed ${seed} (case ${c.name}, mutated ${['policies', 'input', 'both'][target]})`;
      if (process.env.FUZZ_TRACE) writeFileSync(process.env.FUZZ_TRACE, `${context}\n${argv.join(' ')}\n`, { flag: 'a' });
      const res = await runCli(argv);
      expect(res.stderr, context).not.toMatch(/^\s+at /m);
      expect(res.stderr, context).not.toContain('internal error');
      expect([0, 2], `${context}: ${res.stderr}`).toContain(res.code);
      if (res.code === 0) {
        expect(() => JSON.parse(readFileSync(outf, 'utf8')), context).not.toThrow();
        outcomes.ok++;
      } else {
        const lines = res.stderr.trimEnd().split('\n').filter((l) => !/ is invalid and inert: /.test(l));
        expect(lines.length, `${context}: ${res.stderr}`).toBeLessThanOrEqual(2);
        expect(lines[0], context).toMatch(/^otel-policy: /);
        outcomes.inputError++;
      }
    }
    if (process.env.FUZZ_TRACE) writeFileSync(process.env.FUZZ_TRACE, `outcomes ${JSON.stringify(outcomes)}\n`, { flag: 'a' });
    // Both outcomes occur, or the mutations are not exercising anything.
    expect(outcomes.ok).toBeGreaterThan(5);
    expect(outcomes.inputError).toBeGreaterThan(5);
  });
});
