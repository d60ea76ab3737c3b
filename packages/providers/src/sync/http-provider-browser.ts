/**
 * The HTTP sync provider of the browser entry: the same sync loop and HTTP
 * exchange as the Node `HttpPolicyProvider` (sync-provider.ts,
 * http-exchange.ts), speaking proto3 JSON without a schema (json-codec.ts),
 * so that a page's bundle holds neither protobufjs nor the .proto files; its
 * last-known-good cache, when asked for, is in `localStorage`.
 */
import type { JSON_CONTENT_TYPE } from '@otel-policy/proto';
import { exchangeOverHttp, type HttpExchangeOptions } from './http-exchange.js';
import { jsonCodec } from './json-codec.js';
import type { SyncRequestObject, SyncResponseObject } from './messages.js';
import type { SyncProviderOptions } from './sync-options.js';
import { SyncPolicyProvider } from './sync-provider.js';
import { WebStorageSyncCache } from './web-storage-cache.js';

/**
 * Options for the browser {@link HttpPolicyProvider}: those of the Node
 * entry's, less what needs Node. There is no `cachePath` (no file system; a
 * page starts with no policies, or with the ones it gives inline, until the
 * first sync answers), and requests are always proto3 JSON: a
 * `contentType` of `application/x-protobuf` (the Node entry's other
 * encoding) is ignored, since the server answers JSON requests in JSON.
 */
export interface HttpProviderOptions extends Omit<SyncProviderOptions, 'cachePath'>, HttpExchangeOptions {
  /** Request encoding: proto3 JSON, the only one here (any other value is ignored). */
  contentType?: typeof JSON_CONTENT_TYPE;
  /**
   * Keep the last policy set received in the page's `localStorage` under
   * this key (the browser's `cachePath`), and start with it when the page
   * loads again: its policies then apply from the first record, without
   * waiting for the server, and stay when the server cannot be reached.
   * Off by default. A corrupt or unreadable entry is reported once and
   * ignored; one that cannot be written (storage full or disabled) too.
   */
  cacheKey?: string;
}

/**
 * Policies from a sync server over HTTP, in a browser: POSTs a proto3 JSON
 * `SyncRequest` with the global `fetch` (or `options.fetch`) to the sync URL
 * at the server's recommended interval, delivers the answer's policy set
 * when its hash changes, and reports the counters (as deltas) and compile
 * errors of its policies. Any failure (network, timeout, non-2xx, a body
 * that is not a JSON SyncResponse, a binary protobuf answer) keeps the last
 * good set. A cross-origin sync URL needs the server to allow it (CORS).
 */
export class HttpPolicyProvider extends SyncPolicyProvider {
  private readonly options: HttpProviderOptions;

  /** @throws TypeError when `url` is not a URL (relative URLs are resolved against the page's). */
  constructor(options: HttpProviderOptions) {
    // A `cachePath` given anyway (plain JavaScript, or typed against the Node entry) does nothing: `cacheKey` is the browser's.
    super(options.url, options, options.cacheKey === undefined ? undefined : new WebStorageSyncCache(options.cacheKey));
    this.options = options;
    // Fail early on a malformed URL.
    new URL(options.url, pageUrl());
  }

  protected send(request: SyncRequestObject, signal: AbortSignal): Promise<SyncResponseObject> {
    return exchangeOverHttp(this.options, jsonCodec, request, signal);
  }
}

/** The page's (or worker's) own URL, against which fetch resolves a relative one; undefined outside a page. */
const pageUrl = (): string | undefined => (globalThis as { location?: { href?: string } }).location?.href;
