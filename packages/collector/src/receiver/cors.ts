/**
 * CORS for the OTLP/HTTP receiver (the Collector's `cors` setting), so that
 * web pages can export to it from a browser: a preflight from an allowed
 * origin is answered (before authentication: preflights carry no
 * credentials), and every answer to such a page says that it may read it.
 * As in the Collector, a preflight from another origin is answered without
 * the allow headers, which the browser then refuses to follow.
 */
import type http from 'node:http';
import { originAllowed } from '@otel-policy/providers';
import type { CorsConfig } from './otlp-config.js';

/** Always allowed, as the Collector's CORS handler allows them. */
const BASE_HEADERS = ['accept', 'content-type', 'x-requested-with'];

export class Cors {
  private readonly headers: Set<string>;
  private readonly anyHeader: boolean;

  constructor(private readonly config: CorsConfig) {
    this.headers = new Set([...BASE_HEADERS, ...config.allowedHeaders.map((h) => h.toLowerCase())]);
    this.anyHeader = config.allowedHeaders.includes('*');
  }

  /** Set the allow headers for an allowed page; answer its preflight. Returns true when the request was a preflight, answered here. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return false;
    const allowed = originAllowed(origin, this.config.allowedOrigins);
    if (allowed) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
    }
    const method = req.headers['access-control-request-method'];
    if (req.method !== 'OPTIONS' || method === undefined) return false;
    if (allowed && method.toUpperCase() === 'POST') {
      const requested = String(req.headers['access-control-request-headers'] ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== '');
      if (this.anyHeader || requested.every((h) => this.headers.has(h))) {
        res.setHeader('access-control-allow-methods', 'POST');
        if (requested.length > 0) res.setHeader('access-control-allow-headers', requested.join(', '));
        if (this.config.maxAgeSecs !== undefined) res.setHeader('access-control-max-age', String(this.config.maxAgeSecs));
      }
    }
    req.resume();
    res.writeHead(204).end();
    return true;
  }
}
