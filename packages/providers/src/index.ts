/**
 * @otel-policy/providers: where policy sets come from (files; sync servers
 * over HTTP and gRPC), handed to a PolicyRegistry.
 */
export { FilePolicyProvider, type FileProviderOptions } from './file-provider.js';
export { SyncPolicyProvider, SyncError, clientMetadataOf, type ClientMetadataOptions, type SyncProviderOptions, type SyncResult, type SyncTimers } from './sync/sync-provider.js';
export { HttpPolicyProvider, type HttpProviderOptions } from './sync/http-provider.js';
export { GrpcPolicyProvider, loadGrpc, type GrpcProviderOptions } from './sync/grpc-provider.js';
export { PolicySyncServer, type PolicySyncServerOptions, type ReceivedPolicyStats, type ReceivedStats } from './sync/server.js';
export {
  syncSchema,
  PROTO_DIR,
  SYNC_METHOD_PATH,
  JSON_CONTENT_TYPE,
  PROTOBUF_CONTENT_TYPE,
  SyncDecodeError,
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
  policyToProto,
  policySetToProto,
  policyDocumentOf,
  policySetFromSyncResponse,
  hashPolicies,
  type SyncSchema,
  type SyncEncoding,
  type SyncRequestObject,
  type SyncResponseObject,
  type PolicyObject,
  type PolicySyncStatusObject,
  type ClientMetadataObject,
  type KeyValueObject,
  type TransformStageStatusObject,
} from './sync/schema.js';
