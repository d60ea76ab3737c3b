// Shared benchmark plumbing: environment facts, table printing, JSON results.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';

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
