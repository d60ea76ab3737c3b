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
