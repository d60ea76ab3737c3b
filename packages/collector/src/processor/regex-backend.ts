import { loadNodeRe2Backend, Re2jsBackend, type RegexBackend } from '@otel-policy/core';
import { hyperscanBackend } from '@otel-policy/hyperscan';
import type { RegexBackendName } from '../config/config.js';

/**
 * The regex backend a policy processor (or the CLI) asked for by name.
 * `hyperscan` never fails: where its addon is missing it is re2js carrying a
 * notice, which the engine logs once.
 */
export function regexBackendNamed(name: RegexBackendName): RegexBackend | undefined {
  switch (name) {
    case 'default':
      return loadNodeRe2Backend();
    case 're2js':
      return new Re2jsBackend();
    case 'hyperscan':
      return hyperscanBackend();
  }
}
