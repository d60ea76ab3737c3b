import type { RegexBackend, RegexMatcher } from './regex-backend.js';

interface Re2SetLike {
  match(input: string): number[];
}
interface Re2Module {
  Set: new (patterns: readonly string[], flags?: string) => Re2SetLike;
}

class NodeRe2Matcher implements RegexMatcher {
  constructor(private readonly set: Re2SetLike) {}
  scan(value: string, out: Int32Array, offset: number): number {
    const ids = this.set.match(value);
    for (let i = 0; i < ids.length; i++) out[offset++] = ids[i];
    return offset;
  }
}

/**
 * The C++ RE2 engine through the optional native `re2` package (`RE2.Set`).
 * Not a dependency: install `re2` next to the app to make it available.
 */
export class NodeRe2Backend implements RegexBackend {
  readonly name = 'node-re2';
  constructor(private readonly re2: Re2Module) {}
  compile(patterns: readonly string[], caseInsensitive: boolean): RegexMatcher {
    return new NodeRe2Matcher(new this.re2.Set(patterns, caseInsensitive ? 'iu' : 'u'));
  }
}

type ModuleApi = { createRequire(from: string): (id: string) => unknown };

/**
 * Node's `module` API, reached without a static `node:module` import, so
 * that the core bundles for browsers (where there is no re2 to load and
 * this returns undefined).
 */
function nodeModule(): ModuleApi | undefined {
  const p = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process;
  return p?.getBuiltinModule?.('node:module') as ModuleApi | undefined;
}

/** The node `re2` backend when the package is installed (with `RE2.Set`), else undefined (and always in a browser). */
export function loadNodeRe2Backend(from: string = import.meta.url): NodeRe2Backend | undefined {
  try {
    const m = nodeModule();
    if (m === undefined) return undefined;
    const mod = m.createRequire(from)('re2') as Re2Module;
    return typeof mod?.Set === 'function' ? new NodeRe2Backend(mod) : undefined;
  } catch {
    return undefined;
  }
}
