/**
 * The last-known-good policy cache on disk (`cachePath`), for the Node sync
 * providers. Kept out of sync-provider.ts, which runs in browsers too: only
 * this file touches the file system. What is written (format, key,
 * policies) is the sync provider's business; this store reads the file
 * synchronously (so that `loadSync()` can serve a restart before the first
 * sync) and replaces it atomically.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SyncCacheStore } from './sync-provider.js';

/** A {@link SyncCacheStore} in one file, replaced by writing a temporary file next to it and renaming it over. */
export class FileSyncCache implements SyncCacheStore {
  /** Writes so far, to name each temporary file apart (with the process id). */
  private writes = 0;

  /** @param location The cache file; its directory is created on the first write. */
  constructor(readonly location: string) {}

  /** The file's text, or undefined when there is no such file. @throws the file system's error otherwise. */
  read(): string | undefined {
    try {
      return readFileSync(this.location, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Write `text` to a temporary file, then rename it over the cache (the temporary file is removed on failure). */
  async write(text: string): Promise<void> {
    const file = this.location;
    const tmp = `${file}.${process.pid}.${++this.writes}.tmp`;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(tmp, text);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }
}
