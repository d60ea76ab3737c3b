// Regex backends side by side: the default (re2js behind literal prefilters)
// and Hyperscan (@otel-policy/hyperscan, when its addon is built), at
// 1/10/100/1000 regex policies on one field and value sizes 64 B, 1 KB and
// 4 KB. Two views: one pattern-set scan (all patterns of the match key
// against one value, the unit a backend serves) and one whole log record
// through the engine. Values match no policy (every pattern must be ruled
// out: the common and the costly case). A third column, raw, is the backend's
// matcher alone, without the routing that sends short values and single
// patterns the default way.
import { Bench } from 'tinybench';
import { PatternSet, PolicyEngine, Re2jsBackend, parsePolicyDocument } from '@otel-policy/core';
import { otlpJsonLogAccessor } from '@otel-policy/adapters';
import { hyperscanAvailability, hyperscanBackend } from '@otel-policy/hyperscan';
import { noiseLine, patternFor } from './engine.bench.js';
import { environment, measureAsyncReload, printTable, quick, writeResults } from './support.js';

const SIZES = [1, 10, 100, 1000];
const VALUE_BYTES = [64, 1024, 4096];
const VALUES = 32; // distinct values per configuration, scanned in turn

function valueOf(bytes, k) {
  let v = `${k} `;
  while (v.length < bytes) v += noiseLine() + ' | ';
  return v.slice(0, bytes);
}

function logPolicies(n) {
  return parsePolicyDocument({
    policies: Array.from({ length: n }, (_, i) => ({ id: `p${String(i).padStart(4, '0')}`, name: `p${i}`, log: { match: [{ log_field: 'body', regex: patternFor(i).re }], keep: 'none' } })),
  });
}

function logRecord(body) {
  return {
    resourceLogs: { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] } },
    scopeLogs: { scope: { name: 'bench' } },
    record: { severityText: 'INFO', body: { stringValue: body }, attributes: [] },
  };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function round(x) {
  return x === null ? null : Math.round(x * 100) / 100;
}

export async function run() {
  const availability = hyperscanAvailability();
  const hs = availability.available ? hyperscanBackend() : null;
  const re2js = new Re2jsBackend();
  const results = { benchmark: 'regex-backend', ...environment(), hyperscan: availability, configs: [], compile: {} };
  if (!hs) console.log(`\nhyperscan backend unavailable (${availability.reason}): its columns are empty`);
  const rows = [];
  const out = new Int32Array(1024);
  for (const n of SIZES) {
    const patterns = Array.from({ length: n }, (_, i) => ({ kind: 'regex', value: patternFor(i).re, ci: false }));
    const sets = { default: new PatternSet(patterns, re2js), hyperscan: hs && new PatternSet(patterns, hs) };
    // The backend alone, without the pattern set's routing (every value, however short, goes native).
    const raw =
      hs &&
      hs.compile(
        patterns.map((p) => p.value),
        false,
      );
    const engines = { default: new PolicyEngine({ policies: logPolicies(n) }), hyperscan: hs && new PolicyEngine({ policies: logPolicies(n), regexBackend: hs }) };
    for (const bytes of VALUE_BYTES) {
      const values = Array.from({ length: VALUES }, (_, k) => valueOf(bytes, k));
      const records = values.map(logRecord);
      // Both backends must agree before their speed means anything.
      if (sets.hyperscan) {
        for (const v of values) {
          if (sets.default.scan(v, out, 0) !== sets.hyperscan.scan(v, out, 0)) throw new Error(`backends disagree on ${JSON.stringify(v)}`);
        }
      }
      const bench = new Bench({ time: quick ? 30 : 80, warmupTime: quick ? 10 : 30 });
      let sink = 0;
      for (const name of ['default', 'hyperscan']) {
        const set = sets[name];
        const engine = engines[name];
        if (!set) continue;
        bench.add(`scan ${name}`, () => {
          for (let k = 0; k < VALUES; k++) sink += set.scan(values[k], out, 0);
        });
        bench.add(`record ${name}`, () => {
          for (let k = 0; k < VALUES; k++) sink += engine.evaluateLog(records[k], otlpJsonLogAccessor);
        });
      }
      if (raw) {
        bench.add('raw hyperscan', () => {
          for (let k = 0; k < VALUES; k++) sink += raw.scan(values[k], out, 0);
        });
      }
      // Rounds of every task in turn, then the median of each task's round medians: the columns are
      // compared with each other, and on a shared machine the speed drifts more between tasks run
      // one after the other than between rounds interleaved like this.
      const perRound = new Map();
      for (let round = 0; round < (quick ? 3 : 7); round++) {
        await bench.run();
        for (const t of bench.tasks) {
          const list = perRound.get(t.name) ?? [];
          list.push(t.result.latency?.p50 ?? t.result.latency?.mean ?? t.result.mean);
          perRound.set(t.name, list);
        }
      }
      const ns = (name) => {
        const list = perRound.get(name);
        return list ? (median(list) * 1e6) / VALUES : null;
      };
      const row = {
        policies: n,
        value_bytes: bytes,
        scan_default_ns: round(ns('scan default')),
        scan_hyperscan_ns: round(ns('scan hyperscan')),
        scan_speedup: hs ? round(ns('scan default') / ns('scan hyperscan')) : null,
        raw_hyperscan_ns: round(ns('raw hyperscan')),
        record_default_ns: round(ns('record default')),
        record_hyperscan_ns: round(ns('record hyperscan')),
        record_speedup: hs ? round(ns('record default') / ns('record hyperscan')) : null,
      };
      rows.push(row);
      results.configs.push(row);
      if (sink === -1) console.log(sink);
    }
  }
  // Compile time of 1000 policies' pattern set, synchronously (best of 3).
  // Without the Hyperscan backend's cache of compiled sets, which would answer every round after the first.
  for (const [name, backend] of [
    ['default', re2js],
    ['hyperscan', hs && hyperscanBackend({ cacheSize: 0 })],
  ]) {
    if (!backend) continue;
    const patterns = Array.from({ length: 1000 }, (_, i) => ({ kind: 'regex', value: patternFor(i).re, ci: false }));
    let best = Infinity;
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      new PatternSet(patterns, backend);
      best = Math.min(best, performance.now() - t);
    }
    results.compile[name] = { patterns: 1000, ms: round(best) };
  }
  // An asynchronous reload of 1000 policies while records flow: total time and the longest event-loop block.
  results.reload = {};
  // A fresh backend: the one above already compiled these patterns, and would hand its matchers back.
  for (const [name, backend] of [
    ['default', undefined],
    ['hyperscan', hs && hyperscanBackend()],
  ]) {
    if (name === 'hyperscan' && !hs) continue;
    const engine = new PolicyEngine({ policies: logPolicies(10), regexBackend: backend });
    const records = Array.from({ length: 64 }, (_, k) => logRecord(valueOf(1024, k)));
    const evaluate = () => {
      for (const r of records) engine.evaluateLog(r, otlpJsonLogAccessor);
      return records.length;
    };
    results.reload[name] = { policies: 1000, ...(await measureAsyncReload(engine, logPolicies(1000), evaluate)) };
    // The same policies again (a provider re-sending an unchanged set, or a change elsewhere).
    results.reload[`${name}_unchanged`] = { policies: 1000, ...(await measureAsyncReload(engine, logPolicies(1000), evaluate)) };
  }

  const at = (n, b) => results.configs.find((c) => c.policies === n && c.value_bytes === b);
  results.targets = hs
    ? {
        speedup_1000_patterns_4kb: at(1000, 4096).scan_speedup,
        hyperscan_64b_ns_by_policies: Object.fromEntries(SIZES.map((n) => [n, at(n, 64).scan_hyperscan_ns])),
        raw_hyperscan_64b_ns_by_policies: Object.fromEntries(SIZES.map((n) => [n, at(n, 64).raw_hyperscan_ns])),
        hyperscan_64b_vs_default_by_policies: Object.fromEntries(SIZES.map((n) => [n, round(at(n, 64).scan_hyperscan_ns / at(n, 64).scan_default_ns)])),
      }
    : null;
  printTable('regex backends: median ns per value (scan = one pattern-set scan; record = one log record through the engine); speedup = default / hyperscan', rows);
  console.log('compile 1000 patterns (ms):', JSON.stringify(results.compile));
  console.log('async reload of 1000 policies:', JSON.stringify(results.reload));
  if (results.targets) console.log('targets:', JSON.stringify(results.targets));
  writeResults('regex-backend', results);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
