/**
 * One sync exchange over HTTP with the global `fetch`: what the Node and the
 * browser `HttpPolicyProvider` share (headers, bearer token, status handling,
 * a bounded body read, dispatch on the response's Content-Type, the wording
 * of every failure). What differs between them is how messages are encoded
 * ({@link HttpSyncCodec}): on Node, proto3 JSON or binary protobuf through
 * the schema (codec.ts, protobufjs); in a browser, proto3 JSON without a
 * schema (json-codec.ts). Platform-neutral: no Buffer, no `node:` module.
 */
import { encodingOf, mediaTypeFor, type SyncEncoding } from './encoding.js';
import type { SyncRequestObject, SyncResponseObject } from './messages.js';
import { SyncError } from './sync-error.js';

/** How an HTTP sync client encodes its requests and decodes the answers. */
export interface HttpSyncCodec {
  /** The encoding of requests (their Content-Type). */
  readonly requestEncoding: SyncEncoding;
  /** The encodings {@link decodeResponse} reads, preferred first (the Accept header). */
  readonly responseEncodings: readonly SyncEncoding[];
  /** A request body. */
  encodeRequest(request: SyncRequestObject): Uint8Array | string;
  /** A response body in `encoding` (one of {@link responseEncodings}). @throws Error (preferably a SyncDecodeError) when it is not a SyncResponse. */
  decodeResponse(body: Uint8Array, encoding: SyncEncoding): SyncResponseObject;
}

/** Where and how an HTTP sync client reaches its server (options of both `HttpPolicyProvider`s). */
export interface HttpExchangeOptions {
  /** The full sync URL (by convention ending in `/v1/policy/sync`). */
  url: string;
  /** Extra request headers (e.g. `authorization`). */
  headers?: Record<string, string>;
  /** A bearer token, sent as `authorization: Bearer <token>`. */
  bearerToken?: string;
  /** Largest response body accepted, in bytes (default 64 MiB). */
  maxResponseBytes?: number;
  /** The fetch function (default: the global one). */
  fetch?: typeof fetch;
}

/**
 * POST `request` to the sync URL and decode the answer. Any failure rejects
 * with a {@link SyncError}; its `reportDelivered` is set once the server has
 * answered 2xx (it has counted the report) even if the answer is unusable.
 */
export async function exchangeOverHttp(options: HttpExchangeOptions, codec: HttpSyncCodec, request: SyncRequestObject, signal: AbortSignal): Promise<SyncResponseObject> {
  const headers: Record<string, string> = { 'content-type': mediaTypeFor(codec.requestEncoding), accept: codec.responseEncodings.map(mediaTypeFor).join(', ') };
  if (options.bearerToken) headers.authorization = `Bearer ${options.bearerToken}`;
  Object.assign(headers, options.headers);
  const doFetch = options.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(options.url, { method: 'POST', headers, body: codec.encodeRequest(request), signal });
  } catch (err) {
    throw new SyncError(`sync request to ${options.url} failed: ${describe(err)}`, false, { cause: err });
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    throw new SyncError(`sync request to ${options.url} failed: HTTP ${res.status}${text ? `: ${text.slice(0, 200).trim()}` : ''}`);
  }
  // From here on the server has accepted the report.
  let body: Uint8Array;
  try {
    body = await readBody(res, options.maxResponseBytes ?? 64 * 1024 * 1024);
  } catch (err) {
    throw new SyncError(`cannot read the sync response from ${options.url}: ${describe(err)}`, true, { cause: err });
  }
  const type = res.headers.get('content-type');
  // Decode by what the server says it sent; with no Content-Type, assume it mirrored the request.
  const encoding = type ? encodingOf(type) : codec.requestEncoding;
  if (encoding === undefined) throw new SyncError(`unsupported sync response Content-Type ${JSON.stringify(type)} from ${options.url}`, true);
  if (!codec.responseEncodings.includes(encoding)) {
    throw new SyncError(`unsupported sync response Content-Type ${JSON.stringify(type)} from ${options.url}: this client reads ${codec.responseEncodings.map(mediaTypeFor).join(', ')}`, true);
  }
  try {
    return codec.decodeResponse(body, encoding);
  } catch (err) {
    throw new SyncError(`bad sync response from ${options.url}: ${describe(err)}`, true, { cause: err });
  }
}

/** The body, refused past `max` bytes (by its Content-Length up front, else while reading). */
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
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

/** An error's message, with its cause's when that says more (fetch's "fetch failed" hides why). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message && !err.message.includes(cause.message) ? `${err.message} (${cause.message})` : err.message;
}
