/**
 * @otel-policy/proto: the wire schemas of otel-policy in one place. The
 * vendored OpenTelemetry (OTLP) and Tero policy protos (`proto/`, Apache-2.0),
 * loaded at run time with protobufjs; the media types both protocols use; the
 * proto3 JSON key-case rule. Used by @otel-policy/providers (policy sync) and
 * @otel-policy/collector (OTLP).
 */
export { PROTO_DIR, MAX_MESSAGE_DEPTH, loadProtoRoot, raiseRecursionLimit } from './load.js';
export { otlpSchema, SIGNALS, type SignalType, type SignalSchema, type OtlpSchema } from './otlp-schema.js';
export { syncSchema, SYNC_METHOD_PATH, type SyncSchema } from './sync-schema.js';
export { JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE, mediaTypeOf } from './content-type.js';
export { snakeToCamel, camelKeys } from './key-case.js';
