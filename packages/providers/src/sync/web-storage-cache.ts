/**
 * The last-known-good policy cache of the browser entry: the page's
 * `localStorage`, which is read synchronously, so that a page loaded again
 * starts with the last set it received (`loadSync()`) instead of holding
 * its first records until the sync server answers, and keeps its policies
 * when the server cannot be reached. The format is the sync provider's
 * (as in the file cache on Node); this store only reads and writes text.
 */
import type { SyncCacheStore } from './sync-provider.js';

/** The part of the Web Storage API used here. */
export interface WebStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** A {@link SyncCacheStore} in one Web Storage entry (a `setItem` replaces it whole). */
export class WebStorageSyncCache implements SyncCacheStore {
  readonly location: string;

  /**
   * @param key The storage key.
   * @param storage Where (default: the page's `localStorage`, looked up at
   * each use: reading it throws where storage is disabled, which is then
   * reported as a cache problem, once).
   */
  constructor(
    readonly key: string,
    private readonly storage: () => WebStorage | undefined = () => (globalThis as { localStorage?: WebStorage }).localStorage,
  ) {
    this.location = `localStorage[${JSON.stringify(key)}]`;
  }

  /** The entry's text, or undefined when there is none. @throws where storage cannot be used. */
  read(): string | undefined {
    return this.available().getItem(this.key) ?? undefined;
  }

  /** Replace the entry. Rejects where storage cannot be used, or is full. */
  async write(text: string): Promise<void> {
    this.available().setItem(this.key, text);
  }

  private available(): WebStorage {
    const s = this.storage();
    if (s === undefined) throw new Error('no localStorage here');
    return s;
  }
}
