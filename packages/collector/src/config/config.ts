/**
 * The configuration, in the OpenTelemetry Collector's own shape (the subset
 * this service implements): `receivers`, `processors`, `exporters`,
 * `extensions` and `service`. Everything is validated before anything
 * starts; unknown keys and invalid values are rejected with their path.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { REGEX_BACKEND_NAMES, type RegexBackendName } from '@otel-policy/hyperscan';
import { SIGNALS, type SignalType } from '@otel-policy/proto';
import { at, Checker, ConfigError, describe, isObj, parseEndpoint, type Endpoint, type Obj } from './values.js';

export { ConfigError, type Endpoint } from './values.js';

// ---------------------------------------------------------------------------
// Resolved configuration types

export interface GrpcReceiverConfig {
  endpoint: Endpoint;
  /** Largest request accepted, in bytes (`max_recv_msg_size_mib`, default 4 MiB). */
  maxRecvMsgSizeBytes: number;
  maxConcurrentStreams: number | undefined;
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

export type ProviderConfig =
  | { type: 'file'; id: string; path: string; pollIntervalSecs: number | undefined }
  | { type: 'http'; id: string; url: string; headers: Record<string, string>; pollIntervalSecs: number | undefined; contentType: 'json' | 'protobuf' | undefined }
  | { type: 'grpc'; id: string; target: string; secure: boolean; headers: Record<string, string>; pollIntervalSecs: number | undefined };

export interface ServiceMetadataConfig {
  serviceName?: string;
  serviceNamespace?: string;
  serviceInstanceId?: string;
  serviceVersion?: string;
}

export interface PolicyProcessorConfig {
  id: string;
  type: 'policy';
  providers: ProviderConfig[];
  serviceMetadata: ServiceMetadataConfig;
  /** The regex engine: `default` (node `re2` when installed, else re2js), `re2js` or `hyperscan`. */
  regexBackend: RegexBackendName;
}

export interface QueueConfig {
  enabled: boolean;
  numConsumers: number;
  queueSize: number;
  /** What `queue_size` counts: requests (default) or items (records). */
  sizer: 'requests' | 'items';
  /** Wait for room instead of refusing when full. */
  blockOnOverflow: boolean;
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

export interface OtlpHttpExporterConfig {
  id: string;
  type: 'otlphttp';
  /** Full URLs per signal (`<endpoint>/v1/<signal>` unless overridden). */
  urls: Partial<Record<SignalType, string>>;
  encoding: 'proto' | 'json';
  compression: Compression;
  headers: Record<string, string>;
  timeoutMs: number;
  tls: TlsClientConfig;
  queue: QueueConfig;
  retry: RetryConfig;
}

export interface OtlpGrpcExporterConfig {
  id: string;
  type: 'otlp';
  /** `host:port`. */
  target: string;
  compression: Compression;
  headers: Record<string, string>;
  timeoutMs: number;
  tls: TlsClientConfig;
  queue: QueueConfig;
  retry: RetryConfig;
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

export interface HealthCheckConfig {
  id: string;
  type: 'health_check';
  endpoint: Endpoint;
  path: string;
}

export interface PipelineConfig {
  id: string;
  signal: SignalType;
  receivers: string[];
  processors: string[];
  exporters: string[];
}

export interface TelemetryConfig {
  /** The Prometheus pull endpoint, or undefined when self-metrics are off (`level: none`). */
  metrics: Endpoint | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  logEncoding: 'console' | 'json';
  /** `service.telemetry.resource`: describes this service (sent as client metadata to sync servers). */
  resource: Record<string, string>;
}

export interface CollectorConfig {
  /** Directory relative paths resolve against (the config file's). */
  configDir: string;
  receivers: Map<string, OtlpReceiverConfig>;
  processors: Map<string, PolicyProcessorConfig>;
  exporters: Map<string, ExporterConfig>;
  extensions: Map<string, HealthCheckConfig>;
  service: {
    extensions: string[];
    pipelines: PipelineConfig[];
    telemetry: TelemetryConfig;
    /**
     * `shutdown_timeout`: how long a graceful shutdown may take, ms (default
     * 20 s, inside Kubernetes' 30 s grace period; 0: no limit). What the
     * sending queues still hold then is dropped and reported.
     */
    shutdownTimeoutMs: number;
  };
}

// ---------------------------------------------------------------------------

const COMPONENT_ID = /^([a-zA-Z][0-9a-zA-Z_]{0,62})(?:\/(.+))?$/;

const RECEIVER_TYPES = ['otlp'];
const PROCESSOR_TYPES = ['policy'];
const EXPORTER_TYPES = ['debug', 'otlphttp', 'otlp'];
const EXTENSION_TYPES = ['health_check'];

const MiB = 1024 * 1024;
/** Default `service.shutdown_timeout`: leaves room in Kubernetes' default 30 s termination grace period. */
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 20_000;

/** Options for reading a configuration. */
export interface LoadOptions {
  /** Environment for `${env:NAME}` references (default process.env). */
  env?: Record<string, string | undefined>;
}

/** Read, expand and validate a configuration file (YAML or JSON). Throws {@link ConfigError}. */
export function loadConfigFile(file: string, options: LoadOptions = {}): CollectorConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new ConfigError([`cannot read ${file}: ${why}`]);
  }
  return parseConfigText(text, path.dirname(path.resolve(file)), options);
}

/** Parse and validate configuration text; relative paths resolve against `configDir`. */
export function parseConfigText(text: string, configDir: string, options: LoadOptions = {}): CollectorConfig {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The first syntax error, with its line and column; later ones are usually its echoes.
    const first = doc.errors[0];
    const pos = first.linePos?.[0];
    throw new ConfigError([`cannot parse YAML: ${first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`], pos ? { line: pos.line, col: pos.col } : undefined);
  }
  const raw = expandEnv(doc.toJS({ maxAliasCount: 100 }), options.env ?? process.env);
  return parseConfig(raw, configDir);
}

/**
 * Expand `${env:NAME}`, `${env:NAME:-default}` and `${NAME}` in string
 * values (`$$` is a literal `$`); an unset variable expands to "" as in the
 * Collector. A value that is only a reference takes the variable's type
 * when it reads as a number or boolean.
 */
export function expandEnv(v: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof v === 'string') {
    if (!v.includes('$')) return v;
    const whole = /^\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/.exec(v);
    const expanded = v.replace(/\$\$|\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (m, name: string | undefined, dflt: string | undefined) => {
      if (m === '$$') return '$';
      const value = env[name!];
      return value === undefined || value === '' ? (dflt ?? '') : value;
    });
    if (whole) {
      if (/^-?\d+$/.test(expanded)) return Number(expanded);
      if (expanded === 'true' || expanded === 'false') return expanded === 'true';
    }
    return expanded;
  }
  if (Array.isArray(v)) return v.map((x) => expandEnv(x, env));
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) out[k] = expandEnv(x, env);
    return out;
  }
  return v;
}

/** Validate a parsed configuration document. Throws {@link ConfigError} listing every problem. */
export function parseConfig(raw: unknown, configDir: string): CollectorConfig {
  const c = new Checker();
  if (raw === null || raw === undefined) throw new ConfigError(['the configuration is empty']);
  const root = c.object(raw, '', ['receivers', 'processors', 'exporters', 'extensions', 'service'], ['connectors']);
  if (!root) throw new ConfigError(c.problems);

  const receivers = components(c, root.receivers, 'receivers', RECEIVER_TYPES, (v, p, id) => otlpReceiver(c, v, p, id));
  const processors = components(c, root.processors, 'processors', PROCESSOR_TYPES, (v, p, id) => policyProcessor(c, v, p, id, configDir));
  const exporters = components(c, root.exporters, 'exporters', EXPORTER_TYPES, (v, p, id, type) => exporter(c, v, p, id, type, configDir));
  const extensions = components(c, root.extensions, 'extensions', EXTENSION_TYPES, (v, p, id) => healthCheck(c, v, p, id));

  const service = c.object(root.service, 'service', ['extensions', 'pipelines', 'telemetry', 'shutdown_timeout']) ?? {};
  if (root.service === undefined || root.service === null) c.error('service', 'is required (with at least one pipeline)');
  const serviceExtensions = c.stringList(service.extensions, 'service.extensions');
  serviceExtensions.forEach((id, i) => {
    if (!extensions.has(id)) c.error(at('service.extensions', i), `references extension "${id}", which is not configured under extensions`);
  });

  const pipelines: PipelineConfig[] = [];
  const rawPipelines = c.object(service.pipelines, 'service.pipelines', Object.keys(isObj(service.pipelines) ? service.pipelines : {}));
  if (rawPipelines && Object.keys(rawPipelines).length === 0 && root.service !== undefined && root.service !== null) c.error('service.pipelines', 'must define at least one pipeline');
  for (const [id, body] of Object.entries(rawPipelines ?? {})) {
    const p = at('service.pipelines', id);
    const m = COMPONENT_ID.exec(id);
    const signal = m?.[1] as SignalType | undefined;
    if (!m || !SIGNALS.includes(signal!)) {
      c.error(p, `pipeline IDs are "logs", "traces" or "metrics", optionally followed by "/name"`);
      continue;
    }
    const b = c.object(body, p, ['receivers', 'processors', 'exporters']);
    if (!b) continue;
    const refs = (key: 'receivers' | 'processors' | 'exporters', known: Map<string, unknown>, required: boolean): string[] => {
      const list = c.stringList(b[key], at(p, key));
      if (required && list.length === 0 && !(b[key] !== undefined && !Array.isArray(b[key]))) c.error(at(p, key), 'must list at least one component');
      const seen = new Set<string>();
      list.forEach((ref, i) => {
        if (!known.has(ref)) c.error(at(at(p, key), i), `references ${key.slice(0, -1)} "${ref}", which is not configured under ${key}`);
        if (seen.has(ref)) c.error(at(at(p, key), i), `lists "${ref}" twice`);
        seen.add(ref);
      });
      return list;
    };
    pipelines.push({
      id,
      signal: signal!,
      receivers: refs('receivers', receivers, true),
      processors: refs('processors', processors, false),
      exporters: refs('exporters', exporters, true),
    });
  }

  // An otlphttp exporter needs a URL for every signal it is used for.
  for (const pl of pipelines) {
    for (const id of pl.exporters) {
      const e = exporters.get(id);
      if (e?.type === 'otlphttp' && e.urls[pl.signal] === undefined) {
        c.error(at('exporters', id), `needs "endpoint" or "${pl.signal}_endpoint" for pipeline "${pl.id}"`);
      }
    }
  }

  const telemetry = telemetryConfig(c, service.telemetry);
  const shutdownTimeoutMs = c.duration(service.shutdown_timeout, 'service.shutdown_timeout', DEFAULT_SHUTDOWN_TIMEOUT_MS);
  if (c.problems.length > 0) throw new ConfigError(c.problems);
  return { configDir, receivers, processors, exporters, extensions, service: { extensions: serviceExtensions, pipelines, telemetry, shutdownTimeoutMs } };
}

function components<T>(c: Checker, v: unknown, section: string, types: readonly string[], parse: (v: unknown, path: string, id: string, type: string) => T | undefined): Map<string, T> {
  const out = new Map<string, T>();
  if (v === undefined || v === null) return out;
  if (!isObj(v)) {
    c.error(section, `must be a mapping of component IDs to settings, got ${describe(v)}`);
    return out;
  }
  for (const [id, body] of Object.entries(v)) {
    const p = at(section, id);
    const m = COMPONENT_ID.exec(id);
    if (!m) {
      c.error(p, 'a component ID is a type, optionally followed by "/name"');
      continue;
    }
    if (!types.includes(m[1])) {
      c.error(p, `unknown ${section.slice(0, -1)} type "${m[1]}" (this service supports: ${types.join(', ')})`);
      continue;
    }
    const parsed = parse(body, p, id, m[1]);
    if (parsed !== undefined) out.set(id, parsed);
  }
  return out;
}

function endpoint(c: Checker, v: unknown, p: string, dflt: string): Endpoint {
  const text = c.string(v, p) ?? dflt;
  const e = parseEndpoint(text);
  if (!e) {
    c.error(p, `must be "host:port", got ${describe(text)}`);
    return { host: '127.0.0.1', port: 0 };
  }
  return e;
}

function otlpReceiver(c: Checker, v: unknown, p: string, id: string): OtlpReceiverConfig | undefined {
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
    const g = c.object(
      protocols.grpc,
      gp,
      ['endpoint', 'max_recv_msg_size_mib', 'max_concurrent_streams', 'transport'],
      ['tls', 'auth', 'keepalive', 'read_buffer_size', 'write_buffer_size', 'include_metadata'],
    );
    if (g) {
      c.oneOf(g.transport, at(gp, 'transport'), ['tcp'], 'tcp');
      grpc = {
        endpoint: endpoint(c, g.endpoint, at(gp, 'endpoint'), 'localhost:4317'),
        maxRecvMsgSizeBytes: c.int(g.max_recv_msg_size_mib, at(gp, 'max_recv_msg_size_mib'), 4, 1, 4096) * MiB,
        maxConcurrentStreams: g.max_concurrent_streams === undefined ? undefined : c.int(g.max_concurrent_streams, at(gp, 'max_concurrent_streams'), 0, 1),
      };
    }
  }
  let http: HttpReceiverConfig | undefined;
  if ('http' in protocols) {
    const hp = at(pp, 'http');
    const h = c.object(
      protocols.http,
      hp,
      ['endpoint', 'max_request_body_size', 'logs_url_path', 'traces_url_path', 'metrics_url_path', 'read_timeout', 'read_header_timeout', 'idle_timeout'],
      ['tls', 'auth', 'cors', 'include_metadata', 'compression_algorithms', 'write_timeout', 'response_headers'],
    );
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
      };
      if (http.readHeaderTimeoutMs <= 0) c.error(at(hp, 'read_header_timeout'), 'must be greater than 0');
      else if (http.readTimeoutMs > 0 && http.readTimeoutMs < http.readHeaderTimeoutMs) c.error(at(hp, 'read_timeout'), 'must not be less than read_header_timeout (or 0 for no limit)');
    }
  }
  return { id, type: 'otlp', grpc, http, admission };
}

function headerList(c: Checker, v: unknown, p: string): Record<string, string> {
  // The Tero processor's shape is a list of {name, value}; a mapping is accepted too.
  if (!Array.isArray(v)) return c.stringMap(v, p);
  const out: Record<string, string> = {};
  v.forEach((h, i) => {
    const hp = at(p, i);
    const o = c.object(h, hp, ['name', 'value']);
    if (!o) return;
    const name = c.string(o.name, at(hp, 'name'), { required: true });
    const value = c.string(o.value, at(hp, 'value')) ?? '';
    if (name !== undefined) out[name] = value;
  });
  return out;
}

function policyProcessor(c: Checker, v: unknown, p: string, id: string, configDir: string): PolicyProcessorConfig | undefined {
  const o = c.object(v, p, ['providers', 'service_metadata', 'regex_backend']);
  if (!o) return undefined;
  const providers: ProviderConfig[] = [];
  const pp = at(p, 'providers');
  if (o.providers !== undefined && o.providers !== null && !Array.isArray(o.providers)) c.error(pp, `must be a list of providers, got ${describe(o.providers)}`);
  const ids = new Set<string>();
  (Array.isArray(o.providers) ? o.providers : []).forEach((raw, i) => {
    const ip = at(pp, i);
    const type = isObj(raw) ? raw.type : undefined;
    const common = ['type', 'id', 'poll_interval_secs'];
    const allowed =
      type === 'file'
        ? [...common, 'path']
        : type === 'http'
          ? [...common, 'url', 'headers', 'content_type']
          : type === 'grpc'
            ? [...common, 'url', 'headers']
            : [...common, 'path', 'url', 'headers', 'content_type'];
    const q = c.object(raw, ip, allowed);
    if (!q) return;
    const t = c.oneOf(q.type, at(ip, 'type'), ['file', 'http', 'grpc'] as const, 'file');
    if (q.type === undefined) c.error(at(ip, 'type'), 'is required (file, http or grpc)');
    const pid = c.string(q.id, at(ip, 'id'), { required: true }) ?? `#${i}`;
    if (ids.has(pid)) c.error(at(ip, 'id'), `"${pid}" is used by another provider of this processor`);
    ids.add(pid);
    const poll = q.poll_interval_secs === undefined ? undefined : c.int(q.poll_interval_secs, at(ip, 'poll_interval_secs'), 0, 0);
    if (t === 'file') {
      const rel = c.string(q.path, at(ip, 'path'), { required: true });
      if (rel === undefined) return;
      const abs = path.resolve(configDir, rel);
      if (!existsSync(abs)) c.error(at(ip, 'path'), `no such file or directory: ${abs}`);
      providers.push({ type: 'file', id: pid, path: abs, pollIntervalSecs: poll });
    } else if (t === 'http') {
      const url = c.string(q.url, at(ip, 'url'), { required: true });
      if (url !== undefined && !/^https?:\/\/[^/]/.test(url)) c.error(at(ip, 'url'), `must be an http:// or https:// URL, got ${describe(url)}`);
      const ct = q.content_type === undefined ? undefined : c.oneOf(q.content_type, at(ip, 'content_type'), ['json', 'application/json', 'protobuf', 'proto', 'application/x-protobuf'], 'json');
      providers.push({
        type: 'http',
        id: pid,
        url: url ?? '',
        headers: headerList(c, q.headers, at(ip, 'headers')),
        pollIntervalSecs: poll,
        contentType: ct === undefined ? undefined : ct.includes('json') ? 'json' : 'protobuf',
      });
    } else {
      const url = c.string(q.url, at(ip, 'url'), { required: true }) ?? '';
      const m = /^(?:(https?):\/\/)?([^/]+?)\/?$/.exec(url);
      if (url && (!m || !/:\d+$/.test(m[2]))) c.error(at(ip, 'url'), `must be "host:port" (optionally with http:// or https://), got ${describe(url)}`);
      providers.push({ type: 'grpc', id: pid, target: m?.[2] ?? url, secure: m?.[1] === 'https', headers: headerList(c, q.headers, at(ip, 'headers')), pollIntervalSecs: poll });
    }
  });
  const sp = at(p, 'service_metadata');
  const sm = c.object(o.service_metadata, sp, ['service_name', 'service_namespace', 'service_instance_id', 'service_version']) ?? {};
  return {
    id,
    type: 'policy',
    providers,
    regexBackend: c.oneOf(o.regex_backend, at(p, 'regex_backend'), REGEX_BACKEND_NAMES, 'default'),
    serviceMetadata: {
      serviceName: c.string(sm.service_name, at(sp, 'service_name')),
      serviceNamespace: c.string(sm.service_namespace, at(sp, 'service_namespace')),
      serviceInstanceId: c.string(sm.service_instance_id, at(sp, 'service_instance_id')),
      serviceVersion: c.string(sm.service_version, at(sp, 'service_version')),
    },
  };
}

function queueConfig(c: Checker, v: unknown, p: string): QueueConfig {
  const o = c.object(v, p, ['enabled', 'num_consumers', 'queue_size', 'sizer', 'block_on_overflow'], ['storage', 'batch', 'wait_for_result', 'blocking']) ?? {};
  return {
    enabled: c.bool(o.enabled, at(p, 'enabled'), true),
    numConsumers: c.int(o.num_consumers, at(p, 'num_consumers'), 10, 1, 1000),
    queueSize: c.int(o.queue_size, at(p, 'queue_size'), 1000, 1),
    sizer: c.oneOf(o.sizer, at(p, 'sizer'), ['requests', 'items'] as const, 'requests'),
    blockOnOverflow: c.bool(o.block_on_overflow, at(p, 'block_on_overflow'), false),
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
  const file = (key: string) => {
    const s = c.string(o[key], at(p, key), { nonEmpty: true });
    if (s === undefined) return undefined;
    const abs = path.resolve(configDir, s);
    if (!existsSync(abs)) c.error(at(p, key), `no such file: ${abs}`);
    return abs;
  };
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

function exporter(c: Checker, v: unknown, p: string, id: string, type: string, configDir: string): ExporterConfig | undefined {
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

function healthCheck(c: Checker, v: unknown, p: string, id: string): HealthCheckConfig | undefined {
  const o = c.object(v, p, ['endpoint', 'path'], ['tls', 'auth', 'cors', 'check_collector_pipeline', 'response_body', 'http', 'grpc', 'use_v2']);
  if (!o) return undefined;
  const pathText = c.string(o.path, at(p, 'path')) ?? '/';
  return { id, type: 'health_check', endpoint: endpoint(c, o.endpoint, at(p, 'endpoint'), 'localhost:13133'), path: pathText.startsWith('/') ? pathText : `/${pathText}` };
}

function telemetryConfig(c: Checker, v: unknown): TelemetryConfig {
  const p = 'service.telemetry';
  const o = c.object(v, p, ['metrics', 'logs', 'resource'], ['traces']) ?? {};
  const mp = at(p, 'metrics');
  const m = c.object(o.metrics, mp, ['level', 'address', 'host', 'port', 'readers']) ?? {};
  const level = c.oneOf(m.level, at(mp, 'level'), ['none', 'basic', 'normal', 'detailed'] as const, 'normal');
  let metrics: Endpoint | undefined = { host: '127.0.0.1', port: 8888 };
  const given: string[] = [];
  if (m.address !== undefined) {
    given.push('address');
    metrics = endpoint(c, m.address, at(mp, 'address'), 'localhost:8888');
  }
  if (m.host !== undefined || m.port !== undefined) {
    given.push('host/port');
    metrics = hostPort(c, m, mp);
  }
  if (m.readers !== undefined) {
    given.push('readers');
    const rp = at(mp, 'readers');
    if (!Array.isArray(m.readers) || m.readers.length !== 1) c.error(rp, 'must list exactly one reader: pull.exporter.prometheus');
    else {
      const r0 = at(rp, 0);
      const pull = c.object(c.object(m.readers[0], r0, ['pull'], ['periodic'])?.pull, at(r0, 'pull'), ['exporter']);
      const exp = c.object(pull?.exporter, at(r0, 'pull.exporter'), ['prometheus'], ['otlp', 'console']);
      const prom = c.object(exp?.prometheus, at(r0, 'pull.exporter.prometheus'), ['host', 'port', 'without_type_suffix', 'without_units', 'without_scope_info'], ['with_resource_constant_labels']);
      if (prom) metrics = hostPort(c, prom, at(r0, 'pull.exporter.prometheus'));
    }
  }
  if (given.length > 1) c.error(mp, `give one of address, host/port or readers, not ${given.join(' and ')}`);
  if (level === 'none') metrics = undefined;
  const lp = at(p, 'logs');
  const l =
    c.object(o.logs, lp, ['level', 'encoding'], ['development', 'sampling', 'output_paths', 'error_output_paths', 'initial_fields', 'processors', 'disable_caller', 'disable_stacktrace']) ?? {};
  const logLevel = c.oneOf(typeof l.level === 'string' ? l.level.toLowerCase() : l.level, at(lp, 'level'), ['debug', 'info', 'warn', 'error'] as const, 'info');
  const resource: Record<string, string> = {};
  for (const [k, x] of Object.entries(c.stringMap(o.resource, at(p, 'resource')))) resource[k] = x;
  return { metrics, logLevel, logEncoding: c.oneOf(l.encoding, at(lp, 'encoding'), ['console', 'json'] as const, 'console'), resource };
}

function hostPort(c: Checker, o: Obj, p: string): Endpoint {
  let host = c.string(o.host, at(p, 'host')) ?? 'localhost';
  if (host === 'localhost') host = '127.0.0.1';
  const port = c.int(o.port, at(p, 'port'), 8888, 0, 65535);
  return { host: host.replace(/^\[|\]$/g, ''), port };
}
