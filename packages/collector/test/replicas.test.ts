/**
 * Scaling out: two replicas behind a routing front (an OTLP/HTTP server that
 * splits each request's spans between them, as the Collector's loadbalancing
 * exporter does by trace ID) make the same sampling decision for every trace,
 * because the decision depends only on the trace ID and the policy's
 * hash_seed. Checked both with routing by trace ID and with every trace's
 * spans deliberately spread over both replicas.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRequest, encodeRequest, OtlpSink, type Collector } from '@otel-policy/collector';
import { httpBase, postOtlp, startCollector, tempDir, writeFile } from './support.js';

type Span = { traceId: string; spanId: string; name: string; traceState?: string };
type Traces = { resourceSpans: { resource?: unknown; scopeSpans: { scope?: unknown; spans: Span[] }[] }[] };

const { dir, cleanup } = tempDir();
let sink: OtlpSink;
const replicas: Collector[] = [];

const PERCENT = 30;

beforeAll(async () => {
  sink = await new OtlpSink().start();
  writeFile(
    dir,
    'policies.yaml',
    `policies:
  - id: sample-checkout
    name: Keep ${PERCENT}% of checkout traces
    trace:
      match:
        - resource_attribute: service.name
          exact: checkout
      keep:
        percentage: ${PERCENT}
        hash_seed: 4242
`,
  );
  for (let i = 0; i < 2; i++) {
    replicas.push(
      await startCollector(
        `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
processors: { policy: { providers: [ { type: file, id: shared, path: ./policies.yaml } ] } }
exporters: { otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false }, headers: { x-replica: "r${i}" } } }
service:
  telemetry: { metrics: { level: none } }
  pipelines: { traces: { receivers: [otlp], processors: [policy], exporters: [otlphttp] } }
`,
        dir,
      ),
    );
  }
});

afterAll(async () => {
  for (const r of replicas) await r.shutdown();
  await sink.stop();
  cleanup();
});

/** A routing front: decodes each request and forwards every span to the replica `route` picks. */
async function startFront(route: (span: Span) => number): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const data = decodeRequest('traces', Buffer.concat(chunks), 'proto').data as Traces;
    const parts: Traces[] = replicas.map(() => ({ resourceSpans: [] }));
    for (const rs of data.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        const split = replicas.map(() => [] as Span[]);
        for (const s of ss.spans) split[route(s)].push(s);
        split.forEach((spans, i) => spans.length && parts[i].resourceSpans.push({ resource: rs.resource, scopeSpans: [{ scope: ss.scope, spans }] }));
      }
    }
    const answers = await Promise.all(parts.map((p, i) => (p.resourceSpans.length ? postOtlp(httpBase(replicas[i]), 'traces', encodeRequest('traces', p, 'proto')) : { status: 200 })));
    res.statusCode = answers.every((a) => a.status === 200) ? 200 : 502;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const hex = (s: string, len: number) => createHash('sha256').update(s).digest('hex').slice(0, len);

/** `traces` traces of `spansPer` spans each, interleaved across requests of `batch` spans. */
function requests(tag: string, traces: number, spansPer: number, batch: number): Uint8Array[] {
  const spans: Span[] = [];
  for (let s = 0; s < spansPer; s++) for (let t = 0; t < traces; t++) spans.push({ traceId: hex(`${tag}-${t}`, 32), spanId: hex(`${tag}-${t}-${s}`, 16), name: `op-${s}` });
  const out: Uint8Array[] = [];
  for (let i = 0; i < spans.length; i += batch) {
    const payload = {
      resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] }, scopeSpans: [{ scope: { name: 'test' }, spans: spans.slice(i, i + batch) }] }],
    };
    out.push(encodeRequest('traces', payload, 'proto'));
  }
  return out;
}

/** What reached the sink for a run, by trace: spans kept, and the replicas they came through. */
function outcome(tag: string, traces: number): { kept: Map<string, Span[]>; replicasOf: Map<string, Set<string>> } {
  const ids = new Set(Array.from({ length: traces }, (_, t) => hex(`${tag}-${t}`, 32)));
  const kept = new Map<string, Span[]>();
  const replicasOf = new Map<string, Set<string>>();
  for (const r of sink.requests) {
    for (const rs of (r.data as Traces).resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const s of ss.spans) {
          if (!ids.has(s.traceId)) continue;
          kept.set(s.traceId, [...(kept.get(s.traceId) ?? []), s]);
          replicasOf.set(s.traceId, (replicasOf.get(s.traceId) ?? new Set()).add(r.headers['x-replica']));
        }
      }
    }
  }
  return { kept, replicasOf };
}

async function run(tag: string, route: (span: Span) => number, traces = 300, spansPer = 4) {
  const front = await startFront(route);
  try {
    for (const body of requests(tag, traces, spansPer, 50)) expect((await postOtlp(front.url, 'traces', body)).status).toBe(200);
  } finally {
    await front.close();
  }
  return outcome(tag, traces);
}

describe('two replicas behind a routing front', () => {
  it('routing by trace ID (loadbalancing exporter style): whole traces kept or dropped, at the policy rate', async () => {
    const { kept, replicasOf } = await run('by-trace', (s) => parseInt(s.traceId.slice(0, 8), 16) % 2);
    for (const spans of kept.values()) expect(spans).toHaveLength(4);
    for (const r of replicasOf.values()) expect(r.size).toBe(1);
    const share = kept.size / 300;
    expect(share).toBeGreaterThan(PERCENT / 100 - 0.1);
    expect(share).toBeLessThan(PERCENT / 100 + 0.1);
    // Both replicas did part of the work.
    expect(new Set([...replicasOf.values()].flatMap((s) => [...s])).size).toBe(2);
    // Kept spans carry the sampling threshold in their tracestate.
    for (const spans of kept.values()) for (const s of spans) expect(s.traceState).toMatch(/^ot=th:/);
  });

  it("spreading every trace's spans over both replicas: they still agree on every trace", async () => {
    // Span op-N goes to replica N % 2: every trace is split between the two.
    const { kept, replicasOf } = await run('spread', (s) => Number(s.name.slice(3)) % 2);
    expect(kept.size).toBeGreaterThan(0);
    for (const [id, spans] of kept) {
      // Every span of a kept trace arrived, from both replicas: neither disagreed.
      expect(spans, id).toHaveLength(4);
      expect(replicasOf.get(id)!.size).toBe(2);
      expect(new Set(spans.map((s) => s.traceState)).size).toBe(1);
    }
  });

  it('the decision per trace is the same as routing by trace ID', async () => {
    const a = await run('same', (s) => parseInt(s.traceId.slice(0, 8), 16) % 2, 200, 2);
    sink.requests.length = 0;
    const b = await run('same', (s) => Number(s.name.slice(3)) % 2, 200, 2);
    expect([...b.kept.keys()].sort()).toEqual([...a.kept.keys()].sort());
  });
});
