/** The policy sync server's options, what it reports, and its bounds. */
import type { PolicySet } from '@otel-policy/core';
import { int64ToNumber } from './codec.js';

/** Options for a {@link PolicySyncServer}. */
export interface PolicySyncServerOptions {
  /** A policy file or directory (JSON/YAML, reloaded when it changes), or a policy set. */
  policies: string | PolicySet;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** HTTP port; 0 picks a free one (default 0); false disables HTTP. */
  httpPort?: number | false;
  /** gRPC port; 0 picks a free one; false (default) disables gRPC. */
  grpcPort?: number | false;
  /**
   * Serve HTTPS and gRPC over TLS with this certificate and key (PEM). With
   * `clientCa`, clients must present a certificate signed by it (mutual TLS).
   */
  tls?: { cert: string | Buffer; key: string | Buffer; clientCa?: string | Buffer };
  /**
   * Web pages allowed to sync from a browser (CORS), by origin
   * (`https://shop.example.com`): the server answers their preflight for
   * `/v1/policy/sync` and lets them read its answers. A `*` in an entry
   * stands for any run of characters (`https://*.example.com`, as the
   * Collector's `cors.allowed_origins`); `*` alone allows every page. None
   * by default: a page on another origin cannot sync.
   */
  corsAllowedOrigins?: readonly string[];
  /** Require `authorization: Bearer <token>` on every request (HTTP and gRPC). */
  token?: string;
  /** `recommended_sync_interval_seconds` sent to clients (default 60). */
  syncIntervalSecs?: number;
  /** Watch the policy path for changes (default true). */
  watch?: boolean;
  /** Polling interval for the policy path, seconds (default 5). */
  filePollIntervalSecs?: number;
  /**
   * Largest request accepted, bytes (default {@link DEFAULT_MAX_BODY_BYTES},
   * 4 MiB): a larger HTTP body is answered 413 (at once when its
   * Content-Length says so, without reading it), a larger gRPC message
   * RESOURCE_EXHAUSTED.
   */
  maxBodyBytes?: number;
  /**
   * Called on `POST /shutdown`; by default the server stops itself. With a
   * token, the request must carry it; without one, it must come from a
   * loopback address, carry `x-otel-policy-shutdown: 1` and no `Origin`
   * (which no web page can arrange: a page's cross-site request would need a
   * CORS preflight, and carries an Origin). A request with an `Origin` is
   * refused even with the token. Any other method than POST gets 405.
   */
  onShutdownRequest?: () => void;
  /** Where load problems go (default: stderr). */
  log?: (message: string) => void;
}

/** Counters and errors a server has received for one policy. */
export interface ReceivedPolicyStats {
  policy_id: string;
  hits: number;
  misses: number;
  /** Distinct errors reported, at most {@link MAX_ERRORS_PER_POLICY}, each at most {@link MAX_ERROR_BYTES} bytes of UTF-8. */
  errors: string[];
  /** Errors reported but not kept because the policy already had {@link MAX_ERRORS_PER_POLICY} (absent when none). */
  errors_dropped?: number;
  remove?: { hits: number; misses: number };
  redact?: { hits: number; misses: number };
  rename?: { hits: number; misses: number };
  add?: { hits: number; misses: number };
}

/** The GET /stats document. */
export interface ReceivedStats {
  policies: ReceivedPolicyStats[];
  sync_requests: number;
  hash: string;
  /** Policy statuses reported for IDs this server does not serve (counted, not kept). */
  unknown_policy_reports: number;
}

/** Default {@link PolicySyncServerOptions.maxBodyBytes}: 4 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
/**
 * Distinct errors kept per policy, and the longest kept (bytes of UTF-8; a
 * longer one is cut and ends in "…"): what clients report cannot grow the
 * server without bound.
 */
export const MAX_ERRORS_PER_POLICY = 100;
export const MAX_ERROR_BYTES = 1024;
/** How deeply a request's messages may nest, and the fewest values one may hold (more when many policies are served). */
export const MAX_REQUEST_DEPTH = 32;
export const MIN_REQUEST_VALUES = 100_000;

export const STAGES = ['remove', 'redact', 'rename', 'add'] as const;

export interface Accumulated {
  hits: number;
  misses: number;
  errors: Set<string>;
  errorsDropped: number;
  stages: Record<(typeof STAGES)[number], { hits: number; misses: number }>;
}

export const byteCompare = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** A reported counter: a non-negative number (a negative or malformed one counts 0). */
export function count(v: unknown): number {
  const n = int64ToNumber(v);
  return n > 0 ? n : 0;
}

/** `text` cut to at most `max` bytes of UTF-8 (on a character boundary), ending in "…" when cut. */
export function truncateUtf8(text: string, max: number): string {
  if (text.length <= max / 3 || Buffer.byteLength(text) <= max) return text;
  const bytes = Buffer.from(text).subarray(0, Math.max(0, max - 3));
  // A character cut in two decodes as U+FFFD at the end: drop it.
  return `${bytes.toString('utf8').replace(/\uFFFD+$/, '')}…`;
}
