/** Small HTTP endpoints: the Prometheus pull endpoint and the health_check extension. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CollectorConfig } from '../config/config.js';
import { formatEndpoint, type Endpoint } from '../config/values.js';
import type { Logger } from '../logger.js';
import { PROMETHEUS_CONTENT_TYPE } from './metrics.js';

/** Serve GET handlers by path on an endpoint; resolves with the bound address. */
export async function serveEndpoint(
  what: string,
  endpoint: Endpoint,
  routes: Record<string, (res: http.ServerResponse) => void>,
): Promise<{ server: http.Server; address: AddressInfo; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    const path = (req.url ?? '/').split('?')[0];
    const route = routes[path];
    if (!route) {
      res.statusCode = 404;
      res.end('404 page not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('allow', 'GET, HEAD');
      res.end();
      return;
    }
    route(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${formatEndpoint(endpoint.host, endpoint.port)} for the ${what}: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`)),
    );
    server.listen(endpoint.port, endpoint.host || undefined, () => resolve());
  });
  return {
    server,
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Where the service's own endpoints listen, once started (`host:port`). */
export interface TelemetryEndpoints {
  metrics?: string;
  health?: Record<string, string>;
}

/** What the service's own endpoints answer. */
export interface TelemetrySources {
  /** The Prometheus page. */
  metrics(): string | Promise<string>;
  /** When the service became available, or undefined while it is not; `extra` is added to the health answer. */
  upSince(): Date | undefined;
  extra?: Record<string, unknown>;
}

/**
 * Start the self-metrics endpoint (`service.telemetry.metrics`) and the
 * health_check extensions listed in `service.extensions`, as the Collector
 * answers them. Fills `endpoints`; returns how to close what it started.
 */
export async function serveTelemetry(config: CollectorConfig, log: Logger, sources: TelemetrySources, endpoints: TelemetryEndpoints): Promise<(() => Promise<void>)[]> {
  const closers: (() => Promise<void>)[] = [];
  const t = config.service.telemetry;
  if (t.metrics) {
    const s = await serveEndpoint('self-metrics (service.telemetry.metrics)', t.metrics, {
      '/metrics': (res) => {
        void Promise.resolve(sources.metrics()).then((text) => {
          res.setHeader('content-type', PROMETHEUS_CONTENT_TYPE);
          res.end(text);
        });
      },
    });
    closers.push(s.close);
    endpoints.metrics = formatEndpoint(s.address.address, s.address.port);
    log.info('Serving metrics', { endpoint: endpoints.metrics, path: '/metrics' });
  }
  for (const id of config.service.extensions) {
    const h = config.extensions.get(id)!;
    if (h.type !== 'health_check') continue;
    const s = await serveEndpoint(`extension "${id}"`, h.endpoint, { [h.path]: (res) => answerHealth(res, sources.upSince(), sources.extra) });
    closers.push(s.close);
    (endpoints.health ??= {})[id] = formatEndpoint(s.address.address, s.address.port);
    log.info('Starting health_check extension', { endpoint: endpoints.health[id], path: h.path });
  }
  return closers;
}

/** The health_check extension's answer: 200 with the uptime while available, else 503. */
function answerHealth(res: http.ServerResponse, since: Date | undefined, extra: Record<string, unknown> = {}): void {
  res.statusCode = since ? 200 : 503;
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify(
      since
        ? { status: 'Server available', upSince: since.toISOString(), uptime: `${((Date.now() - since.getTime()) / 1000).toFixed(3)}s`, ...extra }
        : { status: 'Server not available', upSince: '0001-01-01T00:00:00Z', uptime: '' },
    ),
  );
}
