import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultWorkers } from '../src/workers/default-workers.js';
import { tempDir, writeFile } from './support.js';

const GiB = 1024 ** 3;

describe('the default number of workers', () => {
  it('follows a cgroup CPU quota (v2, then v1), else the cores, within the memory', () => {
    const { dir, cleanup } = tempDir();
    try {
      const cores = availableParallelism();
      const v2 = (name: string, text: string) => {
        mkdirSync(`${dir}/${name}`);
        writeFile(`${dir}/${name}`, 'cpu.max', text);
        return `${dir}/${name}`;
      };
      expect(defaultWorkers(v2('a', '100000 100000\n'), 64 * GiB)).toBe(1);
      expect(defaultWorkers(v2('b', '150000 100000\n'), 64 * GiB)).toBe(Math.min(cores, 2));
      expect(defaultWorkers(v2('c', `${(cores + 8) * 100000} 100000\n`), 64 * GiB)).toBe(cores);
      expect(defaultWorkers(v2('d', 'max 100000\n'), 64 * GiB)).toBe(cores);
      mkdirSync(`${dir}/v1/cpu`, { recursive: true });
      writeFile(`${dir}/v1/cpu`, 'cpu.cfs_quota_us', '100000\n');
      writeFile(`${dir}/v1/cpu`, 'cpu.cfs_period_us', '100000\n');
      expect(defaultWorkers(`${dir}/v1`, 64 * GiB)).toBe(1);
      expect(defaultWorkers(`${dir}/missing`, 64 * GiB)).toBe(cores);
      // 300 MiB of memory: one worker, whatever the cores.
      expect(defaultWorkers(`${dir}/missing`, 300 * 1024 * 1024)).toBe(1);
    } finally {
      cleanup();
    }
  });
});
