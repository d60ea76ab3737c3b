/**
 * The conformance corpus over the wire: every case's inputs sent as OTLP/HTTP
 * protobuf, as OTLP/HTTP JSON (the corpus files unchanged) and as OTLP/gRPC
 * into a collector whose policy processor reads the case's policies, with a
 * sink OTLP server as the exporter target (each way in paired with a
 * different way out, see configYaml). What the sink receives must equal the
 * expected output (normalised as the shared checker does), and the policy
 * counters the expected stats. Each batch gets a fresh collector, as the
 * reference runs a fresh process per batch. Sending queues are off, so a
 * request is answered only once its export is done and the comparison needs
 * no waiting.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRequest, encodeRequest, OtlpSink, type SignalType } from '@otel-policy/collector';
import { CaseStats, listCases, normalize, readJson } from '../../../test/support/conformance.js';
import { closeGrpcClients, grpcExport, grpcTarget, httpBase, postOtlp, SIGNAL_KEYS, startCollector } from './support.js';

const cases = listCases();
const SIGNAL: Record<string, SignalType> = { log: 'logs', metric: 'metrics', trace: 'traces' };

let sink: OtlpSink;
beforeAll(async () => {
  sink = await new OtlpSink().start();
});
afterAll(async () => {
  closeGrpcClients();
  await sink.stop();
});

type Transport = 'http' | 'http-json' | 'grpc';

/**
 * Each way in is paired with a different way out, so that every encoder
 * meets the corpus: protobuf in -> otlphttp protobuf (spliced re-encoding);
 * JSON in -> otlp gRPC (the generic protobuf encoder); gRPC in -> otlphttp
 * JSON, gzipped.
 */
function configYaml(policiesFile: string, transport: Transport, tag: string): string {
  const common = `sending_queue: { enabled: false }, retry_on_failure: { enabled: false }, headers: { x-case: "${tag}" }`;
  const exporter =
    transport === 'http'
      ? `otlphttp: { endpoint: "${sink.httpUrl}", encoding: proto, compression: none, ${common} }`
      : transport === 'http-json'
        ? `otlp: { endpoint: "${sink.grpcTarget}", tls: { insecure: true }, ${common} }`
        : `otlphttp: { endpoint: "${sink.httpUrl}", encoding: json, ${common} }`;
  const name = transport === 'http-json' ? 'otlp' : 'otlphttp';
  return `
receivers:
  otlp:
    protocols:
      ${transport === 'grpc' ? 'grpc' : 'http'}: { endpoint: "127.0.0.1:0" }
processors:
  policy:
    providers:
      - { type: file, id: case, path: ${JSON.stringify(policiesFile)}, poll_interval_secs: 0 }
exporters:
  ${exporter}
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], processors: [policy], exporters: [${name}] }
    traces: { receivers: [otlp], processors: [policy], exporters: [${name}] }
    metrics: { receivers: [otlp], processors: [policy], exporters: [${name}] }
`;
}

const TITLES: Record<Transport, string> = {
  http: 'OTLP/HTTP protobuf in, otlphttp protobuf out',
  'http-json': 'OTLP/HTTP JSON in (the corpus files as they are), OTLP/gRPC out',
  grpc: 'OTLP/gRPC in, otlphttp JSON (gzip) out',
};

/** The conformance input (OTLP/JSON) as a protobuf request body. */
function protobufOf(signal: SignalType, file: string): Uint8Array {
  const decoded = decodeRequest(signal, readFileSync(file), 'json');
  expect(decoded.rejected).toBe(0);
  return encodeRequest(signal, decoded.data, 'proto');
}

for (const transport of ['http', 'http-json', 'grpc'] as const) {
  describe(`conformance replayed over ${TITLES[transport]}`, () => {
    it('has the corpus', () => expect(cases.length).toBeGreaterThan(150));

    it.concurrent.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const caseStats = new CaseStats();
      for (const [i, b] of c.batches.entries()) {
        const signal = SIGNAL[b.signal];
        const tag = `${transport}/${c.name}/${i}`;
        const collector = await startCollector(configYaml(c.policiesFile, transport, tag));
        try {
          if (transport === 'http-json') {
            const res = await postOtlp(httpBase(collector), signal, readFileSync(b.input), { encoding: 'json' });
            expect(res.status, res.body.toString()).toBe(200);
            expect(JSON.parse(res.body.toString())).toEqual({});
          } else if (transport === 'http') {
            const res = await postOtlp(httpBase(collector), signal, protobufOf(signal, b.input));
            expect(res.status, res.body.toString()).toBe(200);
          } else {
            const body = protobufOf(signal, b.input);
            const res = await grpcExport(grpcTarget(collector), signal, body);
            expect(res.error?.message).toBeUndefined();
          }
          const got = sink.requests.filter((r) => r.headers['x-case'] === tag);
          expect(got.length).toBeLessThanOrEqual(1);
          const how = { http: { transport: 'http', encoding: 'proto' }, 'http-json': { transport: 'grpc' }, grpc: { transport: 'http', encoding: 'json', compression: 'gzip' } }[transport];
          if (got.length > 0) expect(got[0]).toMatchObject(how);
          const received = { [SIGNAL_KEYS[signal]]: got.flatMap((r) => (r.data as Record<string, unknown[]>)[SIGNAL_KEYS[signal]]) };
          expect(normalize(received)).toEqual(normalize(readJson(b.expected)));
          caseStats.addBatch(collector.processors.get('policy')!.engine.stats());
        } finally {
          await collector.shutdown();
        }
      }
      caseStats.expectToMatch(c);
    });
  });
}
