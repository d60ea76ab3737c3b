/**
 * @otel-policy/providers: where policy sets come from (files; sync servers
 * over HTTP and gRPC), handed to a PolicyRegistry.
 */
export { FilePolicyProvider, type FileProviderOptions } from './file-provider.js';
export { SyncPolicyProvider, SyncError, clientMetadataOf, type ClientMetadataOptions, type SyncProviderOptions, type SyncResult, type SyncTimers } from './sync/sync-provider.js';
export { HttpPolicyProvider, type HttpProviderOptions } from './sync/http-provider.js';
export { GrpcPolicyProvider, loadGrpc, type GrpcProviderOptions } from './sync/grpc-provider.js';
export { PolicySyncServer, type PolicySyncServerOptions, type ReceivedPolicyStats, type ReceivedStats } from './sync/server.js';
export { syncSchema, PROTO_DIR, SYNC_METHOD_PATH, JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE, type SyncSchema } from '@otel-policy/proto';
export {
  SyncDecodeError,
  type SyncRequestObject,
  type SyncResponseObject,
  type PolicyObject,
  type PolicySyncStatusObject,
  type ClientMetadataObject,
  type KeyValueObject,
  type TransformStageStatusObject,
} from './sync/messages.js';
export {
  encodingOf,
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
  type SyncEncoding,
} from './sync/codec.js';
export { policyToProto, policySetToProto, hashPolicies } from './sync/policy-to-wire.js';
export { policyDocumentOf, policySetFromSyncResponse } from './sync/policy-from-wire.js';
