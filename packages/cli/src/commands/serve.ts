import { UsageError, flag, noPositional, requireFlag, type ParsedArgs } from '../args.js';
import { readFileSync } from 'node:fs';
import { checkPolicyPath, policyInputError } from '../input.js';

/** The options `serve-policies` takes. */
export const SERVE_FLAGS = new Set(['policies', 'http-port', 'grpc-port', 'host', 'token', 'sync-interval', 'max-body-bytes', 'token-file', 'tls-cert', 'tls-key', 'tls-client-ca', 'cors-origin']);

export const SERVE_USAGE = `otel-policy serve-policies --policies PATH [--http-port N] [--grpc-port N]
                          [--host HOST] [--token TOKEN | --token-file FILE]
                          [--sync-interval SECONDS] [--max-body-bytes N]
                          [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]
                          [--cors-origin ORIGIN ...]

Serve a policy file or directory (reloaded when it changes) to sync clients:
HTTP POST /v1/policy/sync (proto JSON or protobuf) and gRPC
tero.policy.v1.PolicyService/Sync. Prints HTTP_PORT=<n> and GRPC_PORT=<n> once
listening (port 0, the default, picks a free port; "off" disables one). GET
/stats shows the hits, misses and errors clients reported for the policies it
serves (reports for other policy IDs are only counted: unknown_policy_reports).
SIGTERM, SIGINT or POST /shutdown stops the server (GET /shutdown is 405): with
--token, the request carries the token; without, it must come from this
machine with the header "x-otel-policy-shutdown: 1"; a request with an Origin
header is refused, so no web page can. --token requires "authorization: Bearer
TOKEN" on every request, /stats and /shutdown included (checked before the body
is read or decoded); --host defaults to 127.0.0.1; --sync-interval is the
recommended sync interval sent to clients (default 60); --max-body-bytes is the
largest request accepted (default 4194304, 4 MiB; a larger one gets HTTP 413,
gRPC RESOURCE_EXHAUSTED). --token-file reads the token from a file (first
line), so it stays out of the process list.
--tls-cert and --tls-key (PEM) serve HTTPS and gRPC over TLS; --tls-client-ca
also requires clients to present a certificate signed by that CA (mutual TLS).
--cors-origin (repeatable) lets web pages of that origin sync from a browser
(https://shop.example.com; "*" stands for any run of characters, as in
https://*.example.com): their CORS preflight is answered and the sync answers
are readable by them. None by default.`;

/** The contents of the file a flag names; a file that cannot be read is a usage error (exit 2). */
function fileFlag(args: ParsedArgs, name: string): Buffer | undefined {
  const file = flag(args, name);
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read --${name} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message}`);
  }
}

/** --token or --token-file (not both). */
function tokenOf(args: ParsedArgs): string | undefined {
  const inline = flag(args, 'token');
  const file = fileFlag(args, 'token-file');
  if (inline !== undefined && file !== undefined) throw new UsageError('give --token or --token-file, not both');
  const token = inline ?? file?.toString('utf8').split(/\r?\n/)[0].trim();
  if (token === '') throw new UsageError('the token is empty');
  return token;
}

/** --tls-cert/--tls-key (together), --tls-client-ca. */
function tlsOf(args: ParsedArgs): { cert: Buffer; key: Buffer; clientCa?: Buffer } | undefined {
  const cert = fileFlag(args, 'tls-cert');
  const key = fileFlag(args, 'tls-key');
  const clientCa = fileFlag(args, 'tls-client-ca');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (cert === undefined || key === undefined) {
    if (clientCa !== undefined) throw new UsageError('--tls-client-ca needs --tls-cert and --tls-key');
    return undefined;
  }
  return { cert, key, ...(clientCa ? { clientCa } : {}) };
}

/** --cors-origin values: "*", or a scheme and host (and port), with no path: what a browser sends as Origin. */
function corsOriginsOf(args: ParsedArgs, originProblem: (entry: string) => string | undefined): string[] | undefined {
  const origins = args.flags.get('cors-origin');
  for (const o of origins ?? []) {
    const problem = originProblem(o);
    if (problem) throw new UsageError(`--cors-origin ${problem}`);
  }
  return origins;
}

function portFlag(args: ParsedArgs, name: string): number | false {
  const v = flag(args, name) ?? '0';
  if (v === 'off' || v === 'none') return false;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${name} must be a port number (0 for any free port) or "off"`);
  return n;
}

export async function runServe(args: ParsedArgs): Promise<number> {
  noPositional(args);
  const policies = requireFlag(args, 'policies');
  const httpPort = portFlag(args, 'http-port');
  const grpcPort = portFlag(args, 'grpc-port');
  const intervalFlag = flag(args, 'sync-interval');
  const syncIntervalSecs = intervalFlag === undefined ? undefined : Number(intervalFlag);
  if (syncIntervalSecs !== undefined && (!Number.isInteger(syncIntervalSecs) || syncIntervalSecs < 0)) throw new UsageError('--sync-interval must be a whole number of seconds');
  const maxBodyFlag = flag(args, 'max-body-bytes');
  const maxBodyBytes = maxBodyFlag === undefined ? undefined : Number(maxBodyFlag);
  if (maxBodyBytes !== undefined && (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1)) throw new UsageError('--max-body-bytes must be a whole number of bytes (at least 1)');
  const token = tokenOf(args);
  const tls = tlsOf(args);
  // Input errors first (exit 2): a missing path, a policy file that cannot be parsed.
  await checkPolicyPath(policies);
  const { PolicySyncServer, originProblem } = await import('@otel-policy/providers');
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const server = new PolicySyncServer({
    policies,
    host: flag(args, 'host'),
    httpPort,
    grpcPort,
    token,
    tls,
    syncIntervalSecs,
    maxBodyBytes,
    corsAllowedOrigins: corsOriginsOf(args, originProblem),
    onShutdownRequest: () => stopRequested(),
  });
  try {
    await server.start();
  } catch (err) {
    // A file of a directory that cannot be parsed is an input error too.
    const inputError = policyInputError(err);
    if (inputError) throw inputError;
    process.stderr.write(`otel-policy: cannot serve ${policies}: ${(err as Error).message}\n`);
    return 1;
  }
  const onSignal = () => stopRequested();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  let ports = '';
  if (server.httpPort !== undefined) ports += `HTTP_PORT=${server.httpPort}\n`;
  if (server.grpcPort !== undefined) ports += `GRPC_PORT=${server.grpcPort}\n`;
  process.stdout.write(ports);
  await stopped;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await server.stop();
  return 0;
}
