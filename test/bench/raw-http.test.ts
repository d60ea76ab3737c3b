// The collector benchmark's raw HTTP/1.1 generator and sink (bench/raw-http.js):
// they replace Node's http client and server there, so they must count and
// answer exactly, across reads that split heads and bodies anywhere.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawHttpLoad, RawHttpSink } from '../../bench/raw-http.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sink(): Promise<RawHttpSink> {
  const s = new RawHttpSink();
  await s.start();
  cleanups.push(() => s.stop());
  return s;
}

async function nodeServer(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`;
}

describe('raw-http', () => {
  it('counts every request of a load, bodies of any size, on each connection', async () => {
    const s = await sink();
    const bodies = [Buffer.alloc(0), Buffer.from('short'), Buffer.alloc(300_000, 7)];
    const load = new RawHttpLoad(`${s.url}/v1/logs`, 3, 'application/x-protobuf');
    cleanups.push(() => load.close());
    const { latencies } = await load.load(31, bodies);
    expect(latencies).toHaveLength(31);
    expect(s.requests).toBe(31);
    const bodyBytes = [0, 5, 300_000].reduce((sum, n, i) => sum + n * [11, 10, 10][i], 0);
    expect(s.bytes).toBeGreaterThan(bodyBytes);
    // The connections stay open for the next load.
    await load.load(6, bodies);
    expect(s.requests).toBe(37);
  });

  it('is answered by the sink when heads and bodies arrive in pieces', async () => {
    const s = await sink();
    const socket = net.connect(Number(new URL(s.url).port), '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    await new Promise((r) => socket.once('connect', r));
    let answers = '';
    socket.on('data', (d) => (answers += d.toString('latin1')));
    const one = 'POST /v1/logs HTTP/1.1\r\nhost: x\r\nContent-Length: 10\r\n\r\n0123456789';
    for (const piece of [one.slice(0, 7), one.slice(7, 40), one.slice(40, 52), one.slice(52, 60), one.slice(60) + one.slice(0, 3), one.slice(3)]) {
      socket.write(piece);
      await sleep(15);
    }
    await sleep(30);
    expect(s.requests).toBe(2);
    expect(answers.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
  });

  it('refuses a chunked request rather than miscount it', async () => {
    const s = await sink();
    const socket = net.connect(Number(new URL(s.url).port), '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    await new Promise((r) => socket.once('connect', r));
    const closed = new Promise((r) => socket.once('close', r));
    socket.write('POST /v1/logs HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    await closed;
    expect(s.requests).toBe(0);
  });

  it("reads a Node server's answers, and fails a load on a status other than 200", async () => {
    let seen = 0;
    const ok = await nodeServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen++;
        res.setHeader('content-type', 'application/x-protobuf');
        res.end(Buffer.from([1, 2, 3]));
      });
    });
    const load = new RawHttpLoad(ok, 2, 'application/x-protobuf');
    cleanups.push(() => load.close());
    const { latencies } = await load.load(9, [Buffer.alloc(70_000, 1)]);
    expect(latencies).toHaveLength(9);
    expect(seen).toBe(9);

    const refusing = await nodeServer((req, res) => {
      req.resume();
      res.statusCode = 503;
      res.end('busy');
    });
    const failing = new RawHttpLoad(refusing, 1, 'application/x-protobuf');
    cleanups.push(() => failing.close());
    await expect(failing.load(2, [Buffer.from('x')])).rejects.toThrow('HTTP/1.1 503');
  });
});
