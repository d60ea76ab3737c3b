import { describe, expect, it } from 'vitest';
import { ShutdownOnce } from '../src/shutdown-once.js';

describe('ShutdownOnce', () => {
  it('runs the shutdown once and returns the same promise on every call', async () => {
    let runs = 0;
    const once = new ShutdownOnce(async () => {
      runs++;
    });
    expect(once.isCalled).toBe(false);
    const first = once.call();
    expect(once.isCalled).toBe(true);
    expect(once.call()).toBe(first);
    await first;
    await once.call();
    expect(runs).toBe(1);
  });

  it('keeps a failed shutdown failed (no second attempt)', async () => {
    let runs = 0;
    const once = new ShutdownOnce(async () => {
      runs++;
      throw new Error('exporter down');
    });
    await expect(once.call()).rejects.toThrow('exporter down');
    await expect(once.call()).rejects.toThrow('exporter down');
    expect(runs).toBe(1);
  });
});
