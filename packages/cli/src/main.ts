/**
 * The `otel-policy` command. Errors a person can act on: a usage mistake
 * or unusable input is one line (the file, and for JSON/YAML the line and
 * column) and exit status 2; anything else is an internal error, one line
 * and exit status 1. Stack traces only with `--debug` or OTEL_POLICY_DEBUG=1.
 */
import { flag, InputError, parseArgs, requireFlag, UsageError, noPositional } from './args.js';
import { EVAL_FLAGS, EVAL_USAGE, runEval } from './commands/eval.js';
import { SERVE_FLAGS, SERVE_USAGE, runServe } from './commands/serve.js';
import { VALIDATE_USAGE, runValidate } from './commands/validate.js';

/** A summary: the full text is the collector package's own (`otel-policy collector --help`), loaded only when asked for. */
const COLLECTOR_SUMMARY = `otel-policy collector --config FILE [--workers N] [--dry-run]

Run the OTLP service of @otel-policy/collector (configured like an
OpenTelemetry Collector); "otel-policy collector --help" for the details.`;

const COMMON = `Exit status: 0 done, 1 a runtime or internal failure, 2 a usage or input
error. --debug (anywhere) or OTEL_POLICY_DEBUG=1 prints stack traces.`;

const USAGES: Record<string, string> = {
  eval: EVAL_USAGE,
  'serve-policies': SERVE_USAGE,
  validate: VALIDATE_USAGE,
  collector: COLLECTOR_SUMMARY,
};

const USAGE = `usage: otel-policy <command> [options]

commands:
  eval             evaluate an OTLP/JSON payload against policies
  validate         check policy files
  serve-policies   serve policies to sync clients (HTTP and gRPC)
  collector        run an OTLP service (configured like an OpenTelemetry
                   Collector) that applies policies on the wire

${Object.values(USAGES).join('\n\n')}

${COMMON}
`;

async function runCollector(argv: string[]): Promise<number> {
  const args = parseArgs(argv, new Set(['dry-run']), new Set(['config', 'workers']));
  noPositional(args);
  const config = requireFlag(args, 'config');
  const w = flag(args, 'workers');
  const workers = w === undefined ? undefined : Number(w);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1)) throw new UsageError('--workers must be a whole number of at least 1');
  // Loaded on demand: the other commands never pay for grpc-js and the OTLP schemas.
  const { runCollectorCommand } = await import('@otel-policy/collector');
  const code = await runCollectorCommand({ config, workers, dryRun: args.flags.has('dry-run') });
  // The service has stopped: a client that connected and never sent anything (nor finished its TLS handshake or
  // HTTP/2 preface) must not keep the process alive after it. Output still being written gets a second.
  setTimeout(() => process.exit(code), 1000).unref();
  return code;
}

/** Whether stack traces were asked for: `--debug` anywhere, or OTEL_POLICY_DEBUG=1/true. */
export function debugRequested(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes('--debug') || /^(1|true|yes)$/i.test(env.OTEL_POLICY_DEBUG ?? '');
}

/** One line for an unexpected error, or its stack when asked for. */
export function internalErrorText(err: unknown, debug: boolean): string {
  if (debug) return `otel-policy: internal error: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`;
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return `otel-policy: internal error: ${message} (run with --debug for details)\n`;
}

/** Run the CLI; resolves to the process exit status (never rejects). */
export async function main(argv: string[]): Promise<number> {
  const debug = debugRequested(argv);
  const [command, ...rest] = argv.filter((a) => a !== '--debug');
  try {
    // The internal-error path has no natural trigger left; tests reach it through this variable.
    if (process.env.OTEL_POLICY_TEST_INTERNAL_ERROR === '1') throw new Error('a test of the internal-error path (OTEL_POLICY_TEST_INTERNAL_ERROR=1)');
    if (command !== undefined && USAGES[command] && (rest.includes('--help') || rest.includes('-h'))) {
      const usage = command === 'collector' ? (await import('@otel-policy/collector')).COLLECTOR_USAGE : USAGES[command];
      process.stdout.write(`${usage}\n\n${COMMON}\n`);
      return 0;
    }
    switch (command) {
      case 'eval':
        return await runEval(parseArgs(rest, new Set(), EVAL_FLAGS));
      case 'serve-policies':
        return await runServe(parseArgs(rest, new Set(), SERVE_FLAGS));
      case 'validate':
        return await runValidate(parseArgs(rest, new Set(), new Set(['policies'])));
      case 'collector':
        return await runCollector(rest);
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      case undefined:
        throw new UsageError('no command given (eval, validate, serve-policies, collector)');
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)} (eval, validate, serve-policies, collector)`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      const help = command && USAGES[command] ? `otel-policy ${command} --help` : 'otel-policy --help';
      process.stderr.write(`otel-policy: ${err.message}\nrun "${help}" for usage\n`);
      return 2;
    }
    if (err instanceof InputError) {
      process.stderr.write(`otel-policy: ${err.message}\n`);
      if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
      return 2;
    }
    process.stderr.write(internalErrorText(err, debug));
    return 1;
  }
}
