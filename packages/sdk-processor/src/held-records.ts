/**
 * A processor's queue of records that arrived before the first policy set
 * of a remote source was installed. Records are not forwarded unfiltered
 * while policies load (that would bypass a redaction or a drop): they wait
 * here, bounded by the handle's time and count limits, and are released in
 * arrival order the moment the wait ends (the set is installed, or holding
 * gave up). One queue per processor; the wait itself is the handle's, so a
 * handle shared by several processors ends every wait at once.
 */
import { policyDiag } from './diag-logger.js';
import type { LoadingGate } from './loading-gate.js';

export class HeldRecords<T> {
  private items: T[] = [];
  private readonly unsubscribe: () => void;
  private readonly logger = policyDiag;

  /**
   * @param gate the wait for the first policy set (the handle's)
   * @param release evaluates one released record and forwards what is kept
   */
  constructor(
    private readonly gate: LoadingGate,
    private readonly release: (item: T) => void,
  ) {
    this.unsubscribe = gate.onEnd(() => this.drain());
  }

  /**
   * Whether the caller must leave `item` alone: true when it was held (or
   * dropped in `drop` mode) because the first policy set is not installed;
   * false when the caller evaluates and forwards it now.
   */
  take(item: T): boolean {
    const gate = this.gate;
    if (!gate.loading) {
      // Keep arrival order: anything still queued goes first.
      if (this.items.length > 0) this.drain();
      if (!gate.loaded) gate.passedUnfiltered();
      return false;
    }
    switch (gate.whileLoading) {
      case 'pass':
        gate.passedUnfiltered();
        return false;
      case 'drop':
        gate.dropped();
        return true;
      default:
        this.items.push(item);
        // Past the count bound the gate gives up and every queue (this one included) drains right here.
        gate.holdOne();
        return true;
    }
  }

  /** Records held right now. */
  get size(): number {
    return this.items.length;
  }

  /**
   * Wait (within the handle's bound) for the first set when records are
   * held, then release them: for forceFlush and shutdown, so that nothing
   * held is lost nor forwarded unevaluated.
   */
  async settle(): Promise<void> {
    if (this.items.length > 0 && this.gate.loading) await this.gate.ended;
    this.drain();
  }

  /** Release every held record, in arrival order. */
  drain(): void {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.gate.released(items.length);
    if (!this.gate.loaded) this.gate.passedUnfiltered(items.length);
    for (const item of items) {
      try {
        this.release(item);
      } catch (err) {
        this.logger.error('forwarding a record held while policies loaded failed', err);
      }
    }
  }

  /** Release what is held and stop following the handle. */
  close(): void {
    this.drain();
    this.unsubscribe();
  }
}
