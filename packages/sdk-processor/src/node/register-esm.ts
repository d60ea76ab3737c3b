/**
 * `node --import @otel-policy/sdk-processor/register app.mjs`: the register,
 * plus the loader hook that lets the instrumentations patch ES modules
 * (`@opentelemetry/instrumentation/hook.mjs`, which an ESM application would
 * otherwise have to add with `--experimental-loader`). The hook comes from
 * the application's own SDK installation.
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { sdkPackages } from './sdk-packages.js';
import './register.js';

try {
  const { resolvedFrom } = sdkPackages();
  register('@opentelemetry/instrumentation/hook.mjs', pathToFileURL(resolvedFrom).href);
} catch {
  // No sdk-node (already reported by the register) or no hook: CommonJS modules are still instrumented.
}
