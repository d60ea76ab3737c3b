/** One request on its way to the exporters of a pipeline, and what an export failure says. */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Payload } from '../otlp/payload.js';
import type { Encoding } from '../otlp/shape.js';
import type { SignalType } from '@otel-policy/proto';
import type { Compression } from '../config/config.js';

const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);

/**
 * A processed payload handed to every exporter of a pipeline. The payload is
 * not modified after this point; encodings are computed once and shared by
 * exporters that need the same one.
 */
export interface ExportItem {
  signal: SignalType;
  payload: Payload;
  /** Records (log records, spans, data points) in `payload`. */
  records: number;
  encoded: Map<string, Uint8Array | Promise<Uint8Array>>;
  /** The file a persistent sending queue keeps it in, until it is exported or given up on. */
  stored?: string;
}

export function exportItem(payload: Payload): ExportItem {
  return { signal: payload.signal, payload, records: payload.records, encoded: new Map() };
}

/** The body in an encoding (cached on the item). */
export function encodedBody(item: ExportItem, encoding: Encoding): Uint8Array {
  let body = item.encoded.get(encoding) as Uint8Array | undefined;
  if (body === undefined) {
    body = item.payload.encode(encoding);
    item.encoded.set(encoding, body);
  }
  return body;
}

/** The body in an encoding, compressed (off the event loop; cached on the item). */
export function compressedBody(item: ExportItem, encoding: Encoding, compression: Compression): Promise<Uint8Array> | Uint8Array {
  if (compression === 'none') return encodedBody(item, encoding);
  const key = `${encoding}+${compression}`;
  let body = item.encoded.get(key);
  if (body === undefined) {
    const raw = encodedBody(item, encoding);
    body = compression === 'gzip' ? gzip(raw) : deflate(raw);
    item.encoded.set(key, body);
  }
  return body;
}

/** A failed export attempt. */
export class ExportError extends Error {
  override readonly name = 'ExportError';
  constructor(
    message: string,
    /** Worth retrying (network errors, 429/502/503/504, UNAVAILABLE...). */
    readonly retryable: boolean,
    /** The server's requested delay before retrying (Retry-After, RetryInfo), ms. */
    readonly throttleMs?: number,
  ) {
    super(message);
  }
}

/** An export given up on: after its retries, or at once for a permanent error. */
export class ExportFailure extends Error {
  override readonly name = 'ExportFailure';
  constructor(
    message: string,
    /** The downstream rejected the data itself (not worth retrying from the client either). */
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/** Record-count metric suffix per signal, as the Collector names them. */
export const RECORD_NAME: Record<SignalType, string> = { logs: 'log_records', traces: 'spans', metrics: 'metric_points' };
