import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * One worker per core this process may use: the cgroup v2 CPU quota when
 * one is set (a Kubernetes CPU limit of 2 means 2 workers, whatever the
 * node has), else the cores the OS offers. At least 1.
 */
export function defaultWorkers(cpuMax = '/sys/fs/cgroup/cpu.max'): number {
  const cores = availableParallelism();
  try {
    const [quota, period] = readFileSync(cpuMax, 'utf8').trim().split(/\s+/);
    if (quota !== 'max' && Number(period) > 0) return Math.max(1, Math.min(cores, Math.ceil(Number(quota) / Number(period))));
  } catch {
    // No cgroup v2 CPU controller here: the OS's count stands.
  }
  return cores;
}
