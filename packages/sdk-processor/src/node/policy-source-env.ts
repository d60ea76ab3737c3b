/**
 * The zero-code path's policy source, from environment variables (the table
 * in the package README). Anything unusable is reported once on `diag` and
 * leaves the application unfiltered (fail-open) rather than crashing it.
 */
import { policyDiag } from '../diag-logger.js';
import { fileURLToPath } from 'node:url';
import { GrpcPolicyProvider, HttpPolicyProvider } from '@otel-policy/providers';
import type { PolicyConfig, PolicySource } from '../policy-source.js';
import type { WhileLoading } from '../loading-gate.js';

/** The variables read by {@link policyConfigFromEnv}. */
export const POLICY_ENV = {
  source: 'OTEL_POLICY_SOURCE',
  token: 'OTEL_POLICY_TOKEN',
  syncInterval: 'OTEL_POLICY_SYNC_INTERVAL',
  cache: 'OTEL_POLICY_CACHE',
  whileLoading: 'OTEL_POLICY_WHILE_LOADING',
  holdTimeout: 'OTEL_POLICY_HOLD_TIMEOUT',
} as const;

type Env = Record<string, string | undefined>;

const value = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v ? v : undefined;
};

/** A whole number >= min from `name`, or undefined (reported) when it is not one. */
function wholeNumber(env: Env, name: string, min: number, report: (m: string) => void): number | undefined {
  const v = value(env, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (Number.isInteger(n) && n >= min) return n;
  report(`${name}=${JSON.stringify(v)} is not a whole number >= ${min}; using the default`);
  return undefined;
}

/**
 * The policy source and options the environment describes, or undefined
 * (reported once) when `OTEL_POLICY_SOURCE` is unset or unusable.
 *
 * `OTEL_POLICY_SOURCE` is a policy file or directory, an `http://` or
 * `https://` sync URL (the full path, e.g. `…/v1/policy/sync`), or
 * `grpc://host:port` (a gRPC sync server, plaintext).
 */
export function policyConfigFromEnv(env: Env = process.env, report: (m: string) => void = (m) => policyDiag.warn(m)): PolicyConfig | undefined {
  const source = value(env, POLICY_ENV.source);
  if (source === undefined) {
    report(`${POLICY_ENV.source} is not set: telemetry is exported unfiltered`);
    return undefined;
  }
  const whileLoadingText = value(env, POLICY_ENV.whileLoading);
  let whileLoading: WhileLoading | undefined;
  if (whileLoadingText === 'hold' || whileLoadingText === 'pass' || whileLoadingText === 'drop') whileLoading = whileLoadingText;
  else if (whileLoadingText !== undefined) report(`${POLICY_ENV.whileLoading}=${JSON.stringify(whileLoadingText)} is not hold, pass or drop; using hold`);
  const options = { whileLoading, holdTimeoutMs: wholeNumber(env, POLICY_ENV.holdTimeout, 0, report) };
  let policies: PolicySource;
  if (/^file:\/\//i.test(source)) {
    try {
      policies = fileURLToPath(source);
    } catch (err) {
      report(`${POLICY_ENV.source}=${JSON.stringify(source)}: ${(err as Error).message}; telemetry is exported unfiltered`);
      return undefined;
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    const url = source.toLowerCase();
    const sync = {
      bearerToken: value(env, POLICY_ENV.token),
      pollIntervalSecs: wholeNumber(env, POLICY_ENV.syncInterval, 1, report),
      cachePath: value(env, POLICY_ENV.cache),
      clientMetadata: { serviceName: value(env, 'OTEL_SERVICE_NAME') },
    };
    try {
      if (url.startsWith('http://') || url.startsWith('https://')) policies = new HttpPolicyProvider({ ...sync, url: source });
      else if (url.startsWith('grpc://')) policies = new GrpcPolicyProvider({ ...sync, target: source.slice('grpc://'.length).replace(/\/+$/, '') });
      else {
        report(`${POLICY_ENV.source}=${JSON.stringify(source)}: unknown scheme (use a path, http://, https:// or grpc://); telemetry is exported unfiltered`);
        return undefined;
      }
    } catch (err) {
      report(`${POLICY_ENV.source}=${JSON.stringify(source)}: ${(err as Error).message}; telemetry is exported unfiltered`);
      return undefined;
    }
  } else {
    // A file or directory; one that is missing or invalid is reported by the file provider and picked up when it appears.
    policies = source;
  }
  return { policies, ...options };
}
