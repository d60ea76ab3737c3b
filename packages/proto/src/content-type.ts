/** The media types of OTLP and of the policy sync protocol, and reading a Content-Type header. */

/** proto3 JSON. */
export const JSON_CONTENT_TYPE = 'application/json';
/** Binary protobuf. */
export const PROTOBUF_CONTENT_TYPE = 'application/x-protobuf';

/** The media type of a Content-Type header value: parameters dropped, trimmed, lower case ('' when absent). */
export function mediaTypeOf(contentType: string | null | undefined): string {
  return String(contentType ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
}
