// Shared benchmark plumbing: environment facts, table printing, JSON results.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** BENCH_QUICK=1 shortens every measurement (for smoke runs, not for figures). */
export const quick = process.env.BENCH_QUICK === '1';

export function environment() {
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    platform: `${os.platform()} ${os.arch()}`,
    quick,
  };
}

export function printTable(title, rows) {
  console.log(`\n${title}`);
  console.table(rows);
}

export function writeResults(name, results) {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}.json`, dir);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nwrote bench/results/${name}.json`);
  console.log(JSON.stringify(results));
}

/**
 * `engine.loadAsync(next)` while `evaluateBatch` keeps running between
 * event-loop turns: the reload's total time, the longest event-loop block, and
 * how many records were evaluated on the old snapshot meanwhile.
 */
export async function measureAsyncReload(engine, next, evaluateBatch) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  let evaluated = 0;
  let flowing = true;
  const pump = () => {
    evaluated += evaluateBatch();
    if (flowing) setImmediate(pump);
  };
  h.enable();
  setImmediate(pump);
  const t = performance.now();
  await engine.loadAsync(next, 10);
  const ms = performance.now() - t;
  flowing = false;
  h.disable();
  const round = (x) => Math.round(x * 100) / 100;
  return { total_ms: round(ms), max_event_loop_block_ms: round(h.max / 1e6), records_evaluated_meanwhile: evaluated };
}
