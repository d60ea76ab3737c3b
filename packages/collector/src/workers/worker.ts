/**
 * One worker of a service run with several (see primary.ts): a Collector
 * on the shared ports, running the configuration the primary started with
 * and fed its policies by the primary, answering the primary's requests for
 * self-metrics and sending its per-policy stats. It stops when the primary
 * asks, on its own SIGTERM/SIGINT, or when the primary is gone (its IPC
 * channel closes).
 */
import type { PolicySet } from '@otel-policy/core';
import { parseConfigText } from '../config/config.js';
import { createLogger } from '../logger.js';
import { PolicyProcessor } from '../processor/policy.js';
import { Collector } from '../service.js';
import { IpcPolicyProvider } from './ipc-policy-provider.js';
import { WORKER_COUNT_ENV, WORKER_INDEX_ENV, type FromWorker, type ToWorker } from './messages.js';
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
  const standIns = new Map<string, IpcPolicyProvider>();
  /** Sets that arrived before the Collector made its stand-ins. */
  const early = new Map<string, PolicySet | undefined>();
  /** The service, once configured (the message handler is attached before). */
  const live: { collector?: Collector } = {};
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  let configured!: (m: { text: string; dir: string }) => void;
  const config = new Promise<{ text: string; dir: string }>((resolve) => (configured = resolve));
  let signals = 0;
  const abandon = () => {
    live.collector?.abandon();
    process.exit(1);
  };
  process.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'config':
        configured(m);
        return;
      case 'policies': {
        const key = `${m.processor}\0${m.provider}`;
        const s = standIns.get(key);
        if (s) s.deliver(m.set);
        else early.set(key, m.set);
        return;
      }
      case 'collect':
        void send({ type: 'metrics', id: m.id, text: live.collector?.metrics.render() ?? '' });
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

  // Stopped before it had a configuration (the service is stopping): nothing to drain.
  const first = await Promise.race([config, stopped.then(() => undefined)]);
  if (first === undefined) return 0;
  const c = workerConfig(parseConfigText(first.text, first.dir), count);
  const t = c.service.telemetry;
  const running = new Collector(c, {
    logger: createLogger({ level: t.logLevel, encoding: t.logEncoding }, { worker: index }),
    createProvider: (p, pc) => {
      const key = `${pc.id}\0${p.id}`;
      const s = new IpcPolicyProvider(p.id);
      standIns.set(key, s);
      if (early.has(key)) s.deliver(early.get(key));
      return s;
    },
    worker: { index, count },
  });
  live.collector = running;
  const stats = () => Promise.all([...running.processors].flatMap(([id, p]) => (p instanceof PolicyProcessor ? [send({ type: 'stats', processor: id, reports: p.registry.statusReports() })] : [])));
  try {
    await running.start();
  } catch (err) {
    // Sent (written to the channel) before this process exits, so the primary reports why.
    await send({ type: 'failed', message: (err as Error).message });
    return 1;
  }
  void send({ type: 'ready' });
  const timer = setInterval(() => void stats(), STATS_INTERVAL_MS);
  await stopped;
  clearInterval(timer);
  await running.shutdown();
  // The final counts, for the primary's last sync report.
  await stats();
  return 0;
}
