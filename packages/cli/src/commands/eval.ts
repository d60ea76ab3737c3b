import { randomUUID } from 'node:crypto';
import { PolicyEngine, PolicyRegistry, type EngineLogger, type RegexBackend, type Signal } from '@otel-policy/core';
import { applyToLogs, applyToMetrics, applyToTraces } from '@otel-policy/adapters';
import { flag, InputError, noPositional, requireFlag, UsageError, type ParsedArgs } from '../args.js';
import { checkPayloadShape, readPayloadFile, readPolicyFile, writeTextFile } from '../input.js';

/** The options `eval` takes. */
export const EVAL_FLAGS = new Set(['policies', 'server', 'grpc', 'input', 'output', 'stats', 'signal', 'token', 'content-type', 'timeout', 'regex-backend']);

export const EVAL_USAGE = `otel-policy eval (--policies FILE | --server URL | --grpc HOST:PORT) --input FILE
                [--output FILE] [--stats FILE] [--signal log|metric|trace]
                [--token TOKEN] [--content-type json|protobuf] [--timeout MS]
                [--regex-backend default|re2js|hyperscan]

Evaluate an OTLP/JSON payload against a policy file (JSON or YAML). Writes the
payload with dropped records removed and transforms applied (stdout when
--output is absent), and per-policy hit/miss counts to --stats.

With --server (a full HTTP sync URL, e.g. http://127.0.0.1:8080/v1/policy/sync)
or --grpc (a gRPC sync server), the policies come from a sync server instead:
one sync, the evaluation, then a final report of the hits, misses and compile
errors through sync. --token sends a bearer token; --content-type picks the
HTTP encoding (default json); --timeout bounds each exchange (default 10000).

--regex-backend picks the regex engine (default re2js; hyperscan needs the
@otel-policy/hyperscan addon, and says on stderr when it falls back).`;

/** Decide the signal from the payload when --signal is not given. */
export function signalOfPayload(data: Record<string, unknown>): Signal | undefined {
  if (data.resourceLogs !== undefined) return 'log';
  if (data.resourceMetrics !== undefined) return 'metric';
  if (data.resourceSpans !== undefined) return 'trace';
  return undefined;
}

/** Per-policy stats in the conformance stats-file format. */
export function statsFile(engine: PolicyEngine): { policies: { policy_id: string; hits: number; misses?: number }[] } {
  const policies = engine
    .stats()
    .filter((s) => s.hits > 0 || s.misses > 0)
    .map((s) => (s.misses > 0 ? { policy_id: s.policyId, hits: s.hits, misses: s.misses } : { policy_id: s.policyId, hits: s.hits }));
  return { policies };
}

/** Run one payload through an engine, in place. */
export function applyPayload(engine: PolicyEngine, signal: Signal, data: Record<string, unknown>): void {
  if (signal === 'log') applyToLogs(engine, data);
  else if (signal === 'metric') applyToMetrics(engine, data);
  else applyToTraces(engine, data);
}

/** The engine's reports (invalid policies, a regex backend falling back) on stderr, naming where the policies came from. */
const stderrLogger = (source: string): EngineLogger => {
  const write = (m: string) => process.stderr.write(`otel-policy: ${source}: ${m}\n`);
  return { error: write, warn: write };
};

export async function runEval(args: ParsedArgs): Promise<number> {
  noPositional(args);
  const sources = ['policies', 'server', 'grpc'].filter((f) => flag(args, f) !== undefined);
  if (sources.length === 0) throw new UsageError('--policies, --server or --grpc is required');
  if (sources.length > 1) throw new UsageError(`give only one of ${sources.map((s) => `--${s}`).join(', ')}`);
  const inputPath = requireFlag(args, 'input');
  const policiesPath = flag(args, 'policies');
  if (policiesPath === undefined) return runEvalSynced(args, inputPath);
  const set = await readPolicyFile(policiesPath);
  const data = await readPayloadFile(inputPath);
  const signal = signalOf(args, data, inputPath);
  checkPayloadShape(inputPath, data, signal);
  const engine = new PolicyEngine({ policies: set, logger: stderrLogger(policiesPath), regexBackend: await regexBackendOf(args) });
  applyPayload(engine, signal, data);
  await writeResults(args, engine, data);
  return 0;
}

/** --regex-backend: re2js unless told otherwise; the Hyperscan package loads only when the flag is given. */
async function regexBackendOf(args: ParsedArgs): Promise<RegexBackend | undefined> {
  const name = flag(args, 'regex-backend');
  if (name === undefined) return undefined;
  const { REGEX_BACKEND_NAMES, regexBackendNamed } = await import('@otel-policy/hyperscan');
  if (!(REGEX_BACKEND_NAMES as readonly string[]).includes(name)) throw new UsageError('--regex-backend must be default, re2js or hyperscan');
  return regexBackendNamed(name as (typeof REGEX_BACKEND_NAMES)[number]);
}

function signalOf(args: ParsedArgs, data: Record<string, unknown>, inputPath: string): Signal {
  const signalFlag = flag(args, 'signal');
  if (signalFlag !== undefined && !['log', 'metric', 'trace'].includes(signalFlag)) throw new UsageError(`--signal must be log, metric or trace`);
  // snake_case top-level keys pick the signal too, so that the shape check can say to write them in lowerCamelCase.
  const signal =
    (signalFlag as Signal | undefined) ?? signalOfPayload(data) ?? signalOfPayload({ resourceLogs: data.resource_logs, resourceMetrics: data.resource_metrics, resourceSpans: data.resource_spans });
  if (!signal) {
    const keys = Object.keys(data);
    const got =
      keys.length === 0
        ? 'an empty object'
        : `an object with ${keys
            .slice(0, 3)
            .map((k) => JSON.stringify(k))
            .join(', ')}${keys.length > 3 ? ', ...' : ''}`;
    throw new InputError(`${inputPath}: expected an OTLP/JSON payload with resourceLogs, resourceMetrics or resourceSpans, got ${got} (pass --signal for an empty payload)`);
  }
  return signal;
}

async function writeResults(args: ParsedArgs, engine: PolicyEngine, data: Record<string, unknown>): Promise<void> {
  const out = JSON.stringify(data, null, 2) + '\n';
  const outputPath = flag(args, 'output');
  if (outputPath) await writeTextFile(outputPath, out);
  else process.stdout.write(out);
  const statsPath = flag(args, 'stats');
  if (statsPath) await writeTextFile(statsPath, JSON.stringify(statsFile(engine), null, 2) + '\n');
}

/** `eval --server URL` / `eval --grpc HOST:PORT`: sync once, evaluate, report through sync. */
async function runEvalSynced(args: ParsedArgs, inputPath: string): Promise<number> {
  const data = await readPayloadFile(inputPath);
  const signal = signalOf(args, data, inputPath);
  checkPayloadShape(inputPath, data, signal);
  const contentType = flag(args, 'content-type') ?? 'json';
  if (contentType !== 'json' && contentType !== 'protobuf') throw new UsageError('--content-type must be json or protobuf');
  const timeoutMs = Number(flag(args, 'timeout') ?? 10_000);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError('--timeout must be a positive number of milliseconds');
  const common = {
    // One sync now, a final report at shutdown: no periodic syncing.
    pollIntervalSecs: 0,
    timeoutMs,
    shutdownTimeoutMs: timeoutMs,
    bearerToken: flag(args, 'token'),
    clientMetadata: { serviceName: 'otel-policy-cli', serviceInstanceId: randomUUID() },
  };
  const providers = await import('@otel-policy/providers');
  const server = flag(args, 'server');
  const grpcTarget = flag(args, 'grpc');
  let provider: InstanceType<typeof providers.HttpPolicyProvider> | InstanceType<typeof providers.GrpcPolicyProvider>;
  if (server !== undefined) {
    try {
      provider = new providers.HttpPolicyProvider({ ...common, url: server, contentType: contentType === 'json' ? 'application/json' : 'application/x-protobuf' });
    } catch {
      throw new UsageError(`--server must be a URL, got ${JSON.stringify(server)}`);
    }
  } else {
    provider = new providers.GrpcPolicyProvider({ ...common, target: grpcTarget! });
  }
  const errors: Error[] = [];
  const engine = new PolicyEngine({ logger: stderrLogger(server ?? grpcTarget!), regexBackend: await regexBackendOf(args) });
  const registry = new PolicyRegistry(engine, [provider], {}, (_id, err) => errors.push(err));
  await registry.start();
  if (provider.syncs === 0) {
    await registry.shutdown();
    process.stderr.write(`otel-policy: no policies: ${errors[0]?.message ?? 'the first sync failed'}\n`);
    return 1;
  }
  applyPayload(engine, signal, data);
  await writeResults(args, engine, data);
  errors.length = 0;
  await registry.shutdown();
  if (errors.length > 0) {
    process.stderr.write(`otel-policy: final report failed: ${errors[errors.length - 1].message}\n`);
    return 1;
  }
  return 0;
}
