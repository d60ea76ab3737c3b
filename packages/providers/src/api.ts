/**
 * What both entries of @otel-policy/providers export (index.ts on Node,
 * browser.ts in a browser): the sync protocol's messages, errors, client
 * metadata and encodings, and reading policies from a sync response.
 * Nothing here reaches a `node:` module, Buffer, protobufjs or the .proto
 * files.
 */
export { SyncError, clientMetadataOf, type ClientMetadataOptions, type SyncProviderOptions, type SyncResult, type SyncTimers } from './sync/sync-provider.js';
export { JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE } from '@otel-policy/proto';
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
export { encodingOf, type SyncEncoding } from './sync/encoding.js';
export { policyDocumentOf, policySetFromSyncResponse } from './sync/policy-from-wire.js';
