/**
 * @otel-policy/providers in a browser (the `browser` export condition):
 * policies from a sync server over HTTP with the global `fetch`, in proto3
 * JSON. Left out, because they need Node or weigh on a page: the file
 * provider, gRPC, the sync server, binary protobuf and the schema
 * (protobufjs and the .proto files of @otel-policy/proto), and the
 * last-known-good cache on disk (`cachePath`).
 */
export * from './api.js';
export { SyncPolicyProvider, type SyncCacheStore } from './sync/sync-provider.js';
export { HttpPolicyProvider, type HttpProviderOptions } from './sync/http-provider-browser.js';
