/**
 * A receiver's `tls` section, in the Collector's shape (configtls
 * ServerConfig): the server certificate and key, and `client_ca_file` to
 * require client certificates signed by that CA (mutual TLS). Files are read
 * when the receiver starts.
 */
import { readFileSync } from 'node:fs';
import { at, type Checker } from '../config/values.js';

export interface TlsServerConfig {
  certFile: string;
  keyFile: string;
  /** When set, clients must present a certificate signed by this CA. */
  clientCaFile: string | undefined;
  /** `min_version` ("1.2" default, or "1.3"). */
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

/** The files of a {@link TlsServerConfig}, read. */
export interface TlsServerMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

const VERSIONS: Record<string, 'TLSv1.2' | 'TLSv1.3'> = { '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' };

export function tlsServerConfig(c: Checker, v: unknown, p: string, configDir: string): TlsServerConfig | undefined {
  if (v === undefined) return undefined;
  const o = c.object(
    v,
    p,
    ['cert_file', 'key_file', 'client_ca_file', 'min_version'],
    ['ca_file', 'cert_pem', 'key_pem', 'client_ca_file_reload', 'max_version', 'cipher_suites', 'reload_interval', 'include_system_ca_certs_pool', 'curve_preferences'],
  );
  if (!o) return undefined;
  const file = (key: string, required: boolean) => c.file(o[key], at(p, key), configDir, { required });
  const certFile = file('cert_file', true);
  const keyFile = file('key_file', true);
  const version = o.min_version === undefined ? '1.2' : String(o.min_version);
  const minVersion = VERSIONS[version];
  if (minVersion === undefined) c.error(at(p, 'min_version'), `must be "1.2" or "1.3" (older TLS versions are not accepted), got ${JSON.stringify(version)}`);
  if (certFile === undefined || keyFile === undefined) return undefined;
  return { certFile, keyFile, clientCaFile: file('client_ca_file', false), minVersion: minVersion ?? 'TLSv1.2' };
}

/** Read the certificate, key and client CA files (at start). */
export function readTlsMaterial(t: TlsServerConfig): TlsServerMaterial {
  return { cert: readFileSync(t.certFile), key: readFileSync(t.keyFile), ca: t.clientCaFile === undefined ? undefined : readFileSync(t.clientCaFile), minVersion: t.minVersion };
}
