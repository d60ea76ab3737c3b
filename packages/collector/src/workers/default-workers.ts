import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { availableMemory } from '../processor/memory-limiter-config.js';

/** Memory a worker should have at least: its resting size (about 70 MiB) and room to work. */
const MIN_WORKER_MEMORY = 256 * 1024 * 1024;

/** The CPUs a cgroup quota allows (v2 `cpu.max`, else v1 `cpu.cfs_quota_us`), or undefined when there is none. */
function cpuQuota(root: string): number | undefined {
  const read = (f: string): string | undefined => {
    try {
      return readFileSync(`${root}/${f}`, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const v2 = read('cpu.max')?.split(/\s+/);
  if (v2 && v2[0] !== 'max' && Number(v2[1]) > 0) return Number(v2[0]) / Number(v2[1]);
  const quota = Number(read('cpu/cpu.cfs_quota_us') ?? read('cpu,cpuacct/cpu.cfs_quota_us'));
  const period = Number(read('cpu/cpu.cfs_period_us') ?? read('cpu,cpuacct/cpu.cfs_period_us'));
  if (quota > 0 && period > 0) return quota / period;
  return undefined;
}

/**
 * One worker per core this process may use: the cgroup CPU quota when one
 * is set (a Kubernetes CPU limit of 2 means 2 workers, whatever the node
 * has), else the cores the OS offers; and no more than the memory allows
 * at 256 MiB a worker (a pod without a CPU limit on a large node does not
 * start dozens of workers in 512 MiB). At least 1.
 */
export function defaultWorkers(cgroupRoot = '/sys/fs/cgroup', memory = availableMemory()): number {
  const cores = availableParallelism();
  const quota = cpuQuota(cgroupRoot);
  const byCpu = quota === undefined ? cores : Math.min(cores, Math.ceil(quota));
  return Math.max(1, Math.min(byCpu, Math.floor(memory / MIN_WORKER_MEMORY)));
}
