/**
 * One worker of a service run with several (see primary.ts): a Collector
 * on the shared ports, fed its policies by the primary, answering the
 * primary's requests for self-metrics and sending its per-policy stats.
 * It stops when the primary asks, on its own SIGTERM/SIGINT, or when the
 * primary is gone (its IPC channel closes).
 */
import { loadConfigFile } from '../config/config.js';
import { createLogger } from '../logger.js';
import { Collector } from '../service.js';
import { PolicyProcessor } from '../processor/policy.js';
import { IpcPolicyProvider } from './ipc-policy-provider.js';
import { WORKER_CONFIG_ENV, WORKER_COUNT_ENV, WORKER_INDEX_ENV, type FromWorker, type ToWorker } from './messages.js';
import { workerConfig } from './worker-config.js';

const STATS_INTERVAL_MS = 1000;

function send(m: FromWorker): Promise<void> {
  if (!process.connected) return Promise.resolve();
  // A primary that is gone (EPIPE) is handled by 'disconnect'.
  return new Promise((resolve) => process.send!(m, undefined, {}, () => resolve()));
}

/** Run this process as a worker; resolves with its exit code. */
export async function runWorker(): Promise<number> {
  const index = Number(process.env[WORKER_INDEX_ENV]);
  const count = Number(process.env[WORKER_COUNT_ENV]);
  const config = workerConfig(loadConfigFile(process.env[WORKER_CONFIG_ENV]!), count);
  const standIns = new Map<string, IpcPolicyProvider>();
  const t = config.service.telemetry;
  const collector = new Collector(config, {
    logger: createLogger({ level: t.logLevel, encoding: t.logEncoding }, { worker: index }),
    createProvider: (p, pc) => {
      const s = new IpcPolicyProvider(p.id);
      standIns.set(`${pc.id}\0${p.id}`, s);
      return s;
    },
    // Worker 0 keeps the single-process queue directory, so a service moved to workers finds what it left.
    queueSuffix: index === 0 ? '' : `.worker-${index}`,
  });
  const log = collector.log;
  const stats = () => {
    for (const [id, p] of collector.processors) if (p instanceof PolicyProcessor) void send({ type: 'stats', processor: id, reports: p.registry.statusReports() });
  };
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  let signals = 0;
  const abandon = () => {
    collector.abandon();
    process.exit(1);
  };
  process.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'policies':
        standIns.get(`${m.processor}\0${m.provider}`)?.deliver(m.set);
        return;
      case 'collect':
        void send({ type: 'metrics', id: m.id, text: collector.metrics.render() });
        return;
      case 'shutdown':
        stop();
        return;
      case 'abandon':
        abandon();
    }
  });
  const onSignal = () => {
    if (++signals === 1) stop();
    else abandon();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // The primary is gone (killed): drain and go.
  process.on('disconnect', () => stop());
  process.on('error', () => stop());
  void send({ type: 'hello' });
  try {
    await collector.start();
  } catch (err) {
    // Sent (written to the channel) before this process exits, so the primary reports why.
    await send({ type: 'failed', message: (err as Error).message });
    return 1;
  }
  log.debug('worker ready', { worker: index });
  void send({ type: 'ready' });
  const timer = setInterval(stats, STATS_INTERVAL_MS);
  await stopped;
  clearInterval(timer);
  await collector.shutdown();
  // The final counts, for the primary's last sync report.
  await Promise.all([...collector.processors].flatMap(([id, p]) => (p instanceof PolicyProcessor ? [send({ type: 'stats', processor: id, reports: p.registry.statusReports() })] : [])));
  return 0;
}
