// Service benchmark: the real example service (examples/node-service:
// express + pino, auto-instrumented, real OTLP/HTTP protobuf exporters to a
// counting sink here) under loopback HTTP load, in separate processes, one
// per configuration:
//   plain       node --require @opentelemetry/auto-instrumentations-node/register
//               (the upstream zero-code start: no policies)
//   policy-100  node --require @otel-policy/sdk-processor/register with 100
//               policies that match nothing here (regex, contains, attribute
//               and span-name matchers): every record evaluated, nothing
//               saved: the cost
//   drop-90     the register with policies that drop about 90% of the logs
//               (the debug logs, 12 of 13, and 4 in 5 order logs): the saving
// Requests alternate GET /orders/:id (5 spans, 2 pino logs) and GET /import
// (a chatty job: 5 spans, 10 debug logs and 1 info). The
// configurations are measured in short interleaved slices (rotating order)
// and summed, so drift in the machine's speed falls on all alike;
// requests_per_s is the service's throughput with CONCURRENCY requests in
// flight, cpu_ms_per_1k_requests its own CPU time (from /proc). Targets:
// policy-100 costs at most 5% (the lower of throughput and CPU ratios vs
// plain), and drop-90 uses less CPU per request than plain.
// BENCH_QUICK=1 shortens it (not for figures).
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { environment, printTable, quick, writeResults } from './support.js';

const EXAMPLE = fileURLToPath(new URL('../examples/node-service/', import.meta.url));
const CONCURRENCY = 8;
const SLICE_REQUESTS = quick ? 200 : 500; // per configuration per slice
const SLICES = quick ? 4 : 16;
const WARMUP = quick ? 300 : 2000;
const TIME_LIMIT_MS = quick ? 40_000 : 240_000;
const MAX_COST = 0.05; // policy-100 may cost at most 5%

/**
 * 100 policies of the kinds people write (regex, contains, attribute and
 * span-name matchers, over logs and spans) that match nothing this service
 * emits: every record is evaluated against all of them and nothing is saved,
 * so this is the policy path's whole cost.
 */
function hundredPolicies() {
  const policies = [];
  for (let i = 0; i < 100; i++) {
    const id = `p${String(i).padStart(3, '0')}`;
    switch (i % 4) {
      case 0:
        policies.push({ id, name: id, log: { match: [{ log_field: 'body', regex: `^job-${i} failed after \\d+ retries$` }], keep: 'none' } });
        break;
      case 1:
        policies.push({ id, name: id, log: { match: [{ log_field: 'body', contains: `timeout calling service-${i}` }], keep: 'none' } });
        break;
      case 2:
        policies.push({ id, name: id, trace: { match: [{ span_attribute: 'http.route', exact: `/internal/job-${i}` }], keep: { percentage: 0 } } });
        break;
      default:
        policies.push({ id, name: id, trace: { match: [{ trace_field: 'name', starts_with: `legacy ${i} ` }], keep: { percentage: 10 } } });
    }
  }
  return JSON.stringify({ policies });
}

const DROP_90 = `policies:
  - id: drop-debug-logs
    name: drop debug logs
    log:
      match: [{ log_field: severity_text, equals: debug }]
      keep: none
  - id: sample-order-logs
    name: keep 1 in 5 order logs
    log:
      match: [{ log_field: body, starts_with: "order " }]
      keep: 20%
`;

/** A sink that reads and counts OTLP/HTTP requests (it must never be the bottleneck). */
function startSink() {
  const counts = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    req.on('data', (c) => (counts.bytes += c.length));
    req.on('end', () => {
      counts.requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, counts, server })));
}

function startService(name, flag, register, env) {
  const child = fork(path.join(EXAMPLE, 'app.cjs'), [], {
    cwd: EXAMPLE,
    execArgv: [flag, register],
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      OTEL_SERVICE_NAME: 'shop',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
      // Queues that hold a slice: any loss would flatter the measured cost.
      OTEL_BSP_MAX_QUEUE_SIZE: '65536',
      OTEL_BLRP_MAX_QUEUE_SIZE: '65536',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ name, child, port: m.port, stderr: () => stderr }));
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${stderr}`)));
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function get(port, p) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
  });
}

async function load(port, count) {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await get(port, i % 2 ? `/orders/${i}` : '/import?items=10');
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return performance.now() - started;
}

/** CPU seconds the process has used (Linux /proc), or undefined elsewhere. */
function cpuSeconds(pid) {
  const f = `/proc/${pid}/stat`;
  if (!existsSync(f)) return undefined;
  const fields = readFileSync(f, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const round = (x) => Math.round(x * 100) / 100;

export async function run() {
  const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-service-bench-'));
  writeFileSync(path.join(dir, 'hundred.json'), hundredPolicies());
  writeFileSync(path.join(dir, 'drop-90.yaml'), DROP_90);
  const sink = await startSink();
  const common = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url };
  const services = [];
  try {
    services.push(await startService('plain', '--require', '@opentelemetry/auto-instrumentations-node/register', common));
    services.push(await startService('policy-100', '--require', '@otel-policy/sdk-processor/register', { ...common, OTEL_POLICY_SOURCE: path.join(dir, 'hundred.json') }));
    services.push(await startService('drop-90', '--require', '@otel-policy/sdk-processor/register', { ...common, OTEL_POLICY_SOURCE: path.join(dir, 'drop-90.yaml') }));
    for (const s of services) await load(s.port, WARMUP);
    const acc = Object.fromEntries(services.map((s) => [s.name, { requests: 0, wallMs: 0, cpuS: 0 }]));
    const deadline = performance.now() + TIME_LIMIT_MS;
    let slices = 0;
    for (; slices < SLICES && performance.now() < deadline; slices++) {
      const order = services.map((_, i) => services[(i + slices) % services.length]);
      for (const s of order) {
        const cpu0 = cpuSeconds(s.child.pid);
        const ms = await load(s.port, SLICE_REQUESTS);
        const cpu1 = cpuSeconds(s.child.pid);
        const a = acc[s.name];
        a.requests += SLICE_REQUESTS;
        a.wallMs += ms;
        a.cpuS += cpu0 === undefined ? NaN : cpu1 - cpu0;
      }
    }
    const rows = services.map((s) => {
      const a = acc[s.name];
      return {
        config: s.name,
        requests: a.requests,
        requests_per_s: Math.round(a.requests / (a.wallMs / 1000)),
        cpu_ms_per_1k_requests: Number.isNaN(a.cpuS) ? undefined : round((a.cpuS * 1e6) / a.requests),
      };
    });
    const plain = rows[0];
    for (const r of rows) {
      r.vs_plain_throughput = round(r.requests_per_s / plain.requests_per_s);
      r.vs_plain_cpu = r.cpu_ms_per_1k_requests === undefined ? undefined : round(r.cpu_ms_per_1k_requests / plain.cpu_ms_per_1k_requests);
    }
    const p100 = rows.find((r) => r.config === 'policy-100');
    const drop = rows.find((r) => r.config === 'drop-90');
    const cost = round(Math.max(1 - p100.vs_plain_throughput, (p100.vs_plain_cpu ?? 1) - 1));
    const targets = [
      { name: 'policy-100 cost vs plain (the higher of throughput loss and extra CPU)', limit: `<= ${MAX_COST}`, actual: cost, met: cost <= MAX_COST },
      { name: 'drop-90 CPU per request vs plain', limit: '< 1', actual: drop.vs_plain_cpu, met: drop.vs_plain_cpu !== undefined && drop.vs_plain_cpu < 1 },
    ];
    const results = {
      benchmark: 'service',
      ...environment(),
      setup: {
        service: 'examples/node-service (express 5 + pino 10, auto-instrumentations, OTLP/HTTP protobuf exporters to a loopback sink)',
        requests: 'alternating GET /orders/:id (5 spans, 2 logs: debug + info) and GET /import?items=10 (5 spans, 11 logs: 10 debug + 1 info)',
        concurrency: CONCURRENCY,
        slices,
        requests_per_slice: SLICE_REQUESTS,
        sink_requests: sink.counts.requests,
      },
      configs: rows,
      targets,
    };
    printTable(`service: the example service under load (${slices} interleaved slices of ${SLICE_REQUESTS} requests; ${CONCURRENCY} in flight)`, rows);
    for (const t of targets) console.log(`target: ${t.name}: ${t.actual} (${t.limit}: ${t.met ? 'met' : 'NOT met'})`);
    writeResults('service', results);
    return results;
  } finally {
    for (const s of services) s.child.kill('SIGTERM');
    await Promise.all(services.map((s) => (s.child.exitCode !== null ? undefined : new Promise((r) => s.child.once('exit', r)))));
    agent.destroy();
    sink.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
