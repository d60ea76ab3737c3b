/** `otel-policy collector --config FILE`: run the service until SIGTERM or SIGINT, then drain and exit. */
import { ConfigError, parseConfigText, readConfigText } from './config/config.js';
import path from 'node:path';
import { Collector } from './service.js';
import { CollectorPrimary } from './workers/primary.js';
import { defaultWorkers } from './workers/default-workers.js';

export const COLLECTOR_USAGE = `otel-policy collector --config FILE [--workers N] [--dry-run]

Run an OTLP service configured like an OpenTelemetry Collector (receivers
otlp, with tls and auth; processors policy, memory_limiter; exporters
otlphttp, otlp, debug, with a sending queue persisted by file_storage;
extensions health_check, bearertokenauth, basicauth, file_storage;
service.pipelines and service.telemetry). The configuration is validated
first: any unknown key or invalid value is reported with its path
and the command exits 2 (--dry-run stops there). SIGTERM or SIGINT stops
accepting data, drains the sending queues (for at most service.shutdown_timeout,
default 20s; what is left is dropped and reported) and exits 0; a second signal
exits 1 at once, reporting what it dropped.

--workers N runs N worker processes sharing the ports (default: one per
core, or per CPU of the cgroup's quota as in a container with a CPU limit,
at most one per 256 MiB of memory; 1 runs a single process). The primary
process runs the policy providers, the self-metrics endpoint and the health
check for all of them, and replaces a worker that crashes. Rate limits are
per worker; memory_limiter limits and the receivers' bound on bytes in
flight are divided among the workers.`;

export interface CollectorCommandOptions {
  config: string;
  dryRun?: boolean;
  /** Worker processes (default: one per core or per CPU of the cgroup quota; 1 runs in this process). */
  workers?: number;
  /** Streams (tests); default process.stdout / process.stderr. */
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

export async function runCollectorCommand(options: CollectorCommandOptions): Promise<number> {
  const stderr = options.stderr ?? ((t: string) => process.stderr.write(t));
  let config;
  let text: string;
  const dir = path.dirname(path.resolve(options.config));
  try {
    text = readConfigText(options.config);
    config = parseConfigText(text, dir);
  } catch (err) {
    if (err instanceof ConfigError) {
      const where = err.position ? `${options.config}:${err.position.line}:${err.position.col}` : options.config;
      stderr(`otel-policy collector: ${where}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (options.dryRun) {
    (options.stdout ?? ((t: string) => process.stdout.write(t)))(`${options.config}: configuration is valid\n`);
    return 0;
  }
  const workers = options.workers ?? defaultWorkers();
  const collector = workers > 1 ? new CollectorPrimary(text, dir, config, workers) : new Collector(config, { stdout: options.stdout });
  let stop!: () => void;
  const stopRequested = new Promise<void>((resolve) => (stop = resolve));
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      collector.log.info('Received signal from OS', { signal: sig });
      stop();
    } else {
      collector.log.error('Second signal: exiting without draining', { signal: sig });
      collector.abandon();
      // Workers are told over IPC: give the message a moment to leave.
      if (collector instanceof CollectorPrimary) setTimeout(() => process.exit(1), 200);
      else process.exit(1);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    try {
      await collector.start();
    } catch (err) {
      stderr(`otel-policy collector: cannot start: ${(err as Error).message}\n`);
      return 1;
    }
    await stopRequested;
    await collector.shutdown();
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
