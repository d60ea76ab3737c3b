/**
 * @otel-policy/core in a browser (the `browser` export condition): the same
 * API, without the YAML library (policy text is read as JSON; YAML text is
 * refused with a PolicyParseError that says so) and without the native re2
 * backend (which loads nothing there).
 */
export * from './api.js';
