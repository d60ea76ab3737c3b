/**
 * The HTTP side of the policy sync server: bounded body reading, one-line
 * refusals (the body drained or the connection closed), and who may ask it
 * to shut down.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export function reply(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff' });
  res.end(body);
}

/**
 * Answer an error in one line of text, without reading the body: what is
 * left of it is drained if it is small, otherwise the connection is closed
 * after the answer (so a client cannot make the server read a body it will
 * not use).
 */
export function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  if (!req.complete) {
    const chunked = req.headers['transfer-encoding'] !== undefined;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (chunked || !Number.isFinite(declared) || declared > DRAIN_BYTES) res.setHeader('connection', 'close');
    req.resume();
  }
  reply(res, status, 'text/plain', `${message}\n`);
}

/** A body up to this size is read and dropped after an error answer (the connection stays usable); a larger one closes the connection. */
export const DRAIN_BYTES = 64 * 1024;

export function methodNotAllowed(req: IncomingMessage, res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  refuse(req, res, 405, `method ${req.method ?? ''} not allowed; use ${allow}`);
}

/** A reason for a client: one line, at most 300 characters. */
export function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  const line = message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

export class BodyTooLarge extends Error {}

export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > max) {
        failed = true;
        chunks.length = 0;
        reject(new BodyTooLarge(`request body exceeds the limit of ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
      failed = true;
    });
  });
}

export const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * Why a `POST /shutdown` is refused, or undefined: never from a web page;
 * without a token, only from this machine with the custom header (see
 * {@link PolicySyncServerOptions.onShutdownRequest}).
 */
export function shutdownRefusal(req: IncomingMessage, withToken: boolean): string | undefined {
  if (req.headers.origin !== undefined) return 'shutdown is not accepted from a web page (Origin header)';
  // The token (already checked) is enough on its own.
  if (withToken) return undefined;
  if (!LOOPBACK.test(req.socket.remoteAddress ?? '')) return 'shutdown is accepted from this machine only (or with the token)';
  if (req.headers['x-otel-policy-shutdown'] !== '1') return 'shutdown needs the header x-otel-policy-shutdown: 1';
  return undefined;
}

/**
 * Why an allowed-origin entry can never match what a browser sends as
 * Origin, or undefined when it can: an entry is `*`, or a scheme and host
 * (and port) without a path, `*` standing for any run of characters.
 */
export function originProblem(entry: string): string | undefined {
  if (entry === '*' || /^https?:\/\/[^/\s]+$/.test(entry)) return undefined;
  return `${JSON.stringify(entry)} is not an origin: give a scheme and host without a path (https://shop.example.com), or "*"`;
}

/**
 * Whether a page's Origin is one of `allowed` (see
 * `PolicySyncServerOptions.corsAllowedOrigins`): `*` matches any run of
 * characters, everything else itself (ASCII case-insensitively, as origins
 * compare). Matched piece by piece, without a regular expression.
 */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  const o = origin.toLowerCase();
  return allowed.some((pattern) => {
    const parts = pattern.toLowerCase().split('*');
    if (parts.length === 1) return parts[0] === o;
    if (!o.startsWith(parts[0]) || !o.endsWith(parts[parts.length - 1])) return false;
    let at = parts[0].length;
    const end = o.length - parts[parts.length - 1].length;
    for (let i = 1; i < parts.length - 1; i++) {
      const found = o.indexOf(parts[i], at);
      if (found < 0 || found + parts[i].length > end) return false;
      at = found + parts[i].length;
    }
    return at <= end;
  });
}

/**
 * CORS for the sync endpoint: the allow header on every answer to an
 * allowed page (errors too, so that the page can read the reason), and the
 * answer to its preflight. Returns true when the request was a preflight,
 * answered here.
 */
export function answerCors(req: IncomingMessage, res: ServerResponse, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  const ok = allowed.length > 0 && originAllowed(origin, allowed);
  if (ok) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
  }
  if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
  if (!ok) {
    refuse(req, res, 403, `origin ${oneLine(origin)} is not allowed to sync (CORS; see the allowed origins)`);
    return true;
  }
  res.setHeader('access-control-allow-methods', 'POST');
  res.setHeader('access-control-allow-headers', 'authorization, content-type');
  res.setHeader('access-control-max-age', '600');
  req.resume();
  res.writeHead(204).end();
  return true;
}
