/** The `policy` processor's configuration: where policies come from, and how they are evaluated. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REGEX_BACKEND_NAMES, type RegexBackendName } from '@otel-policy/hyperscan';
import { FilePolicyProvider } from '@otel-policy/providers';
import { at, Checker, describe, isObj } from '../config/values.js';

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

export function policyProcessor(c: Checker, v: unknown, p: string, id: string, configDir: string): PolicyProcessorConfig | undefined {
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
      else {
        // A file that does not parse stops the service at start: at a first start there is no last good set to keep,
        // and running without its policies would let everything through. (Later broken edits keep the last good set.)
        try {
          new FilePolicyProvider({ path: abs, watch: false }).loadSync();
        } catch (err) {
          c.error(at(ip, 'path'), (err as Error).message);
        }
      }
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
