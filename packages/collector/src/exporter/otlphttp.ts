/**
 * The `otlphttp` exporter: POST `<endpoint>/v1/<signal>` (or the per-signal
 * endpoint) in protobuf or JSON, gzip by default, over kept-alive
 * connections. 429, 502, 503 and 504 are retried (honouring Retry-After);
 * other statuses are permanent, as in the Collector.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { OtlpHttpExporterConfig } from '../config/config.js';
import { decodeResponse } from '../otlp/request.js';
import { JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE } from '../otlp/shape.js';
import { statusMessageOf } from '../otlp/status.js';
import { NetworkExporter, type ExporterContext } from './exporter.js';
import { compressedBody, ExportError, type ExportItem } from './item.js';

export const USER_AGENT = 'otel-policy-collector/0.1.0';
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const MAX_RESPONSE = 4 * 1024 * 1024;

/** Retry-After as ms: delta-seconds or an HTTP date. */
export function parseRetryAfter(v: string | undefined, now = Date.now()): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export class OtlpHttpExporter extends NetworkExporter {
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(
    readonly config: OtlpHttpExporterConfig,
    ctx: ExporterContext,
  ) {
    super(config.id, config, ctx);
    const t = config.tls;
    this.agents = {
      http: new http.Agent({ keepAlive: true }),
      https: new https.Agent({
        keepAlive: true,
        ca: t.caFile ? readFileSync(t.caFile) : undefined,
        cert: t.certFile ? readFileSync(t.certFile) : undefined,
        key: t.keyFile ? readFileSync(t.keyFile) : undefined,
        rejectUnauthorized: !t.insecureSkipVerify,
        servername: t.serverNameOverride,
      }),
    };
  }

  protected async send(item: ExportItem, signal: AbortSignal): Promise<void> {
    const url = this.config.urls[item.signal];
    if (url === undefined) throw new ExportError(`no endpoint for ${item.signal}`, false);
    const body = await compressedBody(item, this.config.encoding, this.config.compression);
    const contentType = this.config.encoding === 'json' ? JSON_CONTENT_TYPE : PROTOBUF_CONTENT_TYPE;
    const headers: Record<string, string | number> = {
      ...this.config.headers,
      'content-type': contentType,
      'content-length': body.byteLength,
      'user-agent': USER_AGENT,
    };
    if (this.config.compression !== 'none') headers['content-encoding'] = this.config.compression;
    const secure = url.startsWith('https:');
    const res = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const req = (secure ? https : http).request(url, { method: 'POST', headers, agent: secure ? this.agents.https : this.agents.http, signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_RESPONSE) chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', (err) => reject(signal.aborted && signal.reason instanceof Error ? signal.reason : new ExportError(`${url}: ${err.message}`, true)));
      req.end(body);
    });
    const type = String(res.headers['content-type'] ?? '');
    if (res.status >= 200 && res.status < 300) {
      try {
        const partial = decodeResponse(item.signal, res.body, type.includes('json') ? 'json' : 'proto');
        if (partial.rejected > 0 || partial.errorMessage) this.log.warn('Partial success response', { message: partial.errorMessage, dropped_items: partial.rejected, signal: item.signal });
      } catch {
        // An unreadable success body is still a success.
      }
      return;
    }
    const message = `${url} answered HTTP ${res.status}${statusMessageOf(res.body, type) ? `: ${statusMessageOf(res.body, type)}` : ''}`;
    const retryable = RETRYABLE_STATUS.has(res.status);
    throw new ExportError(message, retryable, retryable ? parseRetryAfter(res.headers['retry-after'] as string | undefined) : undefined);
  }

  protected override async close(): Promise<void> {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
