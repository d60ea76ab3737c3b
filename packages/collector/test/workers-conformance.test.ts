/**
 * The conformance corpus through a service on two workers
 * (`otel-policy collector --workers 2`), in worker processes fed their
 * policies by the primary, over OTLP/HTTP protobuf and OTLP/gRPC (both read
 * in place, never decoded) and OTLP/HTTP JSON. One service holds a pipeline
 * per case batch and transport (its own receiver, policy processor and
 * exporter, tagged), so every batch starts from fresh state as the
 * reference runs do; requests go over many connections, so both workers
 * take their share. What the sink receives for each must equal the
 * expected output.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRequest, encodeRequest, OtlpSink, type SignalType } from '@otel-policy/collector';
import { listCases, normalize, readJson } from '../../../test/support/conformance.js';
import { closeGrpcClients, grpcExport, postOtlp, SIGNAL_KEYS, spawnCollector, tempDir, writeFile, type SpawnedCollector } from './support.js';

const SIGNAL: Record<string, SignalType> = { log: 'logs', metric: 'metrics', trace: 'traces' };
const TRANSPORTS = ['http', 'http-json', 'grpc'] as const;
const batches = listCases().flatMap((c) =>
  c.batches.flatMap((b, i) =>
    TRANSPORTS.map((transport) => ({
      transport,
      tag: `${transport}/${c.name}/${i}`,
      id: `${transport.replace('-', '_')}_${c.name.replace(/[^A-Za-z0-9_]/g, '_')}_${i}`,
      policies: c.policiesFile,
      input: b.input,
      expected: b.expected,
      signal: SIGNAL[b.signal],
    })),
  ),
);

let sink: OtlpSink;
let service: SpawnedCollector;
let temp: { dir: string; cleanup: () => void };
const endpoints = new Map<string, string>();

beforeAll(async () => {
  sink = await new OtlpSink().start();
  temp = tempDir();
  const yaml = [
    'receivers:',
    ...batches.map((b) => `  otlp/${b.id}: { protocols: { ${b.transport === 'grpc' ? 'grpc' : 'http'}: { endpoint: "127.0.0.1:0" } } }`),
    'processors:',
    ...batches.map((b) => `  policy/${b.id}: { providers: [ { type: file, id: case, path: ${JSON.stringify(b.policies)}, poll_interval_secs: 0 } ] }`),
    'exporters:',
    ...batches.map((b) => `  otlphttp/${b.id}: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false }, retry_on_failure: { enabled: false }, headers: { x-case: "${b.tag}" } }`),
    'service:',
    '  telemetry: { metrics: { level: none } }',
    '  pipelines:',
    ...batches.map((b) => `    ${b.signal}/${b.id}: { receivers: [otlp/${b.id}], processors: [policy/${b.id}], exporters: [otlphttp/${b.id}] }`),
  ].join('\n');
  service = await spawnCollector(writeFile(temp.dir, 'config.yaml', yaml), {}, 2);
  for (const m of service.stderr().matchAll(/Starting (HTTP|GRPC) server\t(\{.*\})/g)) {
    const f = JSON.parse(m[2]) as { name: string; endpoint: string };
    endpoints.set(f.name.replace('otlp/', ''), m[1] === 'HTTP' ? `http://${f.endpoint}` : f.endpoint);
  }
}, 120_000);

afterAll(async () => {
  closeGrpcClients();
  service.child.kill('SIGTERM');
  await new Promise((r) => service.child.once('exit', r));
  await sink.stop();
  temp.cleanup();
});

describe('conformance replayed through two workers (OTLP/HTTP protobuf and gRPC read in place, OTLP/HTTP JSON)', () => {
  it('has the corpus, and one receiver per batch and transport', () => {
    expect(batches.length).toBeGreaterThan(450);
    expect(endpoints.size).toBe(batches.length);
  });

  it('every batch comes out as expected', async () => {
    const failures: string[] = [];
    let next = 0;
    const one = async () => {
      while (next < batches.length) {
        const b = batches[next++];
        const json = readFileSync(b.input);
        const proto = () => encodeRequest(b.signal, decodeRequest(b.signal, json, 'json').data, 'proto');
        const at = endpoints.get(b.id)!;
        if (b.transport === 'grpc') {
          const res = await grpcExport(at, b.signal, proto());
          if (res.error) {
            failures.push(`${b.tag}: ${res.error.message}`);
            continue;
          }
        } else {
          const res = b.transport === 'http' ? await postOtlp(at, b.signal, proto()) : await postOtlp(at, b.signal, json, { encoding: 'json' });
          if (res.status !== 200) {
            failures.push(`${b.tag}: HTTP ${res.status} ${res.body.toString()}`);
            continue;
          }
        }
        const got = sink.requests.filter((r) => r.headers['x-case'] === b.tag);
        const received = { [SIGNAL_KEYS[b.signal]]: got.flatMap((r) => (r.data as Record<string, unknown[]>)[SIGNAL_KEYS[b.signal]]) };
        try {
          expect(normalize(received)).toEqual(normalize(readJson(b.expected)));
        } catch (err) {
          failures.push(`${b.tag}: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, one));
    expect(failures).toEqual([]);
  }, 120_000);
});
