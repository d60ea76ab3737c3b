/**
 * The bounded in-memory sending queue of an exporter, as the Collector's
 * exporterhelper has it: a request is accepted when it fits (or refused, so
 * the receiver can answer 429 / RESOURCE_EXHAUSTED), and `num_consumers`
 * workers export from it. Shutdown stops intake and waits until every queued
 * request has been exported or given up on; at the shutdown deadline what
 * still waits is taken out at once ({@link SendingQueue.dropAll}).
 */
import type { ExportItem } from './item.js';

export interface QueueOptions {
  capacity: number;
  sizer: 'requests' | 'items';
  numConsumers: number;
  /** Export one request; never rejects (failures are handled and counted inside). */
  handle: (item: ExportItem) => Promise<void>;
}

export class SendingQueue {
  private items: ExportItem[] = [];
  private head = 0;
  /** Current size in sizer units (requests or records) of what waits in the queue. */
  size = 0;
  private closed = false;
  private readonly idle: (() => void)[] = [];
  private readonly roomWaiters: (() => void)[] = [];
  private workers: Promise<void>[] = [];
  /** Requests being exported right now. */
  inFlight = 0;

  constructor(private readonly options: QueueOptions) {}

  get capacity(): number {
    return this.options.capacity;
  }

  /** Requests waiting (not counting those being exported). */
  get length(): number {
    return this.items.length - this.head;
  }

  private sizeOf(item: ExportItem): number {
    return this.options.sizer === 'items' ? Math.max(1, item.records) : 1;
  }

  /** Whether `copies` requests of `records` records each would fit now. */
  hasRoom(records: number, copies = 1): boolean {
    if (this.closed) return false;
    const n = (this.options.sizer === 'items' ? Math.max(1, records) : 1) * copies;
    // An item larger than the whole queue is accepted into an empty one, as the Collector does.
    return this.size + n <= this.options.capacity || this.size === 0;
  }

  start(): void {
    for (let i = 0; i < this.options.numConsumers; i++) this.workers.push(this.work());
  }

  /** Enqueue if there is room; false otherwise (or once closed). */
  offer(item: ExportItem): boolean {
    if (!this.hasRoom(item.records)) return false;
    this.restore(item);
    return true;
  }

  /** Enqueue, room or not: {@link offer} after its room check, and a request kept from an earlier run (accepted then). */
  restore(item: ExportItem): void {
    this.items.push(item);
    this.size += this.sizeOf(item);
    this.idle.shift()?.();
  }

  /** Enqueue, waiting for room (block_on_overflow). Rejects once the queue is closed. */
  async put(item: ExportItem): Promise<void> {
    while (!this.offer(item)) {
      if (this.closed) throw new Error('the sending queue is shut down');
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
  }

  private take(): ExportItem | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined as unknown as ExportItem;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.size -= this.sizeOf(item);
    return item;
  }

  private async work(): Promise<void> {
    for (;;) {
      const item = this.take();
      if (item === undefined) {
        if (this.closed) return;
        await new Promise<void>((resolve) => this.idle.push(resolve));
        continue;
      }
      // Room was made: let one blocked producer in.
      this.roomWaiters.shift()?.();
      this.inFlight++;
      try {
        await this.options.handle(item);
      } finally {
        this.inFlight--;
      }
    }
  }

  /** Close intake and take out everything still waiting (the workers then stop once their current export ends). */
  dropAll(): ExportItem[] {
    this.closed = true;
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.size = 0;
    for (const wake of this.idle.splice(0)) wake();
    for (const wake of this.roomWaiters.splice(0)) wake();
    return out;
  }

  /** Stop intake, export everything queued, and resolve when the workers are done. */
  async drain(): Promise<void> {
    this.closed = true;
    for (const wake of this.idle.splice(0)) wake();
    for (const wake of this.roomWaiters.splice(0)) wake();
    await Promise.all(this.workers);
  }
}
