/**
 * The server authenticator extensions, in the Collector's shape:
 * `bearertokenauth` (`token`, `tokens` or `filename`; `scheme`, `header`)
 * and `basicauth` (`htpasswd: { file, inline }`). A receiver names one with
 * `auth: { authenticator: <id> }`. Secrets may come from the environment
 * (`${env:NAME}`) or from files, which are re-read when they change.
 */
import { at, type Checker } from '../config/values.js';

export interface BearerTokenAuthConfig {
  id: string;
  type: 'bearertokenauth';
  /** The header carrying the credentials (default `Authorization`), lowercase. */
  header: string;
  /** Default `Bearer`; empty means the header holds the bare token. */
  scheme: string;
  /** Inline tokens (`token`, `tokens`). */
  tokens: string[];
  /** `filename`: one token per line, re-read when it changes. */
  file: string | undefined;
}

export interface BasicAuthConfig {
  id: string;
  type: 'basicauth';
  /** `htpasswd.file`: `user:password` lines (plain or `{SHA}`), re-read when it changes. */
  file: string | undefined;
  /** `htpasswd.inline`: the same lines, in the configuration. */
  inline: string;
}

export type AuthenticatorConfig = BearerTokenAuthConfig | BasicAuthConfig;

export const AUTH_EXTENSION_TYPES = ['bearertokenauth', 'basicauth'];

export function bearerTokenAuth(c: Checker, v: unknown, p: string, id: string, configDir: string): BearerTokenAuthConfig | undefined {
  const o = c.object(v, p, ['scheme', 'token', 'tokens', 'filename', 'header']);
  if (!o) return undefined;
  const tokens = [...(o.token === undefined ? [] : [c.string(o.token, at(p, 'token'), { nonEmpty: true }) ?? '']), ...c.stringList(o.tokens, at(p, 'tokens'))].filter((t) => t !== '');
  const f = c.file(o.filename, at(p, 'filename'), configDir);
  if (tokens.length === 0 && f === undefined) c.error(p, 'needs a token, tokens or a filename');
  if (tokens.length > 0 && f !== undefined) c.error(p, 'takes either token/tokens or filename, not both');
  return {
    id,
    type: 'bearertokenauth',
    header: (c.string(o.header, at(p, 'header'), { nonEmpty: true }) ?? 'Authorization').toLowerCase(),
    scheme: c.string(o.scheme, at(p, 'scheme')) ?? 'Bearer',
    tokens,
    file: f,
  };
}

export function basicAuth(c: Checker, v: unknown, p: string, id: string, configDir: string): BasicAuthConfig | undefined {
  const o = c.object(v, p, ['htpasswd'], ['client_auth']);
  if (!o) return undefined;
  const hp = at(p, 'htpasswd');
  const h = c.object(o.htpasswd, hp, ['file', 'inline']) ?? {};
  const f = c.file(h.file, at(hp, 'file'), configDir);
  const inline = c.string(h.inline, at(hp, 'inline')) ?? '';
  if (f === undefined && inline.trim() === '') c.error(hp, 'needs a file or inline users');
  return { id, type: 'basicauth', file: f, inline };
}
