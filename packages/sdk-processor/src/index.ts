/**
 * @otel-policy/sdk-processor: Tero policies inside the OpenTelemetry JS SDK.
 * The Node entry: a policy file path is a policy source (watched); browsers
 * get browser.ts, the same API without files.
 */
import './file-source.js';

export * from './api.js';
