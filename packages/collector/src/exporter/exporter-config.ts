/** The exporters' configuration: `otlphttp`, `otlp` (gRPC) and `debug`, with their queue, retry and TLS settings. */
import { SIGNALS, type SignalType } from '@otel-policy/proto';
import { at, Checker, describe } from '../config/values.js';

export interface QueueConfig {
  enabled: boolean;
  numConsumers: number;
  queueSize: number;
  /** What `queue_size` counts: requests (default) or items (records). */
  sizer: 'requests' | 'items';
  /** Wait for room instead of refusing when full. */
  blockOnOverflow: boolean;
  /** `storage`: the id of a file_storage extension that persists the queue. */
  storage: string | undefined;
}

export interface RetryConfig {
  enabled: boolean;
  initialIntervalMs: number;
  randomizationFactor: number;
  multiplier: number;
  maxIntervalMs: number;
  /** 0: retry until the export succeeds. */
  maxElapsedTimeMs: number;
}

export interface TlsClientConfig {
  insecure: boolean;
  insecureSkipVerify: boolean;
  caFile: string | undefined;
  certFile: string | undefined;
  keyFile: string | undefined;
  serverNameOverride: string | undefined;
}

export type Compression = 'gzip' | 'deflate' | 'none';

/** The settings both OTLP exporters share (the Collector's exporterhelper and client settings). */
interface OtlpExporterCommon {
  id: string;
  compression: Compression;
  headers: Record<string, string>;
  timeoutMs: number;
  tls: TlsClientConfig;
  queue: QueueConfig;
  retry: RetryConfig;
}

export interface OtlpHttpExporterConfig extends OtlpExporterCommon {
  type: 'otlphttp';
  /** Full URLs per signal (`<endpoint>/v1/<signal>` unless overridden). */
  urls: Partial<Record<SignalType, string>>;
  encoding: 'proto' | 'json';
}

export interface OtlpGrpcExporterConfig extends OtlpExporterCommon {
  type: 'otlp';
  /** `host:port`. */
  target: string;
  balancerName: 'pick_first' | 'round_robin' | undefined;
}

export interface DebugExporterConfig {
  id: string;
  type: 'debug';
  verbosity: 'basic' | 'normal' | 'detailed';
  samplingInitial: number;
  samplingThereafter: number;
  /** Through the service's logger (stderr, the default) or straight to stdout. */
  useInternalLogger: boolean;
}

export type ExporterConfig = OtlpHttpExporterConfig | OtlpGrpcExporterConfig | DebugExporterConfig;

function queueConfig(c: Checker, v: unknown, p: string): QueueConfig {
  const o = c.object(v, p, ['enabled', 'num_consumers', 'queue_size', 'sizer', 'block_on_overflow', 'storage'], ['batch', 'wait_for_result', 'blocking']) ?? {};
  return {
    enabled: c.bool(o.enabled, at(p, 'enabled'), true),
    numConsumers: c.int(o.num_consumers, at(p, 'num_consumers'), 10, 1, 1000),
    queueSize: c.int(o.queue_size, at(p, 'queue_size'), 1000, 1),
    sizer: c.oneOf(o.sizer, at(p, 'sizer'), ['requests', 'items'] as const, 'requests'),
    blockOnOverflow: c.bool(o.block_on_overflow, at(p, 'block_on_overflow'), false),
    storage: c.string(o.storage, at(p, 'storage'), { nonEmpty: true }),
  };
}

function retryConfig(c: Checker, v: unknown, p: string): RetryConfig {
  const o = c.object(v, p, ['enabled', 'initial_interval', 'randomization_factor', 'multiplier', 'max_interval', 'max_elapsed_time']) ?? {};
  const r: RetryConfig = {
    enabled: c.bool(o.enabled, at(p, 'enabled'), true),
    initialIntervalMs: c.duration(o.initial_interval, at(p, 'initial_interval'), 5000),
    randomizationFactor: c.number(o.randomization_factor, at(p, 'randomization_factor'), 0.5, 0, 1),
    multiplier: c.number(o.multiplier, at(p, 'multiplier'), 1.5, 1, 100),
    maxIntervalMs: c.duration(o.max_interval, at(p, 'max_interval'), 30_000),
    maxElapsedTimeMs: c.duration(o.max_elapsed_time, at(p, 'max_elapsed_time'), 300_000),
  };
  if (r.enabled && r.initialIntervalMs <= 0) c.error(at(p, 'initial_interval'), 'must be greater than 0 when retries are enabled');
  if (r.maxIntervalMs < r.initialIntervalMs) c.error(at(p, 'max_interval'), 'must not be less than initial_interval');
  return r;
}

function tlsConfig(c: Checker, v: unknown, p: string, configDir: string): TlsClientConfig {
  const o =
    c.object(
      v,
      p,
      ['insecure', 'insecure_skip_verify', 'ca_file', 'cert_file', 'key_file', 'server_name_override'],
      ['ca_pem', 'cert_pem', 'key_pem', 'min_version', 'max_version', 'reload_interval', 'include_system_ca_certs_pool'],
    ) ?? {};
  const file = (key: string) => c.file(o[key], at(p, key), configDir);
  const t: TlsClientConfig = {
    insecure: c.bool(o.insecure, at(p, 'insecure'), false),
    insecureSkipVerify: c.bool(o.insecure_skip_verify, at(p, 'insecure_skip_verify'), false),
    caFile: file('ca_file'),
    certFile: file('cert_file'),
    keyFile: file('key_file'),
    serverNameOverride: c.string(o.server_name_override, at(p, 'server_name_override')),
  };
  if ((t.certFile === undefined) !== (t.keyFile === undefined)) c.error(p, 'cert_file and key_file go together');
  return t;
}

const COMMON_EXPORTER_UNSUPPORTED = ['auth', 'batcher', 'read_buffer_size', 'write_buffer_size'];

export function exporter(c: Checker, v: unknown, p: string, id: string, type: string, configDir: string): ExporterConfig | undefined {
  if (type === 'debug') {
    const o = c.object(v, p, ['verbosity', 'sampling_initial', 'sampling_thereafter', 'use_internal_logger']);
    if (!o) return undefined;
    return {
      id,
      type: 'debug',
      verbosity: c.oneOf(o.verbosity, at(p, 'verbosity'), ['basic', 'normal', 'detailed'] as const, 'basic'),
      samplingInitial: c.int(o.sampling_initial, at(p, 'sampling_initial'), 2, 0),
      samplingThereafter: c.int(o.sampling_thereafter, at(p, 'sampling_thereafter'), 1, 0),
      useInternalLogger: c.bool(o.use_internal_logger, at(p, 'use_internal_logger'), true),
    };
  }
  if (type === 'otlphttp') {
    const o = c.object(
      v,
      p,
      ['endpoint', 'logs_endpoint', 'traces_endpoint', 'metrics_endpoint', 'encoding', 'compression', 'headers', 'timeout', 'tls', 'sending_queue', 'retry_on_failure'],
      [
        ...COMMON_EXPORTER_UNSUPPORTED,
        'max_idle_conns',
        'max_idle_conns_per_host',
        'max_conns_per_host',
        'idle_conn_timeout',
        'disable_keep_alives',
        'http2_read_idle_timeout',
        'http2_ping_timeout',
        'proxy_url',
        'cookies',
      ],
    );
    if (!o) return undefined;
    const url = (key: string): string | undefined => {
      const s = c.string(o[key], at(p, key), { nonEmpty: true });
      if (s !== undefined && !/^https?:\/\/[^/]/.test(s)) {
        c.error(at(p, key), `must be an http:// or https:// URL, got ${describe(s)}`);
        return undefined;
      }
      return s;
    };
    const base = url('endpoint');
    const urls: Partial<Record<SignalType, string>> = {};
    for (const s of SIGNALS) {
      const own = url(`${s}_endpoint`);
      urls[s] = own ?? (base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/${s}`);
      if (urls[s] === undefined) delete urls[s];
    }
    if (base === undefined && Object.keys(urls).length === 0) c.error(at(p, 'endpoint'), 'is required (or logs_endpoint, traces_endpoint, metrics_endpoint)');
    return {
      id,
      type: 'otlphttp',
      urls,
      encoding: c.oneOf(o.encoding, at(p, 'encoding'), ['proto', 'json'] as const, 'proto'),
      compression: compression(c, o.compression, at(p, 'compression')),
      headers: c.stringMap(o.headers, at(p, 'headers')),
      timeoutMs: c.duration(o.timeout, at(p, 'timeout'), 30_000),
      tls: tlsConfig(c, o.tls, at(p, 'tls'), configDir),
      queue: queueConfig(c, o.sending_queue, at(p, 'sending_queue')),
      retry: retryConfig(c, o.retry_on_failure, at(p, 'retry_on_failure')),
    };
  }
  // otlp: OTLP/gRPC
  const o = c.object(
    v,
    p,
    ['endpoint', 'compression', 'headers', 'timeout', 'tls', 'sending_queue', 'retry_on_failure', 'balancer_name'],
    [...COMMON_EXPORTER_UNSUPPORTED, 'keepalive', 'wait_for_ready', 'authority'],
  );
  if (!o) return undefined;
  const text = c.string(o.endpoint, at(p, 'endpoint'), { required: true }) ?? '';
  const m = /^(?:(https?):\/\/)?([^/]+?)\/?$/.exec(text);
  let target = m?.[2] ?? '';
  if (text && (!m || !/^(?:\[[^\]]+\]|[^:]+):\d{1,5}$/.test(target))) {
    // The Collector accepts a bare host for gRPC and picks the default port.
    if (m && /^[^:]+$/.test(target)) target = `${target}:4317`;
    else c.error(at(p, 'endpoint'), `must be "host:port" (optionally with http:// or https://), got ${describe(text)}`);
  }
  const tls = tlsConfig(c, o.tls, at(p, 'tls'), configDir);
  // As in the Collector: TLS unless tls.insecure, or an http:// endpoint.
  if (m?.[1] === 'http') tls.insecure = true;
  const balancer = o.balancer_name === undefined ? undefined : c.oneOf(o.balancer_name, at(p, 'balancer_name'), ['pick_first', 'round_robin'] as const, 'pick_first');
  return {
    id,
    type: 'otlp',
    target,
    compression: compression(c, o.compression, at(p, 'compression')),
    headers: c.stringMap(o.headers, at(p, 'headers')),
    timeoutMs: c.duration(o.timeout, at(p, 'timeout'), 5000),
    tls,
    queue: queueConfig(c, o.sending_queue, at(p, 'sending_queue')),
    retry: retryConfig(c, o.retry_on_failure, at(p, 'retry_on_failure')),
    balancerName: balancer,
  };
}

function compression(c: Checker, v: unknown, p: string): Compression {
  if (v === '') return 'none';
  return c.oneOf(v, p, ['gzip', 'deflate', 'none'] as const, 'gzip');
}
