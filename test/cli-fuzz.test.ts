/**
 * A seeded mutation fuzz test of `otel-policy eval`, in process (main() with
 * its output captured): policy files and inputs from the conformance corpus,
 * mutated (cut short, bytes changed, spans deleted or repeated, values
 * swapped for other types, keys renamed (`__proto__`, snake_case) or
 * repeated, nesting up to 100k deep, whole files of binary or other junk,
 * policies as YAML with tabs, aliases and bad indentation), must each end in
 * time either with exit 0 and valid JSON output, or with exit 2 and one or
 * two lines without a stack trace. Exit 1 (an internal error) fails with the
 * seed, so a failure reproduces with FUZZ_SEED=<seed>. The runs share a
 * process, so one can depend on an earlier one (the YAML library once made
 * V8 abort only after an earlier YAML error): FUZZ_SEEDS=72,80 replays such
 * a sequence; FUZZ_TRACE=<file> logs each run, FUZZ_KEEP=1 keeps the files.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../packages/cli/src/main.js';
import { listCases } from './support/conformance.js';
import { prng, type Rng } from '../packages/core/test/support/prng.js';

/** FUZZ_SEEDS=a,b,c: replay just these runs, in this order. */
const SEEDS = process.env.FUZZ_SEEDS?.split(',').map(Number);
const ITERATIONS = SEEDS?.length ?? Number(process.env.FUZZ_ITERATIONS ?? 150);
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
      for (let i = r.int(10, 1200); i > 0; i--) v = r.chance(0.5) ? [v] : { kvlistValue: { values: [{ key: 'k', value: v }] } };
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

/** Keys that are not what they seem to a careless lookup, and other spellings of real keys. */
function otherKey(key: string, r: Rng): string {
  switch (r.int(0, 4)) {
    case 0:
      return r.pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype']);
    case 1:
      return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    case 2:
      return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    case 3:
      return key.toUpperCase();
    default:
      return '';
  }
}

/** Rename a random key of a JSON document (the text is re-serialized: "__proto__" stays an own key). */
function renameKey(text: string, r: Rng): string {
  const keys = [...text.matchAll(/"((?:[^"\\]|\\.)*)"\s*:/g)];
  if (keys.length === 0) return text;
  const m = r.pick(keys);
  return text.slice(0, m.index) + JSON.stringify(otherKey(JSON.parse(`"${m[1]}"`) as string, r)) + ':' + text.slice(m.index! + m[0].length);
}

/** Repeat a random key of a JSON object with another value (JSON.parse keeps the last, YAML refuses). */
function duplicateKey(text: string, r: Rng): string {
  const keys = [...text.matchAll(/[{,]\s*("(?:[^"\\]|\\.)*")\s*:/g)];
  if (keys.length === 0) return text;
  const m = r.pick(keys);
  const at = m.index! + 1;
  return `${text.slice(0, at)}${m[1]}: ${JSON.stringify(randomValue(r)) ?? 'null'}, ${text.slice(at)}`;
}

/** A value nested `depth` levels deep, as text (JSON.stringify would recurse over it). */
function deepText(r: Rng): string {
  const depth = r.pick([500, 1500, 20_000, 100_000]);
  return r.chance(0.5) ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"arrayValue": {"values": ['.repeat(depth)}{"stringValue": "x"}${']}}'.repeat(depth)}`;
}

/** Put a deeply nested value in place of a random value (after a random ':'). */
function deepen(text: string, r: Rng): string {
  const colons = [...text.matchAll(/:\s*/g)];
  if (colons.length === 0) return deepText(r);
  const m = r.pick(colons);
  const at = m.index! + m[0].length;
  // Replace up to the next ',' or '}' at this level, roughly: a scalar value, or the start of a structure (then the result is usually invalid, also fine).
  const end = text.slice(at).search(/[,}\]]/);
  return text.slice(0, at) + deepText(r) + text.slice(end < 0 ? text.length : at + end);
}

/** JSON as block-style YAML (strings JSON-quoted, which YAML reads the same). */
function toYaml(v: unknown, indent = ''): string {
  if (Array.isArray(v)) return v.length === 0 ? ' []' : v.map((x) => `\n${indent}-${toYaml(x, `${indent}  `).replace(/^\n\s*/, ' ')}`).join('');
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    return entries.length === 0 ? ' {}' : entries.map(([k, x]) => `\n${indent}${JSON.stringify(k)}:${toYaml(x, `${indent}  `)}`).join('');
  }
  return ` ${JSON.stringify(v)}`;
}

/** Mutations of YAML text: tabs, indentation, YAML-only syntax. */
function mutateYaml(text: string, r: Rng): string | Buffer {
  const lines = text.split('\n');
  const i = r.int(0, lines.length - 1);
  switch (r.int(0, 4)) {
    case 0:
      lines[i] = lines[i].replace(/^( +)/, (sp) => '\t'.repeat(Math.max(1, sp.length / 2)));
      break;
    case 1:
      lines[i] = ' '.repeat(r.int(1, 3)) + lines[i];
      break;
    case 2:
      lines.splice(i, 0, r.pick(['---', '...', '&a x', '*a', '? complex', '!!binary AAAA', '%YAML 1.1', 'x: *undefined_alias', '- [', 'k: {a: 1, a: 2}']));
      break;
    case 3:
      lines.splice(i, 1);
      break;
    default:
      return mutate(text, r);
  }
  return lines.join('\n');
}

/** A whole file of something else. */
function replacement(r: Rng): string | Buffer {
  switch (r.int(0, 3)) {
    case 0:
      return Buffer.from(Array.from({ length: r.int(1, 200) }, () => r.int(0, 255)));
    case 1:
      return r.pick(['', ' \n\t', '\uFEFF', 'null', '0', '"x"', 'true', '[]', '{}', '[[]]', '- 1\n- 2']);
    case 2:
      return Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x7b, 0x7d]);
    default:
      return '\u0000'.repeat(r.int(1, 10));
  }
}

/** One mutation of a file's text. */
function mutate(text: string, r: Rng): string | Buffer {
  switch (r.int(0, 11)) {
    case 7:
      return renameKey(text, r);
    case 8:
      return duplicateKey(text, r);
    case 9:
      return deepen(text, r);
    case 10:
      return replacement(r);
    case 11: {
      // Several mutations in a row.
      let t: string | Buffer = text;
      for (let n = r.int(2, 4); n > 0 && typeof t === 'string'; n--) t = mutate(t, r);
      return t;
    }
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
      const seed = SEEDS ? SEEDS[i] : BASE_SEED + i;
      const r = prng(seed);
      const c = r.pick(cases);
      const batch = r.pick(c.batches);
      const asYaml = r.chance(0.3);
      let policies: string | Buffer = readFileSync(c.policiesFile, 'utf8');
      if (asYaml) policies = toYaml(JSON.parse(policies)).trimStart() + '\n';
      let input: string | Buffer = readFileSync(batch.input, 'utf8');
      const target = r.int(0, 2); // 0: policies, 1: input, 2: both
      if (target !== 1) policies = asYaml ? mutateYaml(policies as string, r) : mutate(policies as string, r);
      if (target !== 0) input = mutate(input as string, r);
      const pf = path.join(dir, `p${i}${asYaml ? '.yaml' : path.extname(c.policiesFile)}`);
      const inf = path.join(dir, `i${i}.json`);
      const outf = path.join(dir, `o${i}.json`);
      writeFileSync(pf, policies);
      writeFileSync(inf, input);
      const argv = ['eval', '--policies', pf, '--input', inf, '--output', outf, '--stats', path.join(dir, `s${i}.json`), ...(r.chance(0.5) ? ['--signal', batch.signal] : [])];
      const context = `seed ${seed} (case ${c.name}, mutated ${['policies', 'input', 'both'][target]}${asYaml ? ', policies as YAML' : ''})`;
      if (process.env.FUZZ_TRACE)
        writeFileSync(process.env.FUZZ_TRACE, `${context} [heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB, at ${Math.round(performance.now())} ms]\n${argv.join(' ')}\n`, { flag: 'a' });
      const res = await runCli(argv);
      expect(res.stderr, context).not.toMatch(/^\s+at /m);
      expect(res.stderr, context).not.toContain('internal error');
      expect([0, 2], `${context}: ${res.stderr}`).toContain(res.code);
      if (res.code === 0) {
        expect(() => JSON.parse(readFileSync(outf, 'utf8')), context).not.toThrow();
        outcomes.ok++;
      } else {
        const lines = res.stderr
          .trimEnd()
          .split('\n')
          .filter((l) => !/ is invalid and inert: /.test(l));
        expect(lines.length, `${context}: ${res.stderr}`).toBeLessThanOrEqual(2);
        expect(lines[0], context).toMatch(/^otel-policy: /);
        outcomes.inputError++;
      }
    }
    if (process.env.FUZZ_TRACE) writeFileSync(process.env.FUZZ_TRACE, `outcomes ${JSON.stringify(outcomes)}\n`, { flag: 'a' });
    // Both outcomes occur, or the mutations are not exercising anything (a replay of a few seeds aside).
    if (!SEEDS) {
      expect(outcomes.ok).toBeGreaterThan(5);
      expect(outcomes.inputError).toBeGreaterThan(5);
    }
  });
});
