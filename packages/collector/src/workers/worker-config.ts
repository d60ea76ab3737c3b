import type { CollectorConfig } from '../config/config.js';

/**
 * A worker's share of the service's configuration. The primary serves the
 * self-metrics endpoint and the health checks (one page and one answer for
 * the whole service), so workers do not; each worker's memory_limiter and
 * each receiver's bound on bytes in flight get 1/N of the limits, so that N
 * workers together stay within them.
 */
export function workerConfig(config: CollectorConfig, workers: number): CollectorConfig {
  const processors = new Map(config.processors);
  for (const [id, p] of processors) {
    if (p.type === 'memory_limiter') processors.set(id, { ...p, limitBytes: Math.floor(p.limitBytes / workers), spikeLimitBytes: Math.floor(p.spikeLimitBytes / workers) });
  }
  // Bytes in flight: each worker's receivers hold 1/N of the bound, so the pod holds what one process would.
  const receivers = new Map([...config.receivers].map(([id, r]) => [id, { ...r, admission: { ...r.admission, requestLimitBytes: Math.max(1, Math.floor(r.admission.requestLimitBytes / workers)) } }]));
  return {
    ...config,
    receivers,
    processors,
    service: {
      ...config.service,
      telemetry: { ...config.service.telemetry, metrics: undefined },
      extensions: config.service.extensions.filter((id) => config.extensions.get(id)?.type !== 'health_check'),
    },
  };
}
