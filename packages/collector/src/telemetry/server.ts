/** Small HTTP endpoints: the Prometheus pull endpoint and the health_check extension. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatEndpoint, type Endpoint } from '../config/values.js';

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
