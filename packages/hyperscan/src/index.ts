/**
 * @otel-policy/hyperscan: Hyperscan/Vectorscan as the policy engine's regex
 * backend, through an optional native addon. Without the addon (no system
 * library or compiler at install time) {@link hyperscanBackend} returns the
 * default backend and the engine says so once.
 */
export { hyperscanBackend, hyperscanAvailability, HyperscanBackend, type HyperscanBackendOptions, type LoadHyperscanOptions } from './backend.js';
export { translate, translateForHyperscan, Untranslatable, type Translation } from './translate.js';
export { loadNative, selfTest, DEFAULT_ADDON_PATH, type NativeModule, type NativeDatabase, type NativeLoad } from './native.js';
export { regexBackendNamed, REGEX_BACKEND_NAMES, type RegexBackendName } from './by-name.js';
