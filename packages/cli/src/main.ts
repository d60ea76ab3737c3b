import { parseArgs, requireFlag, UsageError } from './args.js';
import { EVAL_USAGE, runEval } from './commands/eval.js';
import { SERVE_USAGE, runServe } from './commands/serve.js';
import { VALIDATE_USAGE, runValidate } from './commands/validate.js';

const COLLECTOR_USAGE = `otel-policy collector --config FILE [--dry-run]

Run the OTLP service of @otel-policy/collector until SIGTERM or SIGINT (then
drain and exit 0); --dry-run only validates the configuration.`;

const USAGE = `usage: otel-policy <command> [options]

commands:
  eval             evaluate an OTLP/JSON payload against policies
  validate         check policy files
  serve-policies   serve policies to sync clients (HTTP and gRPC)
  collector        run an OTLP service (configured like an OpenTelemetry
                   Collector) that applies policies on the wire

${EVAL_USAGE}

${SERVE_USAGE}

${VALIDATE_USAGE}

${COLLECTOR_USAGE}
`;

async function runCollector(argv: string[]): Promise<number> {
  const args = parseArgs(argv, new Set(['dry-run']));
  if (args.positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positional[0])}`);
  const config = requireFlag(args, 'config');
  // Loaded on demand: the other commands never pay for grpc-js and the OTLP schemas.
  const { runCollectorCommand } = await import('@otel-policy/collector');
  return runCollectorCommand({ config, dryRun: args.flags.has('dry-run') });
}

/** Run the CLI; resolves to the process exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'eval':
        return await runEval(parseArgs(rest));
      case 'serve-policies':
        return await runServe(parseArgs(rest));
      case 'validate':
        return await runValidate(parseArgs(rest));
      case 'collector':
        return await runCollector(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`otel-policy: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}
