/**
 * The optional node `re2` backend: absent from a normal install (the loader
 * says so with undefined); given a module, it must agree with the default
 * backend through the engine's PatternSet.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NodeRe2Backend, PatternSet, Re2jsBackend, loadNodeRe2Backend, type Pattern } from '@otel-policy/core';

const PATTERNS: Pattern[] = [
  { kind: 'regex', value: '^GET /internal/\\w+/healthz$', ci: false },
  { kind: 'regex', value: 'timeout after \\d+ms', ci: false },
  { kind: 'regex', value: '[0-9]{3}', ci: false },
  { kind: 'regex', value: 'error', ci: true },
  { kind: 'regex', value: '^$', ci: false },
  { kind: 'contains', value: 'refused', ci: false },
];
const VALUES = ['GET /internal/api/healthz', 'rpc timeout after 250ms', 'ERROR 503', 'fine', 'connection refused', 'Error: x'];

function ids(set: PatternSet, v: string): number[] {
  const out = new Int32Array(PATTERNS.length);
  return Array.from(out.subarray(0, set.scan(v, out, 0))).sort((a, b) => a - b);
}

describe('node re2 backend', () => {
  it('the loader returns undefined when the package is not resolvable', () => {
    expect(loadNodeRe2Backend('file:///nonexistent/dir/index.js')).toBeUndefined();
  });

  it('the loader finds an installed package (resolved from the given module), without a static node:module import', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-re2-'));
    try {
      mkdirSync(path.join(dir, 'node_modules', 're2'), { recursive: true });
      writeFileSync(path.join(dir, 'node_modules', 're2', 'index.js'), 'module.exports = { Set: class { match() { return []; } } };');
      const backend = loadNodeRe2Backend(pathToFileURL(path.join(dir, 'index.js')).href);
      expect(backend).toBeInstanceOf(NodeRe2Backend);
      expect(readFileSync(new URL('../src/match/node-re2-backend.ts', import.meta.url), 'utf8')).not.toMatch(/from 'node:/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('agrees with the default backend when given an RE2.Set implementation', () => {
    // Use the real package when this machine has it, else a stand-in built on re2js with the same contract.
    const real = loadNodeRe2Backend();
    const backend =
      real ??
      new NodeRe2Backend({
        Set: class {
          private readonly sets: PatternSet[];
          constructor(patterns: readonly string[], flags = '') {
            this.sets = patterns.map((p) => new PatternSet([{ kind: 'regex', value: p, ci: flags.includes('i') }], new Re2jsBackend(), { noPrefilter: true }));
          }
          match(s: string): number[] {
            const out = new Int32Array(1);
            return this.sets.flatMap((set, i) => (set.scan(s, out, 0) > 0 ? [i] : []));
          }
        },
      });
    const a = new PatternSet(PATTERNS, new Re2jsBackend(), { noPrefilter: true });
    const b = new PatternSet(PATTERNS, backend, { noPrefilter: true });
    for (const v of VALUES) expect(ids(b, v)).toEqual(ids(a, v));
  });
});
