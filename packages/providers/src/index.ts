/**
 * @otel-policy/providers: where policy sets come from (files; sync servers
 * over HTTP and gRPC), handed to a PolicyRegistry. This is the Node entry;
 * browser.ts is what a browser bundle gets (the `browser` export condition).
 */
export * from './api.js';
export { FilePolicyProvider, type FileProviderOptions } from './file-provider.js';
export { SyncPolicyProvider } from './sync/sync-provider-node.js';
export { HttpPolicyProvider, type HttpProviderOptions } from './sync/http-provider.js';
export { GrpcPolicyProvider, loadGrpc, type GrpcProviderOptions } from './sync/grpc-provider.js';
export { originAllowed, originProblem } from './sync/server-http.js';
export { PolicySyncServer, type PolicySyncServerOptions, type ReceivedPolicyStats, type ReceivedStats } from './sync/server.js';
export { syncSchema, PROTO_DIR, SYNC_METHOD_PATH, type SyncSchema } from '@otel-policy/proto';
export {
  encodeSyncRequest,
  decodeSyncRequest,
  encodeSyncResponse,
  decodeSyncResponse,
  encodeSyncRequestBinary,
  encodeSyncRequestJson,
  decodeSyncRequestBinary,
  decodeSyncRequestJson,
  encodeSyncResponseBinary,
  encodeSyncResponseJson,
  decodeSyncResponseBinary,
  decodeSyncResponseJson,
} from './sync/codec.js';
export { policyToProto, policySetToProto, hashPolicies } from './sync/policy-to-wire.js';
