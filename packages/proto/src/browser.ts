/**
 * @otel-policy/proto in a browser (the `browser` export condition): the media
 * types and the proto3 JSON key-case rule only. The schemas (`syncSchema`,
 * `otlpSchema`, `loadProtoRoot`, `PROTO_DIR`) are left out: they read the
 * vendored .proto files from disk (node:path, node:url) and need protobufjs,
 * which a page does not load. Clients that speak proto3 JSON without a schema
 * (the browser entry of @otel-policy/providers) need no more than this.
 */
export { JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE, mediaTypeOf } from './content-type.js';
export { snakeToCamel, camelKeys } from './key-case.js';
