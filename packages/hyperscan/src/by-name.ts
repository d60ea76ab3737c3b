import { Re2jsBackend, type RegexBackend } from '@otel-policy/core';
import { hyperscanBackend } from './backend.js';

/** The regex backends configuration files and command lines can name. */
export const REGEX_BACKEND_NAMES = ['default', 're2js', 'hyperscan'] as const;
export type RegexBackendName = (typeof REGEX_BACKEND_NAMES)[number];

/**
 * The regex backend for a name from configuration. `default` is whatever
 * `whenDefault` gives (undefined: the engine's own re2js); `hyperscan` never
 * fails: where its addon is missing it is re2js carrying a notice, which the
 * engine logs once.
 */
export function regexBackendNamed(name: RegexBackendName, whenDefault: () => RegexBackend | undefined = () => undefined): RegexBackend | undefined {
  switch (name) {
    case 'default':
      return whenDefault();
    case 're2js':
      return new Re2jsBackend();
    case 'hyperscan':
      return hyperscanBackend();
  }
}
