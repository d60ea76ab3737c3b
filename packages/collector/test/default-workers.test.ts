import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultWorkers } from '../src/workers/default-workers.js';
import { tempDir, writeFile } from './support.js';

describe('the default number of workers', () => {
  it('follows a cgroup CPU quota, else the cores', () => {
    const { dir, cleanup } = tempDir();
    try {
      const cores = availableParallelism();
      expect(defaultWorkers(writeFile(dir, 'a', '100000 100000\n'))).toBe(1);
      expect(defaultWorkers(writeFile(dir, 'b', '150000 100000\n'))).toBe(Math.min(cores, 2));
      expect(defaultWorkers(writeFile(dir, 'c', `${(cores + 8) * 100000} 100000\n`))).toBe(cores);
      expect(defaultWorkers(writeFile(dir, 'd', 'max 100000\n'))).toBe(cores);
      expect(defaultWorkers(`${dir}/missing`)).toBe(cores);
    } finally {
      cleanup();
    }
  });
});
