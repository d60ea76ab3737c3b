/**
 * @otel-policy/core in a browser (the `browser` export condition): the same
 * API, without the YAML library (policy text is read as JSON; YAML text is
 * refused with a PolicyParseError that says so), without the native re2
 * backend (which loads nothing there), and with the regex engine (re2js)
 * loaded by a dynamic import the first time a policy set needs a regex, so
 * that bundlers split it into a chunk of its own: sets of literal matches
 * never fetch it. Such sets compile asynchronously (`loadAsync`,
 * `compilePoliciesAsync`, the policy handles of the SDK processors); see
 * match/re2js-module.ts.
 */
import './match/re2js-lazy.js';

export * from './api.js';
