// A load generator and a sink that cost the benchmark process as little CPU
// as HTTP/1.1 allows, for the collector's workers run: the generator and the
// workers share this 2-core machine, and Node's http client and server spent
// about 2 µs of CPU per record (1 ms per 500-record request) on parsing,
// stream plumbing and buffer copies, which starved the second worker. Here a
// request is one pre-built buffer (headers and body) written on a keep-alive
// socket; an answer is recognised from its status line and Content-Length;
// the sink skips request bodies without copying them and answers every
// request with the same pre-built 200. Both speak only the subset of HTTP/1.1
// the collector uses (Content-Length bodies, no chunking): anything else is
// an error, never a silent miscount.
import net from 'node:net';

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Parses consecutive HTTP/1.1 messages' heads on a byte stream and skips their Content-Length bodies. */
class MessageReader {
  /** @param {(head: string) => void} onMessage called once per message, after its body has been skipped */
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.pending = undefined; // a head split across reads
    this.bodyLeft = 0;
    this.head = '';
  }

  /** @param {Buffer} chunk */
  push(chunk) {
    let at = 0;
    while (at < chunk.length) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - at);
        this.bodyLeft -= n;
        at += n;
        if (this.bodyLeft === 0) this.onMessage(this.head);
        continue;
      }
      let buf = chunk;
      let from = at;
      if (this.pending) {
        buf = Buffer.concat([this.pending, chunk.subarray(at)]);
        from = 0;
        this.pending = undefined;
        chunk = buf;
      }
      const end = buf.indexOf(CRLFCRLF, from);
      if (end < 0) {
        this.pending = buf.subarray(from);
        return;
      }
      const head = buf.latin1Slice(from, end);
      at = end + 4;
      const m = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!m) {
        if (/\r\ntransfer-encoding:/i.test(head)) throw new Error(`raw-http: a chunked message is not supported: ${head.split('\r\n')[0]}`);
      }
      const length = m ? Number(m[1]) : 0;
      this.head = head;
      if (length === 0) this.onMessage(head);
      else this.bodyLeft = length;
    }
  }
}

/**
 * Keep-alive connections to one URL, each with one request in flight.
 * `send(n, bodyFor)` sends n POSTs and resolves with their latencies (ms).
 */
export class RawHttpLoad {
  /**
   * @param {string} url
   * @param {number} connections
   * @param {string} contentType
   */
  constructor(url, connections, contentType) {
    this.url = new URL(url);
    this.connections = connections;
    this.contentType = contentType;
    this.sockets = [];
    this.requests = new Map();
  }

  /** The request's bytes: head and body in one buffer, built once per body. */
  request(body) {
    let r = this.requests.get(body);
    if (!r) {
      const head = `POST ${this.url.pathname} HTTP/1.1\r\nhost: ${this.url.host}\r\ncontent-type: ${this.contentType}\r\ncontent-length: ${body.byteLength}\r\nconnection: keep-alive\r\n\r\n`;
      r = Buffer.concat([Buffer.from(head, 'latin1'), body]);
      this.requests.set(body, r);
    }
    return r;
  }

  async connect() {
    while (this.sockets.length < this.connections) {
      const socket = net.connect(Number(this.url.port), this.url.hostname);
      socket.setNoDelay(true);
      await new Promise((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      const conn = { socket, done: undefined, failed: undefined };
      const reader = new MessageReader((head) => {
        const done = conn.done;
        conn.done = undefined;
        if (!head.startsWith('HTTP/1.1 200')) conn.failed?.(new Error(`raw-http: ${head.split('\r\n')[0]}`));
        else done?.();
      });
      socket.on('data', (chunk) => {
        try {
          reader.push(chunk);
        } catch (err) {
          conn.failed?.(err);
        }
      });
      socket.on('error', (err) => conn.failed?.(err));
      socket.on('close', () => conn.failed?.(new Error('raw-http: the server closed the connection')));
      this.sockets.push(conn);
    }
  }

  /**
   * @param {number} n requests in all
   * @param {Buffer[]} bodies sent in turn
   * @returns {Promise<{ latencies: number[], wallMs: number }>}
   */
  async load(n, bodies) {
    await this.connect();
    const latencies = [];
    let next = 0;
    const started = performance.now();
    const run = (conn) =>
      new Promise((resolve, reject) => {
        conn.failed = reject;
        const one = () => {
          if (next >= n) {
            conn.failed = undefined;
            resolve();
            return;
          }
          const body = bodies[next++ % bodies.length];
          const t = performance.now();
          conn.done = () => {
            latencies.push(performance.now() - t);
            one();
          };
          conn.socket.write(this.request(body));
        };
        one();
      });
    await Promise.all(this.sockets.map(run));
    return { latencies, wallMs: performance.now() - started };
  }

  close() {
    for (const c of this.sockets) {
      c.failed = undefined;
      c.socket.destroy();
    }
    this.sockets = [];
  }
}

/** An OTLP/HTTP endpoint that accepts every request, counts requests and bytes, and keeps nothing. */
export class RawHttpSink {
  constructor() {
    this.requests = 0;
    this.bytes = 0;
    this.answer = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n', 'latin1');
    this.sockets = new Set();
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.setNoDelay(true);
      const reader = new MessageReader(() => {
        this.requests++;
        socket.write(this.answer);
      });
      socket.on('data', (chunk) => {
        this.bytes += chunk.length;
        try {
          reader.push(chunk);
        } catch (err) {
          socket.destroy(err);
        }
      });
      socket.on('error', () => {});
    });
  }

  /** @returns {Promise<string>} the base URL */
  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this.url;
  }

  async stop() {
    await new Promise((resolve) => {
      this.server.close(() => resolve());
      // Open keep-alive sockets would hold close() forever.
      for (const s of this.sockets) s.destroy();
    });
  }
}
