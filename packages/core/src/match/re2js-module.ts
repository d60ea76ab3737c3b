/**
 * The regex engine (re2js) is reached through this one holder rather than a
 * static import, so that a browser bundle can leave it out of its first
 * chunk: re2js is about two thirds of the span processor's browser bundle,
 * and most policy sets match literals only, which the core's own matchers
 * (hash lookup, Aho-Corasick) answer without it.
 *
 * On Node the entry (index.ts) imports re2js-eager.ts, which registers the
 * module before anything compiles. The browser entry registers a loader
 * (re2js-lazy.ts, a dynamic `import()` that bundlers split into its own
 * chunk); the compiler asks for it only when a policy set needs a regex
 * ({@link needsRegexEngine}) and only on its asynchronous path
 * (`compilePoliciesAsync`, `PolicyEngine.loadAsync`), which the policy
 * handles and the registry use for such sets.
 */
import type * as Re2jsNamespace from 're2js';

/** The re2js module's exports. */
export type Re2jsModule = typeof Re2jsNamespace;

let loaded: Re2jsModule | undefined;
let loader: (() => Promise<Re2jsModule>) | undefined;
let loading: Promise<Re2jsModule> | undefined;

/** Thrown when a regex is compiled before the regex engine is loaded (a browser entry's synchronous compile of a set with regexes). */
export class RegexEngineNotLoadedError extends Error {
  constructor() {
    super('the regex engine (re2js) is not loaded yet: compile policies that use regexes with compilePoliciesAsync or PolicyEngine.loadAsync, or await loadRegexEngine() first');
    this.name = 'RegexEngineNotLoadedError';
  }
}

/**
 * The regex engine could not be loaded (a browser's chunk request failed):
 * a set that needs it is not installed. The registry retries with back-off;
 * {@link loadRegexEngine} can be called again.
 */
export class RegexEngineLoadError extends Error {
  constructor(cause: unknown) {
    super(`cannot load the regex engine (re2js): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RegexEngineLoadError';
  }
}

/** @internal The Node entry's registration: re2js imported statically. */
export function useRe2js(mod: Re2jsModule): void {
  loaded = mod;
}

/** @internal The browser entry's registration: how to load re2js when a policy first needs it. */
export function useRe2jsLoader(load: () => Promise<Re2jsModule>): void {
  loader = load;
}

/** Whether regexes can be compiled synchronously now. */
export function regexEngineLoaded(): boolean {
  return loaded !== undefined;
}

/** The loaded re2js module. @throws RegexEngineNotLoadedError */
export function re2js(): Re2jsModule {
  if (loaded === undefined) throw new RegexEngineNotLoadedError();
  return loaded;
}

/**
 * Load the regex engine (re2js) if it is not loaded yet. Policies that use
 * regexes load it by themselves when they are loaded asynchronously; call
 * this first to compile them synchronously (e.g. `compilePolicies`) in a
 * browser. Resolves at once on Node. A failed load can be retried.
 */
export async function loadRegexEngine(): Promise<void> {
  if (loaded !== undefined) return;
  if (loader === undefined) throw new RegexEngineNotLoadedError();
  loading ??= loader().then(
    (mod) => (loaded = mod),
    (err: unknown) => {
      loading = undefined;
      throw err;
    },
  );
  await loading;
}
