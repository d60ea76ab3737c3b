/**
 * The wait for a policy handle's first set, shared by every processor of
 * the handle: one signal ends it (the set is installed, the hold bound is
 * hit, or the handle shuts down), and the counters of what happened to
 * records meanwhile. Internal: processors reach it through their handle;
 * users see `PolicyHandle.loading`, `loaded` and `loadingStats()`.
 */
import type { DiagLogger } from '@opentelemetry/api';

/** The longest delay a timer can wait; Node and browsers fire longer ones at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * What processors do with records that arrive before the first policy set
 * of a remote source is installed: `hold` them (bounded) and evaluate them
 * once it is, `pass` them unfiltered, or `drop` them.
 */
export type WhileLoading = 'hold' | 'pass' | 'drop';

/** How the wait for the first policy set went (see `PolicyHandle.loadingStats`). */
export interface PolicyLoadingStats {
  /** The first policy set is installed. */
  readonly loaded: boolean;
  /** Holding gave up (time or count bound, or shutdown) before the first set arrived. */
  readonly gaveUp: boolean;
  /** Records held right now, waiting for the first set. */
  readonly held: number;
  /** Records forwarded without policies because the first set was not installed (`pass` mode, or after giving up). */
  readonly passedUnfiltered: number;
  /** Records dropped in `drop` mode while loading. */
  readonly dropped: number;
}

export interface LoadingGateOptions {
  whileLoading: WhileLoading;
  holdTimeoutMs: number;
  holdMaxRecords: number;
  diag: DiagLogger;
}

export class LoadingGate {
  readonly whileLoading: WhileLoading;
  /** Resolves when the wait ends (set installed, gave up, or shut down). Never rejects. */
  readonly ended: Promise<void>;
  private state: 'loading' | 'gaveUp' | 'loaded' = 'loading';
  private resolveEnded!: () => void;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly counts = { held: 0, passedUnfiltered: 0, dropped: 0 };
  private gaveUp = false;

  constructor(private readonly options: LoadingGateOptions) {
    this.whileLoading = options.whileLoading;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /**
   * Start waiting for `firstSet`; in `hold` mode, bounded by the hold
   * timeout. A rejected `firstSet` (it cannot be installed at all: its
   * regex engine failed to load) gives up at once. Not called when
   * everything loaded synchronously (then {@link markLoaded} is).
   */
  wait(firstSet: Promise<void>): void {
    void firstSet.then(
      () => this.markLoaded(),
      (err: Error) => this.giveUp(`could not be loaded (${err.message})`),
    );
    // Only holding is bounded: `drop` and `pass` are what the user chose until the set arrives.
    if (this.whileLoading !== 'hold' || this.state !== 'loading') return;
    const ms = this.options.holdTimeoutMs;
    // A timer fires at once for a delay past 2^31 - 1 ms (about 24.8 days): longer bounds, Infinity included, wait that long.
    this.timer = setTimeout(() => this.giveUp(`were not loaded within ${ms} ms`), Math.min(ms, MAX_TIMER_MS));
    this.timer.unref?.();
  }

  /** Neither installed nor given up: processors hold, drop or pass per {@link whileLoading}. */
  get loading(): boolean {
    return this.state === 'loading';
  }

  /** The first policy set is installed. */
  get loaded(): boolean {
    return this.state === 'loaded';
  }

  stats(): PolicyLoadingStats {
    return { loaded: this.state === 'loaded', gaveUp: this.gaveUp, ...this.counts };
  }

  markLoaded(): void {
    if (this.state === 'loaded') return;
    const late = this.state === 'gaveUp';
    this.state = 'loaded';
    this.clearTimer();
    if (late) this.options.diag.info(`policies loaded; ${this.counts.passedUnfiltered} records passed unfiltered while they were loading`);
    this.end();
  }

  /** Stop holding before the first set arrived: held and later records pass (fail-open). Warns once. */
  giveUp(why: string, quietWhenNothingHeld = false): void {
    if (this.state !== 'loading') return;
    this.state = 'gaveUp';
    this.gaveUp = true;
    this.clearTimer();
    if (!quietWhenNothingHeld || this.counts.held > 0) {
      this.options.diag.warn(`policies ${why}; ${this.counts.held} held records and later ones pass unfiltered until they are (see loadingStats().passedUnfiltered)`);
    }
    this.end();
  }

  /** Called (synchronously) when the wait ends; returns an unsubscribe function. */
  onEnd(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A processor holds one more record; past the count bound, holding gives up and every queue drains. */
  holdOne(): void {
    this.counts.held++;
    if (this.counts.held > this.options.holdMaxRecords) {
      this.giveUp(`were not loaded before the hold limit of ${this.options.holdMaxRecords} records was exceeded`);
    }
  }

  /** A processor released `n` held records. */
  released(n: number): void {
    this.counts.held -= n;
  }

  /** Records went out without policies (`pass` mode, or after giving up). */
  passedUnfiltered(n = 1): void {
    this.counts.passedUnfiltered += n;
  }

  /** A record was dropped in `drop` mode. */
  dropped(): void {
    this.counts.dropped++;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private end(): void {
    this.resolveEnded();
    for (const l of [...this.listeners]) l();
  }
}
