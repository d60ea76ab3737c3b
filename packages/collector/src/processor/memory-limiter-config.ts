/**
 * The `memory_limiter` processor's configuration, in the Collector's shape:
 * `check_interval`, and a hard limit as `limit_mib` or `limit_percentage`
 * (of the memory this process may use: the cgroup limit when there is one,
 * else the machine's), with `spike_limit_mib` / `spike_limit_percentage`
 * (default 20% of the limit) below it for the soft limit.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { at, MiB, type Checker } from '../config/values.js';

export interface MemoryLimiterConfig {
  id: string;
  type: 'memory_limiter';
  checkIntervalMs: number;
  /** The hard limit, in bytes of resident memory. */
  limitBytes: number;
  /** The soft limit is `limitBytes - spikeLimitBytes`: above it new data is refused. */
  spikeLimitBytes: number;
}

/** The memory available to this process: a cgroup v2 `memory.max`, when set, else the machine's total. */
export function availableMemory(): number {
  try {
    const max = readFileSync('/sys/fs/cgroup/memory.max', 'utf8').trim();
    if (/^\d+$/.test(max)) return Math.min(Number(max), os.totalmem());
  } catch {
    // No cgroup v2 limit readable: the machine's memory.
  }
  return os.totalmem();
}

export function memoryLimiter(c: Checker, v: unknown, p: string, id: string, total: number = availableMemory()): MemoryLimiterConfig | undefined {
  const o = c.object(v, p, ['check_interval', 'limit_mib', 'spike_limit_mib', 'limit_percentage', 'spike_limit_percentage']);
  if (!o) return undefined;
  const checkIntervalMs = c.duration(o.check_interval, at(p, 'check_interval'), 0);
  if (checkIntervalMs <= 0) c.error(at(p, 'check_interval'), 'must be greater than 0');
  const mib = o.limit_mib !== undefined;
  const pct = o.limit_percentage !== undefined;
  if (mib === pct) {
    c.error(p, 'needs one of limit_mib or limit_percentage');
    return undefined;
  }
  const limitBytes = mib ? c.int(o.limit_mib, at(p, 'limit_mib'), 0, 1) * MiB : Math.floor((c.int(o.limit_percentage, at(p, 'limit_percentage'), 0, 1, 100) / 100) * total);
  let spikeLimitBytes = Math.floor(limitBytes / 5);
  if (o.spike_limit_mib !== undefined) spikeLimitBytes = c.int(o.spike_limit_mib, at(p, 'spike_limit_mib'), 0, 0) * MiB;
  else if (o.spike_limit_percentage !== undefined) spikeLimitBytes = Math.floor((c.int(o.spike_limit_percentage, at(p, 'spike_limit_percentage'), 0, 0, 100) / 100) * total);
  if (spikeLimitBytes >= limitBytes) c.error(at(p, o.spike_limit_mib !== undefined ? 'spike_limit_mib' : 'spike_limit_percentage'), 'must be less than the limit');
  return { id, type: 'memory_limiter', checkIntervalMs, limitBytes, spikeLimitBytes };
}
