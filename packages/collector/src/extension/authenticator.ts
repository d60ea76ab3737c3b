/**
 * Server authenticators: decide from a request's headers (HTTP) or metadata
 * (gRPC) whether it may be served, before anything else is read or decoded.
 * Credentials are compared in constant time (as SHA-256 digests, so lengths
 * leak nothing either). Secrets kept in files are re-read when the file's
 * modification time or size changes, checked at most once a second; a file
 * that cannot be read keeps the last good secrets and is reported once.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from '../logger.js';
import type { AuthenticatorConfig } from './auth-config.js';

export interface Authenticator {
  /** The header (lowercase) whose value {@link authenticate} takes. */
  readonly header: string;
  /** Whether the credentials in the header's value are accepted. */
  authenticate(value: string | undefined): boolean;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Secrets from inline text and an optional file, re-read when the file changes. */
class Secrets {
  private digests: Buffer[] = [];
  private stamp = '';
  private checkedAt = 0;
  private reported = false;

  constructor(
    private readonly inline: string,
    private readonly file: string | undefined,
    private readonly parse: (text: string) => string[],
    private readonly what: string,
    private readonly log: Logger,
  ) {
    this.refresh(true);
  }

  /** The current secrets' digests. */
  current(): readonly Buffer[] {
    if (this.file !== undefined && Date.now() - this.checkedAt >= 1000) this.refresh(false);
    return this.digests;
  }

  private refresh(first: boolean): void {
    this.checkedAt = Date.now();
    let text = this.inline;
    if (this.file !== undefined) {
      try {
        const st = statSync(this.file);
        const stamp = `${st.mtimeMs}:${st.size}`;
        if (!first && stamp === this.stamp) return;
        text += `\n${readFileSync(this.file, 'utf8')}`;
        this.stamp = stamp;
        this.reported = false;
        if (!first) this.log.info(`${this.what} reloaded`, { file: this.file });
      } catch (err) {
        if (!this.reported) this.log.error(`cannot read ${this.what}; keeping the last ones read`, { file: this.file, error: (err as Error).message });
        this.reported = true;
        if (!first) return;
      }
    }
    this.digests = this.parse(text).map(digest);
  }

  /** Whether `candidate` is one of the secrets (every secret compared). */
  has(candidate: string): boolean {
    const d = digest(candidate);
    let found = false;
    for (const s of this.current()) if (timingSafeEqual(s, d)) found = true;
    return found;
  }
}

const lines = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

/** `bearertokenauth`: the header holds `<scheme> <token>` (or the bare token when the scheme is empty). */
class BearerTokenAuthenticator implements Authenticator {
  private readonly secrets: Secrets;
  private readonly prefix: string;

  constructor(
    readonly header: string,
    scheme: string,
    tokens: string[],
    file: string | undefined,
    log: Logger,
  ) {
    this.prefix = scheme === '' ? '' : `${scheme} `;
    this.secrets = new Secrets(tokens.join('\n'), file, lines, 'bearer tokens', log);
  }

  authenticate(value: string | undefined): boolean {
    if (value === undefined || !value.startsWith(this.prefix)) return false;
    return this.secrets.has(value.slice(this.prefix.length));
  }
}

/**
 * `basicauth`: `Authorization: Basic base64(user:password)` against
 * htpasswd lines `user:password` (plain text) or `user:{SHA}base64(sha1)`.
 * Each line is kept as the digest of what it accepts, tagged with its kind,
 * so that a `{SHA}` line is never matched by a password that is the hash
 * itself.
 */
class BasicAuthenticator implements Authenticator {
  readonly header = 'authorization';
  private readonly users: Secrets;

  constructor(inline: string, file: string | undefined, log: Logger) {
    const tagged = (t: string) => lines(t).map((l) => (l.includes(':{SHA}') ? `sha ${l}` : `plain ${l}`));
    this.users = new Secrets(inline, file, tagged, 'basicauth users', log);
  }

  authenticate(value: string | undefined): boolean {
    if (value === undefined || !/^basic /i.test(value)) return false;
    const pair = Buffer.from(value.slice(6).trim(), 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    if (colon <= 0) return false;
    const user = pair.slice(0, colon);
    const sha1 = createHash('sha1')
      .update(pair.slice(colon + 1))
      .digest('base64');
    // Both are always checked, so the time taken does not say which kind of line a user has.
    const plain = this.users.has(`plain ${pair}`);
    const hashed = this.users.has(`sha ${user}:{SHA}${sha1}`);
    return plain || hashed;
  }
}

/** The authenticator an extension's configuration describes. */
export function createAuthenticator(config: AuthenticatorConfig, log: Logger): Authenticator {
  const l = log.with({ kind: 'extension', name: config.id });
  return config.type === 'bearertokenauth' ? new BearerTokenAuthenticator(config.header, config.scheme, config.tokens, config.file, l) : new BasicAuthenticator(config.inline, config.file, l);
}
