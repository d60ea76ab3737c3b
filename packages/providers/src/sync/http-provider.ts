/**
 * The HTTP sync provider of the Node entry: the shared HTTP exchange
 * (http-exchange.ts) with the schema codec (codec.ts: proto3 JSON or binary
 * protobuf, protobufjs) and the optional file cache (`cachePath`). The
 * browser entry has its own, JSON only (http-provider-browser.ts).
 */
import { decodeSyncResponse, encodeSyncRequest, type SyncEncoding } from './codec.js';
import { JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE } from '@otel-policy/proto';
import { type SyncRequestObject, type SyncResponseObject } from './messages.js';
import { exchangeOverHttp, type HttpExchangeOptions, type HttpSyncCodec } from './http-exchange.js';
import { SyncPolicyProvider } from './sync-provider-node.js';
import type { SyncProviderOptions } from './sync-options.js';

/** Options for an {@link HttpPolicyProvider}. */
export interface HttpProviderOptions extends SyncProviderOptions, HttpExchangeOptions {
  /** Request encoding (default JSON). Responses are decoded by their own Content-Type. */
  contentType?: typeof JSON_CONTENT_TYPE | typeof PROTOBUF_CONTENT_TYPE;
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
  private readonly codec: HttpSyncCodec;

  constructor(options: HttpProviderOptions) {
    super(options.url, options);
    this.options = options;
    this.codec = schemaCodec(options.contentType === PROTOBUF_CONTENT_TYPE ? 'protobuf' : 'json');
    // Fail early on a malformed URL.
    new URL(options.url);
  }

  protected send(request: SyncRequestObject, signal: AbortSignal): Promise<SyncResponseObject> {
    return exchangeOverHttp(this.options, this.codec, request, signal);
  }
}

/** Requests in `encoding`; answers in either encoding, through the schema (protobufjs). */
function schemaCodec(encoding: SyncEncoding): HttpSyncCodec {
  return {
    requestEncoding: encoding,
    responseEncodings: encoding === 'json' ? ['json', 'protobuf'] : ['protobuf', 'json'],
    encodeRequest: (request) => encodeSyncRequest(request, encoding),
    // A Buffer view of the bytes (no copy): what the decoders were always given.
    decodeResponse: (body, enc) => decodeSyncResponse(Buffer.from(body.buffer, body.byteOffset, body.byteLength), enc),
  };
}
