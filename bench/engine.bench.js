// Engine benchmark: ns per record for 1/10/100/1000 regex policies per signal,
// on records that match nothing and on a realistic mix (~10% matching),
// against two naive baselines in the same run: a loop over the policies calling
// re2js once per pattern, and the same loop with JavaScript RegExp (our own
// generated patterns, which are safe for RegExp; never a user's).
// Also: compile time for 1000 policies, event-loop blocking during an async
// reload, and GC activity over 1M no-match evaluations.
import { PerformanceObserver } from 'node:perf_hooks';
import { RE2JS } from 're2js';
import { Bench } from 'tinybench';
import { compilePolicies, parsePolicyDocument, PolicyEngine } from '@otel-policy/core';
import { otlpJsonDataPointAccessor, otlpJsonLogAccessor, otlpJsonSpanAccessor } from '@otel-policy/adapters';
import { environment, measureAsyncReload, printTable, quick, writeResults } from './support.js';

const SIZES = [1, 10, 100, 1000];
const BATCH = 256; // records per benchmark iteration
const SERVICES = ['checkout', 'payments', 'inventory', 'search', 'auth', 'gateway', 'billing', 'email'];
const WORDS = ['alpha', 'bravo', 'delta', 'gamma', 'kappa', 'omega', 'sigma', 'theta'];

// Deterministic pseudo-random numbers so that every run sees the same data.
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const pick = (a) => a[Math.floor(rand() * a.length)];

/** Policy i's pattern, and a value that matches it. Literal parts are unique per i, as real policies' are. */
export function patternFor(i) {
  const svc = SERVICES[i % SERVICES.length];
  const w = WORDS[(i >> 3) % WORDS.length];
  switch (i % 4) {
    case 0:
      return { re: `^ERROR \\[${svc}-${i}\\] connection refused to db-\\d+:\\d+$`, sample: `ERROR [${svc}-${i}] connection refused to db-3:5432` };
    case 1:
      return { re: `timeout after \\d+ms calling ${w}-${i}/(?:get|put|list)`, sample: `rpc timeout after 250ms calling ${w}-${i}/get` };
    case 2:
      return { re: `job-${i} (?:failed|retrying) attempt=\\d+`, sample: `worker job-${i} failed attempt=3` };
    default:
      return { re: `GET /internal/${w}${i}/(?:healthz|readyz)`, sample: `GET /internal/${w}${i}/healthz 200` };
  }
}

/** A typical non-matching line of about 60 bytes. */
export function noiseLine() {
  const id = Math.floor(rand() * 100000);
  return `${pick(['GET', 'POST', 'PUT'])} /api/v1/${pick(WORDS)}/${id} ${pick(['200', '201', '404'])} OK in ${Math.floor(rand() * 90) + 1}ms from 10.0.${id % 250}.7`;
}

const SIGNALS = {
  log: {
    policy: (i, re) => ({ id: `p${String(i).padStart(4, '0')}`, name: `p${i}`, log: { match: [{ log_field: 'body', regex: re }], keep: 'none' } }),
    record: (line) => ({
      resourceLogs: { resource: { attributes: [{ key: 'service.name', value: { stringValue: pick(SERVICES) } }] } },
      scopeLogs: { scope: { name: 'bench' } },
      record: { severityText: 'INFO', body: { stringValue: line }, attributes: [{ key: 'http.route', value: { stringValue: '/api/v1' } }] },
    }),
    value: (c) => c.record.body.stringValue,
    evaluate: (engine, c) => engine.evaluateLog(c, otlpJsonLogAccessor),
  },
  metric: {
    policy: (i, re) => ({ id: `p${String(i).padStart(4, '0')}`, name: `p${i}`, metric: { match: [{ metric_field: 'name', regex: re }], keep: false } }),
    record: (line) => ({
      resourceMetrics: { resource: { attributes: [{ key: 'service.name', value: { stringValue: pick(SERVICES) } }] } },
      scopeMetrics: { scope: { name: 'bench' } },
      metric: { name: line, unit: 'ms', gauge: { dataPoints: [] } },
      dataPoint: { attributes: [{ key: 'host', value: { stringValue: 'h1' } }], asDouble: 1 },
    }),
    value: (c) => c.metric.name,
    evaluate: (engine, c) => engine.evaluateMetric(c, otlpJsonDataPointAccessor),
  },
  trace: {
    policy: (i, re) => ({ id: `p${String(i).padStart(4, '0')}`, name: `p${i}`, trace: { match: [{ trace_field: 'name', regex: re }], keep: { percentage: 0 } } }),
    record: (line) => ({
      resourceSpans: { resource: { attributes: [{ key: 'service.name', value: { stringValue: pick(SERVICES) } }] } },
      scopeSpans: { scope: { name: 'bench' } },
      span: { name: line, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', kind: 2, attributes: [] },
    }),
    value: (c) => c.span.name,
    evaluate: (engine, c) => engine.evaluateTrace(c, otlpJsonSpanAccessor),
  },
};

function makeRecords(signal, n, matchShare) {
  const s = SIGNALS[signal];
  const out = [];
  for (let r = 0; r < BATCH; r++) {
    const matching = r < Math.round(BATCH * matchShare);
    out.push(s.record(matching ? patternFor(Math.floor(rand() * n)).sample : noiseLine()));
  }
  // Shuffle so the matching ones are spread out.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function policiesFor(signal, n) {
  return parsePolicyDocument({ policies: Array.from({ length: n }, (_, i) => SIGNALS[signal].policy(i, patternFor(i).re)) });
}

export async function run() {
  const rows = [];
  const results = { benchmark: 'engine', ...environment(), configs: [], compile: {}, reload: {}, gc: {} };
  for (const signal of Object.keys(SIGNALS)) {
    const s = SIGNALS[signal];
    for (const n of SIZES) {
      const set = policiesFor(signal, n);
      const engine = new PolicyEngine({ policies: set });
      const patterns = Array.from({ length: n }, (_, i) => patternFor(i).re);
      const re2 = patterns.map((p) => RE2JS.compile(p));
      const native = patterns.map((p) => new RegExp(p));
      for (const [workload, share] of [
        ['none', 0],
        ['mix10', 0.1],
      ]) {
        const records = makeRecords(signal, n, share);
        const bench = new Bench({ time: quick ? 150 : 400, warmupTime: quick ? 50 : 150 });
        let sink = 0;
        bench
          .add('engine', () => {
            for (let r = 0; r < records.length; r++) sink += s.evaluate(engine, records[r]);
          })
          .add('re2js loop', () => {
            for (let r = 0; r < records.length; r++) {
              const v = s.value(records[r]);
              for (let p = 0; p < re2.length; p++)
                if (re2[p].test(v)) {
                  sink++;
                  break;
                }
            }
          })
          .add('RegExp loop', () => {
            for (let r = 0; r < records.length; r++) {
              const v = s.value(records[r]);
              for (let p = 0; p < native.length; p++)
                if (native[p].test(v)) {
                  sink++;
                  break;
                }
            }
          });
        await bench.run();
        const ns = Object.fromEntries(bench.tasks.map((t) => [t.name, ((t.result.latency?.mean ?? t.result.mean) * 1e6) / records.length]));
        const row = {
          signal,
          policies: n,
          workload,
          engine_ns: round(ns.engine),
          re2js_loop_ns: round(ns['re2js loop']),
          regexp_loop_ns: round(ns['RegExp loop']),
          vs_re2js: round(ns['re2js loop'] / ns.engine),
          vs_regexp: round(ns['RegExp loop'] / ns.engine),
        };
        results.configs.push(row);
        rows.push(row);
        if (sink === -1) console.log(sink);
      }
    }
    // Scaling target: 1000 non-matching policies at most 3x one policy.
    const one = results.configs.find((c) => c.signal === signal && c.policies === 1 && c.workload === 'none');
    const thousand = results.configs.find((c) => c.signal === signal && c.policies === 1000 && c.workload === 'none');
    results[`${signal}_1000_vs_1`] = round(thousand.engine_ns / one.engine_ns);

    // Compile time for 1000 policies (best of 3, after a warm-up).
    const set = policiesFor(signal, 1000);
    compilePolicies(set);
    let best = Infinity;
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      compilePolicies(set);
      best = Math.min(best, performance.now() - t);
    }
    results.compile[signal] = { policies: 1000, ms: round(best) };
  }

  // An async reload of 1000 policies while records flow: the longest event-loop block.
  {
    const engine = new PolicyEngine({ policies: policiesFor('log', 10) });
    const records = makeRecords('log', 10, 0);
    const evaluate = () => {
      for (const r of records) engine.evaluateLog(r, otlpJsonLogAccessor);
      return records.length;
    };
    results.reload = { policies: 1000, ...(await measureAsyncReload(engine, policiesFor('log', 1000), evaluate)) };
  }

  // Allocation on the no-match path: GC events over 1M evaluations.
  {
    const engine = new PolicyEngine({ policies: policiesFor('log', 1000) });
    const records = makeRecords('log', 1000, 0);
    for (let i = 0; i < 20000; i++) engine.evaluateLog(records[i % records.length], otlpJsonLogAccessor);
    const gcs = [];
    const obs = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
    obs.observe({ entryTypes: ['gc'] });
    const heapBefore = process.memoryUsage().heapUsed;
    const t = performance.now();
    for (let i = 0; i < 1_000_000; i++) engine.evaluateLog(records[i & (BATCH - 1)], otlpJsonLogAccessor);
    const ms = performance.now() - t;
    await new Promise((r) => setTimeout(r, 50));
    obs.disconnect();
    results.gc = {
      evaluations: 1_000_000,
      policies: 1000,
      gc_events: gcs.length,
      gc_ms: round(gcs.reduce((a, e) => a + e.duration, 0)),
      heap_growth_kb: Math.round((process.memoryUsage().heapUsed - heapBefore) / 1024),
      ns_per_record: round((ms * 1e6) / 1_000_000),
    };
  }

  // Targets: 1000 non-matching policies cost at most 3x one (the multi-pattern matcher's promise).
  results.targets = ['log', 'metric', 'trace'].map((signal) => {
    const actual = results[`${signal}_1000_vs_1`];
    return { name: `${signal}: 1000 vs 1 policy, no match`, limit: '<= 3', actual, met: actual <= 3 };
  });

  printTable('engine: ns per record (lower is better); vs_* = baseline / engine', rows);
  console.log('\n1000 vs 1 policy (no match):', ['log', 'metric', 'trace'].map((s) => `${s} ${results[`${s}_1000_vs_1`]}x`).join(', '));
  console.log('compile 1000 policies (ms):', JSON.stringify(results.compile));
  console.log('async reload of 1000 policies:', JSON.stringify(results.reload));
  console.log('GC over 1M no-match evaluations:', JSON.stringify(results.gc));
  writeResults('engine', results);
  return results;
}

function round(x) {
  return Math.round(x * 100) / 100;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
