/**
 * The configuration, in the OpenTelemetry Collector's own shape (the subset
 * this service implements): `receivers`, `processors`, `exporters`,
 * `extensions` and `service`. Everything is validated before anything
 * starts; unknown keys and invalid values are rejected with their path.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { SIGNALS, type SignalType } from '@otel-policy/proto';
import { at, Checker, ConfigError, describe, endpoint, isObj, type Endpoint, type Obj } from './values.js';
import { otlpReceiver, type OtlpReceiverConfig } from '../receiver/otlp-config.js';
import { policyProcessor, type PolicyProcessorConfig } from '../processor/policy-config.js';
import { memoryLimiter, type MemoryLimiterConfig } from '../processor/memory-limiter-config.js';
import { exporter, type ExporterConfig } from '../exporter/exporter-config.js';
import { fileStorage, type FileStorageConfig } from '../extension/file-storage-config.js';
import { AUTH_EXTENSION_TYPES, basicAuth, bearerTokenAuth, type AuthenticatorConfig } from '../extension/auth-config.js';

export { ConfigError, type Endpoint } from './values.js';
export type { GrpcReceiverConfig, HttpReceiverConfig, AdmissionConfig, OtlpReceiverConfig } from '../receiver/otlp-config.js';
export type { AuthenticatorConfig, BearerTokenAuthConfig, BasicAuthConfig } from '../extension/auth-config.js';
export type { TlsServerConfig } from '../receiver/tls-server-config.js';
export type { FileStorageConfig } from '../extension/file-storage-config.js';
export type { ProviderConfig, ServiceMetadataConfig, PolicyProcessorConfig } from '../processor/policy-config.js';
export type { MemoryLimiterConfig } from '../processor/memory-limiter-config.js';
export type { QueueConfig, RetryConfig, TlsClientConfig, Compression, OtlpHttpExporterConfig, OtlpGrpcExporterConfig, DebugExporterConfig, ExporterConfig } from '../exporter/exporter-config.js';

// ---------------------------------------------------------------------------
// Resolved configuration types

export interface HealthCheckConfig {
  id: string;
  type: 'health_check';
  endpoint: Endpoint;
  path: string;
}

export type ProcessorConfig = PolicyProcessorConfig | MemoryLimiterConfig;

export type ExtensionConfig = HealthCheckConfig | AuthenticatorConfig | FileStorageConfig;

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
  processors: Map<string, ProcessorConfig>;
  exporters: Map<string, ExporterConfig>;
  extensions: Map<string, ExtensionConfig>;
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
const PROCESSOR_TYPES = ['policy', 'memory_limiter'];
const EXPORTER_TYPES = ['debug', 'otlphttp', 'otlp'];
const EXTENSION_TYPES = ['health_check', 'file_storage', ...AUTH_EXTENSION_TYPES];

/** Default `service.shutdown_timeout`: leaves room in Kubernetes' default 30 s termination grace period. */
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 20_000;

/** Options for reading a configuration. */
export interface LoadOptions {
  /** Environment for `${env:NAME}` references (default process.env). */
  env?: Record<string, string | undefined>;
}

/** Read, expand and validate a configuration file (YAML or JSON). Throws {@link ConfigError}. */
export function loadConfigFile(file: string, options: LoadOptions = {}): CollectorConfig {
  return parseConfigText(readConfigText(file), path.dirname(path.resolve(file)), options);
}

/** A configuration file's text. Throws {@link ConfigError} when it cannot be read. */
export function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new ConfigError([`cannot read ${file}: ${why}`]);
  }
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

  const receivers = components(c, root.receivers, 'receivers', RECEIVER_TYPES, (v, p, id) => otlpReceiver(c, v, p, id, configDir));
  const processors = components<ProcessorConfig>(c, root.processors, 'processors', PROCESSOR_TYPES, (v, p, id, type) =>
    type === 'memory_limiter' ? memoryLimiter(c, v, p, id) : policyProcessor(c, v, p, id, configDir),
  );
  const exporters = components(c, root.exporters, 'exporters', EXPORTER_TYPES, (v, p, id, type) => exporter(c, v, p, id, type, configDir));
  const extensions = components<ExtensionConfig>(c, root.extensions, 'extensions', EXTENSION_TYPES, (v, p, id, type) =>
    type === 'bearertokenauth'
      ? bearerTokenAuth(c, v, p, id, configDir)
      : type === 'file_storage'
        ? fileStorage(c, v, p, id, configDir)
        : type === 'basicauth'
          ? basicAuth(c, v, p, id, configDir)
          : healthCheck(c, v, p, id),
  );

  const service = c.object(root.service, 'service', ['extensions', 'pipelines', 'telemetry', 'shutdown_timeout']) ?? {};
  if (root.service === undefined || root.service === null) c.error('service', 'is required (with at least one pipeline)');
  const serviceExtensions = c.stringList(service.extensions, 'service.extensions');
  serviceExtensions.forEach((id, i) => {
    if (!extensions.has(id)) c.error(at('service.extensions', i), `references extension "${id}", which is not configured under extensions`);
  });
  /** A component's reference to an extension: configured, of the right kind, and enabled in service.extensions. */
  const extensionRef = (p: string, name: string, types: readonly string[], kind: string): boolean => {
    const ext = extensions.get(name);
    if (ext === undefined) c.error(p, `references extension "${name}", which is not configured under extensions`);
    else if (!types.includes(ext.type)) c.error(p, `"${name}" is not ${kind}`);
    else if (!serviceExtensions.includes(name)) c.error(p, `extension "${name}" must also be listed in service.extensions`);
    else return true;
    return false;
  };
  for (const [id, e] of exporters) {
    if (e.type === 'debug' || e.queue.storage === undefined) continue;
    const p = `exporters.${id}.sending_queue.storage`;
    if (extensionRef(p, e.queue.storage, ['file_storage'], 'a storage extension (use file_storage)') && !e.queue.enabled) c.error(p, 'needs the sending queue enabled');
  }
  for (const [id, r] of receivers) {
    for (const [protocol, cfg] of [
      ['grpc', r.grpc],
      ['http', r.http],
    ] as const) {
      if (cfg?.authenticator === undefined) continue;
      extensionRef(`receivers.${id}.protocols.${protocol}.auth.authenticator`, cfg.authenticator, AUTH_EXTENSION_TYPES, 'an authenticator (use a bearertokenauth or basicauth extension)');
    }
  }

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
