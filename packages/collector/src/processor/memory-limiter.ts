/**
 * The `memory_limiter` processor: checks the process's resident memory every
 * `check_interval`; while it is above the soft limit (the limit minus the
 * spike limit) the pipelines it sits in refuse new data, which producers see
 * as 429 / RESOURCE_EXHAUSTED with Retry-After (retryable, as the
 * Collector's), and accept it again once memory is back below. Refusal
 * happens before any copy or queueing, so nothing accepted is lost. It
 * changes no data.
 */
import type { Logger } from '../logger.js';
import type { MemoryLimiterConfig } from './memory-limiter-config.js';

/** What a producer is told while memory is high. */
export const MEMORY_REFUSAL = 'data refused due to high memory usage';

export class MemoryLimiter {
  private timer: NodeJS.Timeout | undefined;
  private over = false;
  private readonly log: Logger;

  constructor(
    readonly config: MemoryLimiterConfig,
    logger: Logger,
    /** Resident memory in bytes (injectable for tests). */
    private readonly readMemory: () => number = () => process.memoryUsage.rss(),
  ) {
    this.log = logger.with({ kind: 'processor', name: config.id });
  }

  /** The soft limit, in bytes. */
  get softLimitBytes(): number {
    return this.config.limitBytes - this.config.spikeLimitBytes;
  }

  /** Whether new data is refused now. */
  get refusing(): boolean {
    return this.over;
  }

  async start(): Promise<void> {
    this.check();
    this.timer = setInterval(() => this.check(), this.config.checkIntervalMs);
    this.timer.unref();
  }

  /** Read memory once and refuse or resume accordingly. */
  check(): void {
    const used = this.readMemory();
    const over = used > this.softLimitBytes;
    if (over === this.over) return;
    this.over = over;
    const fields = { rss_mib: Math.round(used / 1048576), soft_limit_mib: Math.round(this.softLimitBytes / 1048576), limit_mib: Math.round(this.config.limitBytes / 1048576) };
    if (over) this.log.warn('Memory usage is above soft limit. Refusing data.', fields);
    else this.log.info('Memory usage back within limits. Resuming normal operation.', fields);
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
