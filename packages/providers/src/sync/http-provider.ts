import { decodeSyncResponse, encodeSyncRequest, encodingOf, type SyncEncoding } from './codec.js';
import { JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE } from '@otel-policy/proto';
import { type SyncRequestObject, type SyncResponseObject } from './messages.js';
import { SyncError, SyncPolicyProvider, type SyncProviderOptions } from './sync-provider.js';

/** Options for an {@link HttpPolicyProvider}. */
export interface HttpProviderOptions extends SyncProviderOptions {
  /** The full sync URL (by convention ending in `/v1/policy/sync`). */
  url: string;
  /** Extra request headers (e.g. `authorization`). */
  headers?: Record<string, string>;
  /** A bearer token, sent as `authorization: Bearer <token>`. */
  bearerToken?: string;
  /** Request encoding (default JSON). Responses are decoded by their own Content-Type. */
  contentType?: typeof JSON_CONTENT_TYPE | typeof PROTOBUF_CONTENT_TYPE;
  /** Largest response body accepted, in bytes (default 64 MiB). */
  maxResponseBytes?: number;
  /** The fetch function (default: the global one). */
  fetch?: typeof fetch;
}

/**
 * Policies from a sync server over HTTP: POSTs a `SyncRequest` (proto JSON
 * or binary protobuf) to the sync URL at the server's recommended interval,
 * delivers the answer's policy set when its hash changes, and reports the
 * counters (as deltas) and compile errors of its policies. Any failure
 * (network, timeout, non-2xx, undecodable body) keeps the last good set.
 * With `cachePath`, each new set is also kept on disk and read back
 * synchronously at the next start (`loadSync`), so that a restart while the
 * server is down begins with the last known good policies.
 */
export class HttpPolicyProvider extends SyncPolicyProvider {
  private readonly options: HttpProviderOptions;
  private readonly encoding: SyncEncoding;

  constructor(options: HttpProviderOptions) {
    super(options.url, options);
    this.options = options;
    this.encoding = options.contentType === PROTOBUF_CONTENT_TYPE ? 'protobuf' : 'json';
    // Fail early on a malformed URL.
    new URL(options.url);
  }

  protected async send(request: SyncRequestObject, signal: AbortSignal): Promise<SyncResponseObject> {
    const mime = this.encoding === 'json' ? JSON_CONTENT_TYPE : PROTOBUF_CONTENT_TYPE;
    const other = this.encoding === 'json' ? PROTOBUF_CONTENT_TYPE : JSON_CONTENT_TYPE;
    const headers: Record<string, string> = { 'content-type': mime, accept: `${mime}, ${other}` };
    if (this.options.bearerToken) headers.authorization = `Bearer ${this.options.bearerToken}`;
    Object.assign(headers, this.options.headers);
    const doFetch = this.options.fetch ?? fetch;
    let res: Response;
    try {
      res = await doFetch(this.options.url, { method: 'POST', headers, body: encodeSyncRequest(request, this.encoding), signal });
    } catch (err) {
      throw new SyncError(`sync request to ${this.options.url} failed: ${describe(err)}`, false, { cause: err });
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new SyncError(`sync request to ${this.options.url} failed: HTTP ${res.status}${text ? `: ${text.slice(0, 200).trim()}` : ''}`);
    }
    // From here on the server has accepted the report.
    let body: Uint8Array;
    try {
      body = await readBody(res, this.options.maxResponseBytes ?? 64 * 1024 * 1024);
    } catch (err) {
      throw new SyncError(`cannot read the sync response from ${this.options.url}: ${describe(err)}`, true, { cause: err });
    }
    const type = res.headers.get('content-type');
    // Decode by what the server says it sent; with no Content-Type, assume it mirrored the request.
    const encoding = type ? encodingOf(type) : this.encoding;
    if (encoding === undefined) throw new SyncError(`unsupported sync response Content-Type ${JSON.stringify(type)} from ${this.options.url}`, true);
    try {
      return decodeSyncResponse(body, encoding);
    } catch (err) {
      throw new SyncError(`bad sync response from ${this.options.url}: ${describe(err)}`, true, { cause: err });
    }
  }
}

async function readBody(res: Response, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) throw new Error(`response of ${declared} bytes exceeds ${max}`);
  if (!res.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`response exceeds ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message && !err.message.includes(cause.message) ? `${err.message} (${cause.message})` : err.message;
}
