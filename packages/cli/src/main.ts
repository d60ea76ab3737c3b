import { parseArgs, UsageError } from './args.js';
import { EVAL_USAGE, runEval } from './commands/eval.js';
import { SERVE_USAGE, runServe } from './commands/serve.js';
import { VALIDATE_USAGE, runValidate } from './commands/validate.js';

const USAGE = `usage: otel-policy <command> [options]

commands:
  eval             evaluate an OTLP/JSON payload against policies
  validate         check policy files
  serve-policies   serve policies to sync clients (HTTP and gRPC)

${EVAL_USAGE}

${SERVE_USAGE}

${VALIDATE_USAGE}
`;

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
