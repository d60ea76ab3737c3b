/**
 * The regex engine loaded on first need, as the browser entry does it: the
 * core's modules are imported afresh (vi.resetModules) so that re2js is not
 * registered, then a counting loader stands in for the entry's dynamic
 * import.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compilePolicies as compileEagerly, parsePolicyDocument, parsePolicyText } from '../src/index.js';
import type { PolicySet } from '../src/index.js';
import { listCases } from '../../../test/support/conformance.js';

type Core = typeof import('../src/api.js');
type Holder = typeof import('../src/match/re2js-module.js');

let core: Core;
let holder: Holder;
let loads = 0;

beforeEach(async () => {
  vi.resetModules();
  holder = await import('../src/match/re2js-module.js');
  core = await import('../src/api.js');
  loads = 0;
  holder.useRe2jsLoader(async () => {
    loads++;
    return import('re2js');
  });
});

afterEach(() => vi.resetModules());

const set = (policies: unknown[]): PolicySet => parsePolicyDocument({ policies }, 'test');
const logPolicy = (id: string, match: unknown[], extra: Record<string, unknown> = {}) => ({ id, name: id, log: { match, keep: 'none', ...extra } });
const body = (cond: Record<string, unknown>, caseInsensitive = false) => ({ log_field: 'body', ...cond, case_insensitive: caseInsensitive });

/** A log record with a body, read through a minimal accessor. */
const bodyRecord = (text: string) => ({ body: text });
const bodyAccessor = {
  getString: (r: { body: string }) => r.body,
  getTyped: (r: { body: string }, _ref: unknown, out: { setString(s: string): void }) => out.setString(r.body),
  exists: () => true,
  elementCount: () => 1,
  remove: () => false,
  set: () => undefined,
  rename: () => undefined,
} as unknown as Parameters<Core['PolicyEngine']['prototype']['evaluateLog']>[1];

describe('regex engine loaded on first need', () => {
  it('literal-only sets compile synchronously and never load it', () => {
    const literals = set([
      logPolicy('exact', [body({ exact: 'GET /health' })]),
      logPolicy('prefix', [body({ starts_with: 'debug:' }, true)]),
      logPolicy('suffix', [body({ ends_with: '' })]),
      logPolicy('contains', [body({ contains: 'PING' }, true)]),
      logPolicy('empty-exact-ci', [body({ exact: '' }, true)]),
    ]);
    expect(holder.regexEngineLoaded()).toBe(false);
    const compiled = core.compilePolicies(literals);
    expect(compiled.errors.size).toBe(0);
    expect(compiled.log.policies).toHaveLength(5);
    expect(loads).toBe(0);
  });

  it.each([
    ['a regex condition', [logPolicy('r', [body({ regex: 'user=\\d+' })])]],
    ['a regex redaction', [logPolicy('t', [body({ contains: 'x' })], { keep: 'all', transform: { redact: [{ log_field: 'body', regex: '[a-z]+@[a-z.]+', replacement: '<email>' }] } })]],
    ['a case-insensitive literal beyond ASCII', [logPolicy('u', [body({ contains: 'straße' }, true)])]],
    ['a case-insensitive string equality beyond ASCII', [logPolicy('e', [{ log_attribute: 'city', equals: { string_value: 'Zürich' }, case_insensitive: true }])]],
    ['a regex in a span policy', [{ id: 's', name: 's', trace: { match: [{ trace_field: 'name', regex: '^GET ' }], keep: { percentage: 0 } } }]],
    ['a regex in a metric policy', [{ id: 'm', name: 'm', metric: { match: [{ metric_field: 'name', regex: '^http\\.' }], keep: false } }]],
  ])('a set with %s does not compile synchronously (loudly, not inertly) and loads it once asynchronously', async (_what, policies) => {
    const s = set(policies);
    expect(core.needsRegexEngine(s.policies)).toBe(true);
    expect(() => core.compilePolicies(s)).toThrow(core.RegexEngineNotLoadedError);
    const engine = new core.PolicyEngine();
    expect(engine.canLoadSync(s)).toBe(false);
    expect(() => engine.load(s)).toThrow(/not loaded yet/);
    const [a, b] = await Promise.all([engine.loadAsync(s), core.compilePoliciesAsync(s)]);
    expect(a.errors.size).toBe(0);
    expect(a.active).toBe(1);
    expect(b.errors.size).toBe(0);
    expect(loads).toBe(1);
    expect(holder.regexEngineLoaded()).toBe(true);
    expect(engine.canLoadSync(s)).toBe(true);
  });

  it('evaluates the same once loaded: a regex drop, after the lazy load', async () => {
    const engine = new core.PolicyEngine();
    await engine.loadAsync(set([logPolicy('r', [body({ regex: 'user=\\d+' })])]));
    expect(core.isDropped(engine.evaluateLog(bodyRecord('login user=42'), bodyAccessor))).toBe(true);
    expect(core.isDropped(engine.evaluateLog(bodyRecord('login user=x'), bodyAccessor))).toBe(false);
  });

  it('compiles in slices where there is no setImmediate (browsers)', async () => {
    vi.stubGlobal('setImmediate', undefined);
    try {
      const many = set(Array.from({ length: 200 }, (_, i) => logPolicy(`p${i}`, [body({ regex: `^job-${i} failed$` })])));
      const compiled = await core.compilePoliciesAsync(many, { sliceMs: 0 });
      expect(compiled.log.policies).toHaveLength(200);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('a failed load is reported with its cause, installs nothing, and can be retried', async () => {
    holder.useRe2jsLoader(() => Promise.reject(new Error('chunk not found')));
    const engine = new core.PolicyEngine();
    const s = set([logPolicy('r', [body({ regex: 'a+' })])]);
    await expect(engine.loadAsync(s)).rejects.toThrow('cannot load the regex engine (re2js): chunk not found');
    expect(engine.snapshot.log.compiled.policies).toHaveLength(0);
    holder.useRe2jsLoader(() => import('re2js'));
    await expect(engine.loadAsync(s)).resolves.toMatchObject({ active: 1 });
  });

  it('a registry installs a synchronously read set with regexes on the asynchronous path, and only then has its first set', async () => {
    const s = set([logPolicy('r', [body({ regex: 'secret' })])]);
    const engine = new core.PolicyEngine();
    const provider = { id: 'local', loadSync: () => s, start: async () => {}, shutdown: async () => {} };
    const registry = new core.PolicyRegistry(engine, [provider]);
    expect(registry.loadSync()).toBe(false);
    expect(registry.hasFirstSet).toBe(false);
    await registry.firstSet;
    expect(registry.hasFirstSet).toBe(true);
    expect(engine.snapshot.log.compiled.policies.map((p) => p.id)).toEqual(['r']);
    expect(loads).toBe(1);
  });

  it('a registry retries a set whose regex engine failed to load, reports the failure once, and keeps its first set awaited meanwhile', async () => {
    let failures = 1;
    holder.useRe2jsLoader(async () => {
      loads++;
      if (failures-- > 0) throw new Error('chunk request failed');
      return import('re2js');
    });
    const s = set([logPolicy('r', [body({ regex: 'secret' })]), logPolicy('lit', [body({ exact: 'x' })])]);
    const engine = new core.PolicyEngine();
    const errors: string[] = [];
    const provider = { id: 'remote', start: async (l: { onPolicies(set: PolicySet): void }) => l.onPolicies(s), shutdown: async () => {} };
    const registry = new core.PolicyRegistry(engine, [provider], {}, (_id, err) => errors.push(err.message));
    await registry.start();
    expect(errors).toEqual(['cannot load the regex engine (re2js): chunk request failed']);
    expect(registry.hasFirstSet).toBe(false);
    expect(engine.snapshot.log.compiled.policies).toHaveLength(0);
    // The retry, a second later, installs the whole set.
    await registry.firstSet;
    expect(engine.snapshot.log.compiled.policies.map((p) => p.id)).toEqual(['lit', 'r']);
    expect(loads).toBe(2);
    expect(errors).toHaveLength(1);
    await registry.shutdown();
  });

  it('conformance corpus: every set said not to need the regex engine compiles without it as it does with it', () => {
    let literalOnly = 0;
    let withRegex = 0;
    for (const c of listCases()) {
      const parsed = parsePolicyText(readFileSync(c.policiesFile, 'utf8'), { source: c.policiesFile });
      if (core.needsRegexEngine(parsed.policies)) {
        withRegex++;
      } else {
        literalOnly++;
        // Compiled without the regex engine, exactly as with it: no policy left out.
        const lazy = core.compilePolicies(parsed);
        const eager = compileEagerly(parsed);
        expect([c.name, [...lazy.errors]], c.name).toEqual([c.name, [...eager.errors]]);
        expect(lazy.log.policies.length + lazy.metric.policies.length + lazy.trace.policies.length).toBe(eager.log.policies.length + eager.metric.policies.length + eager.trace.policies.length);
      }
    }
    expect(loads).toBe(0);
    expect(literalOnly).toBeGreaterThan(20);
    expect(withRegex).toBeGreaterThan(5);
  });
});
