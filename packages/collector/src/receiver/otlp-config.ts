/** The `otlp` receiver's configuration (protocols grpc and http, admission). */
import { at, Checker, MiB, endpoint } from '../config/values.js';
import type { Endpoint } from '../config/values.js';
import type { SignalType } from '@otel-policy/proto';
import { tlsServerConfig, type TlsServerConfig } from './tls-server-config.js';
import { originProblem } from '@otel-policy/providers';

export interface GrpcReceiverConfig {
  endpoint: Endpoint;
  /** Largest request accepted, in bytes (`max_recv_msg_size_mib`, default 4 MiB). */
  maxRecvMsgSizeBytes: number;
  maxConcurrentStreams: number | undefined;
  tls: TlsServerConfig | undefined;
  /** `auth.authenticator`: the id of a bearertokenauth or basicauth extension. */
  authenticator: string | undefined;
}

export interface HttpReceiverConfig {
  endpoint: Endpoint;
  /** Largest request body, compressed and decompressed, in bytes (default 20 MiB). */
  maxRequestBodySize: number;
  paths: Record<SignalType, string>;
  /** `read_header_timeout`: time to receive a request's headers, ms (default 10 s). */
  readHeaderTimeoutMs: number;
  /** `read_timeout`: time to receive a whole request, headers and body, ms (default 60 s; 0: no limit). */
  readTimeoutMs: number;
  /** `idle_timeout`: how long an idle kept-alive connection stays open, ms (default 30 s). */
  idleTimeoutMs: number;
  tls: TlsServerConfig | undefined;
  /** `auth.authenticator`: the id of a bearertokenauth or basicauth extension. */
  authenticator: string | undefined;
  /** `cors`: web pages allowed to send from a browser; undefined (or no origins) when none is. */
  cors: CorsConfig | undefined;
}

/** The Collector's `cors` setting of an HTTP server. */
export interface CorsConfig {
  /** `allowed_origins`: origins, `*` standing for any run of characters (`https://*.example.com`), or `*` alone for every page. */
  allowedOrigins: string[];
  /** `allowed_headers`: request headers allowed besides Accept, Content-Type and X-Requested-With (`*`: any). */
  allowedHeaders: string[];
  /** `max_age`: how long a browser may keep a preflight's answer, seconds (undefined: the browser's default). */
  maxAgeSecs: number | undefined;
}

/**
 * `admission` (the otelarrow receiver's setting, on the otlp receiver): a
 * bound on the bytes of requests in flight, decompressed, shared by the
 * receiver's HTTP and gRPC protocols.
 */
export interface AdmissionConfig {
  /** `request_limit_mib`, in bytes (default 128 MiB). */
  requestLimitBytes: number;
}

export interface OtlpReceiverConfig {
  id: string;
  type: 'otlp';
  grpc: GrpcReceiverConfig | undefined;
  http: HttpReceiverConfig | undefined;
  admission: AdmissionConfig;
}

/** The keys of each protocol section: those read, and Collector settings this service does not support (rejected with their own message). */
const GRPC_KEYS: { known: readonly string[]; unsupported: readonly string[] } = {
  known: ['endpoint', 'max_recv_msg_size_mib', 'max_concurrent_streams', 'transport', 'tls', 'auth'],
  unsupported: ['keepalive', 'read_buffer_size', 'write_buffer_size', 'include_metadata'],
};
const HTTP_KEYS: { known: readonly string[]; unsupported: readonly string[] } = {
  known: ['endpoint', 'max_request_body_size', 'logs_url_path', 'traces_url_path', 'metrics_url_path', 'read_timeout', 'read_header_timeout', 'idle_timeout', 'tls', 'auth', 'cors'],
  unsupported: ['include_metadata', 'compression_algorithms', 'write_timeout', 'response_headers'],
};

/** `auth: { authenticator: <extension id> }` (checked against the extensions by the configuration). */
function authenticatorOf(c: Checker, v: unknown, p: string): string | undefined {
  if (v === undefined) return undefined;
  const o = c.object(v, p, ['authenticator'], ['request_params']);
  return o ? c.string(o.authenticator, at(p, 'authenticator'), { required: true }) : undefined;
}

/** `cors: { allowed_origins, allowed_headers, max_age }`; an origin is a scheme and host, with no path. */
function corsOf(c: Checker, v: unknown, p: string): CorsConfig | undefined {
  if (v === undefined || v === null) return undefined;
  const o = c.object(v, p, ['allowed_origins', 'allowed_headers', 'max_age']);
  if (!o) return undefined;
  const allowedOrigins = c.stringList(o.allowed_origins, at(p, 'allowed_origins'));
  allowedOrigins.forEach((origin, i) => {
    const problem = originProblem(origin);
    if (problem) c.error(at(at(p, 'allowed_origins'), i), problem);
  });
  const maxAge = o.max_age === undefined ? undefined : c.int(o.max_age, at(p, 'max_age'), 0, 0);
  return { allowedOrigins, allowedHeaders: c.stringList(o.allowed_headers, at(p, 'allowed_headers')), maxAgeSecs: maxAge };
}

export function otlpReceiver(c: Checker, v: unknown, p: string, id: string, configDir: string): OtlpReceiverConfig | undefined {
  const o = c.object(v, p, ['protocols', 'admission']);
  if (!o) return undefined;
  const ap = at(p, 'admission');
  const a = c.object(o.admission, ap, ['request_limit_mib'], ['waiting_limit_mib']) ?? {};
  const admission: AdmissionConfig = { requestLimitBytes: c.int(a.request_limit_mib, at(ap, 'request_limit_mib'), 128, 1) * MiB };
  const pp = at(p, 'protocols');
  const protocols = c.object(o.protocols, pp, ['grpc', 'http']);
  if (!protocols) return undefined;
  if (!('grpc' in protocols) && !('http' in protocols)) c.error(pp, 'must enable at least one of grpc, http');
  let grpc: GrpcReceiverConfig | undefined;
  if ('grpc' in protocols) {
    const gp = at(pp, 'grpc');
    const g = c.object(protocols.grpc, gp, GRPC_KEYS.known, GRPC_KEYS.unsupported);
    if (g) {
      c.oneOf(g.transport, at(gp, 'transport'), ['tcp'], 'tcp');
      grpc = {
        endpoint: endpoint(c, g.endpoint, at(gp, 'endpoint'), 'localhost:4317'),
        maxRecvMsgSizeBytes: c.int(g.max_recv_msg_size_mib, at(gp, 'max_recv_msg_size_mib'), 4, 1, 4096) * MiB,
        maxConcurrentStreams: g.max_concurrent_streams === undefined ? undefined : c.int(g.max_concurrent_streams, at(gp, 'max_concurrent_streams'), 0, 1),
        tls: tlsServerConfig(c, g.tls, at(gp, 'tls'), configDir),
        authenticator: authenticatorOf(c, g.auth, at(gp, 'auth')),
      };
      // grpc-js cannot raise its TLS floor (1.2, Node's default).
      if (grpc.tls?.minVersion === 'TLSv1.3')
        c.error(at(at(gp, 'tls'), 'min_version'), 'the gRPC receiver supports TLS 1.2 and 1.3 but cannot refuse 1.2; use "1.2" here, or the HTTP receiver for a 1.3 floor');
    }
  }
  let http: HttpReceiverConfig | undefined;
  if ('http' in protocols) {
    const hp = at(pp, 'http');
    const h = c.object(protocols.http, hp, HTTP_KEYS.known, HTTP_KEYS.unsupported);
    if (h) {
      const urlPath = (key: string, dflt: string) => {
        const s = c.string(h[key], at(hp, key)) ?? dflt;
        return s.startsWith('/') ? s : `/${s}`;
      };
      http = {
        endpoint: endpoint(c, h.endpoint, at(hp, 'endpoint'), 'localhost:4318'),
        maxRequestBodySize: c.int(h.max_request_body_size, at(hp, 'max_request_body_size'), 20 * MiB, 1),
        paths: {
          logs: urlPath('logs_url_path', '/v1/logs'),
          traces: urlPath('traces_url_path', '/v1/traces'),
          metrics: urlPath('metrics_url_path', '/v1/metrics'),
        },
        readHeaderTimeoutMs: c.duration(h.read_header_timeout, at(hp, 'read_header_timeout'), 10_000),
        readTimeoutMs: c.duration(h.read_timeout, at(hp, 'read_timeout'), 60_000),
        idleTimeoutMs: c.duration(h.idle_timeout, at(hp, 'idle_timeout'), 30_000),
        tls: tlsServerConfig(c, h.tls, at(hp, 'tls'), configDir),
        authenticator: authenticatorOf(c, h.auth, at(hp, 'auth')),
        cors: corsOf(c, h.cors, at(hp, 'cors')),
      };
      if (http.readHeaderTimeoutMs <= 0) c.error(at(hp, 'read_header_timeout'), 'must be greater than 0');
      else if (http.readTimeoutMs > 0 && http.readTimeoutMs < http.readHeaderTimeoutMs) c.error(at(hp, 'read_timeout'), 'must not be less than read_header_timeout (or 0 for no limit)');
    }
  }
  return { id, type: 'otlp', grpc, http, admission };
}
