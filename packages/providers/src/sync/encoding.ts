/**
 * The sync protocol's two encodings and how a Content-Type names them.
 * Schema-free (no protobufjs), so that the browser entry can dispatch on a
 * response's Content-Type too; codec.ts re-exports both.
 */
import { JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE, mediaTypeOf } from '@otel-policy/proto';

/** `json`: proto3 JSON; `protobuf`: binary protobuf. */
export type SyncEncoding = 'json' | 'protobuf';

/** The encoding a Content-Type names (`application/json`, `application/x-protobuf`, `application/protobuf`), or undefined. */
export function encodingOf(contentType: string | null | undefined): SyncEncoding | undefined {
  const media = mediaTypeOf(contentType);
  if (media === 'application/json' || media.endsWith('+json')) return 'json';
  if (media === 'application/x-protobuf' || media === 'application/protobuf' || media === 'application/vnd.google.protobuf') return 'protobuf';
  return undefined;
}

/** The media type this package sends for an encoding. */
export function mediaTypeFor(encoding: SyncEncoding): string {
  return encoding === 'json' ? JSON_CONTENT_TYPE : PROTOBUF_CONTENT_TYPE;
}
