/** RPC status: gRPC codes, google.rpc.Status bodies and their RetryInfo. */
import { otlpSchema } from '@otel-policy/proto';
import type { Encoding, Obj } from './shape.js';

/** gRPC status codes OTLP uses. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * A google.rpc.Status (the body of OTLP/HTTP error responses; the
 * `grpc-status-details-bin` trailer of gRPC ones), with a RetryInfo detail
 * when a retry delay is given.
 */
export function encodeStatus(code: number, message: string, encoding: Encoding, retryDelaySecs?: number): Uint8Array {
  const { Status, RetryInfo } = otlpSchema();
  if (encoding === 'json') {
    const status: Obj = { code, message };
    if (retryDelaySecs !== undefined) status.details = [{ '@type': RETRY_INFO_TYPE, retryDelay: `${retryDelaySecs}s` }];
    return Buffer.from(JSON.stringify(status));
  }
  const details = retryDelaySecs === undefined ? [] : [{ typeUrl: RETRY_INFO_TYPE, value: RetryInfo.encode({ retryDelay: { seconds: retryDelaySecs } }).finish() }];
  return Status.encode({ code, message, details }).finish();
}

/** The retry delay (ms) of a binary google.rpc.Status's RetryInfo detail, if any. */
export function retryDelayOfStatus(bytes: Uint8Array): number | undefined {
  try {
    const { Status, RetryInfo } = otlpSchema();
    const status = Status.toObject(Status.decode(bytes), { longs: Number }) as { details?: { typeUrl: string; value: Uint8Array }[] };
    for (const d of status.details ?? []) {
      if (d.typeUrl !== RETRY_INFO_TYPE) continue;
      const info = RetryInfo.toObject(RetryInfo.decode(d.value), { longs: Number }) as { retryDelay?: { seconds?: number; nanos?: number } };
      if (info.retryDelay) return (info.retryDelay.seconds ?? 0) * 1000 + Math.floor((info.retryDelay.nanos ?? 0) / 1e6);
    }
  } catch {
    // Not a Status: no hint.
  }
  return undefined;
}

/** The message of an error response body (a google.rpc.Status in either encoding, else text), for logs. */
export function statusMessageOf(body: Uint8Array, contentType: string | undefined): string {
  if (body.length === 0) return '';
  try {
    if (contentType?.includes('protobuf')) {
      const { Status } = otlpSchema();
      const s = Status.toObject(Status.decode(body)) as { message?: string };
      if (s.message) return s.message;
    } else if (contentType?.includes('json')) {
      const s = JSON.parse(Buffer.from(body).toString('utf8')) as { message?: string };
      if (typeof s?.message === 'string') return s.message;
    }
  } catch {
    // fall through to text
  }
  return Buffer.from(body).toString('utf8').slice(0, 300);
}
