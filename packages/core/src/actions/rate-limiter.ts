/** A clock in milliseconds; the wall clock by default. */
export type Clock = () => number;

/**
 * A tumbling-window rate limiter on the wall clock: a record is allowed iff
 * fewer than `limit` were allowed in the current window; the first record
 * after the window has elapsed starts a new one. Record timestamps are never
 * used, so replayed or skewed telemetry cannot game the limit.
 */
export class RateLimiter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: Clock = Date.now,
  ) {}

  /** Take one slot; false when the window's budget is spent. */
  tryAcquire(): boolean {
    const now = this.clock();
    if (now - this.windowStart >= this.windowMs || now < this.windowStart) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used < this.limit) {
      this.used++;
      return true;
    }
    return false;
  }
}
