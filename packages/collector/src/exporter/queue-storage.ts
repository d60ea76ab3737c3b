/**
 * The persistent part of a sending queue (`sending_queue.storage`): every
 * request the queue accepts is written to its own file, as an OTLP protobuf
 * request, before the producer is answered, and removed once it has been
 * exported or given up on. Files are written to a temporary name and renamed,
 * so a crash (even kill -9) leaves whole requests only; at the next start
 * they are queued again, oldest first. A file that cannot be read or decoded
 * is reported and set aside (renamed `*.corrupt`), never retried in a loop.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { SignalType } from '@otel-policy/proto';
import type { Logger } from '../logger.js';
import { readRequest } from '../otlp/payload.js';
import { encodedBody, exportItem, type ExportItem } from './item.js';

const ENTRY = /^(\d{16})\.(logs|traces|metrics)\.pb$/;

export class QueueStorage {
  private seq = 0;

  constructor(
    readonly directory: string,
    private readonly fsync: boolean,
    private readonly log: Logger,
    /** Directories of queues this one takes over (of workers that no longer run): loaded after its own; their entries are removed from there once done. */
    private readonly adopted: readonly string[] = [],
  ) {
    mkdirSync(directory, { recursive: true });
  }

  /** Write `item` (as its protobuf request); returns the file to remove once it is done. */
  save(item: ExportItem): string {
    const name = `${String(++this.seq).padStart(16, '0')}.${item.signal}.pb`;
    const file = path.join(this.directory, name);
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, encodedBody(item, 'proto'));
      if (this.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    return file;
  }

  /** Forget a request (exported, or given up on). */
  remove(file: string): void {
    rmSync(file, { force: true });
  }

  /** The requests left by an earlier run, oldest first, each with its file. Unreadable ones are set aside. */
  load(): { item: ExportItem; file: string }[] {
    const out = this.loadDirectory(this.directory, true);
    for (const dir of this.adopted) {
      const kept = this.loadDirectory(dir, false);
      if (kept.length > 0) this.log.info('Taking over the persisted queue of a worker that no longer runs', { directory: dir, requests: kept.length });
      out.push(...kept);
    }
    return out;
  }

  private loadDirectory(directory: string, own: boolean): { item: ExportItem; file: string }[] {
    const out: { item: ExportItem; file: string }[] = [];
    const names = readdirSync(directory).sort();
    for (const name of names) {
      const file = path.join(directory, name);
      if (name.endsWith('.tmp')) {
        // A write cut short by a crash: the producer was never answered, so nothing is lost.
        rmSync(file, { force: true });
        continue;
      }
      const m = ENTRY.exec(name);
      if (!m) continue;
      if (own) this.seq = Math.max(this.seq, Number(m[1]));
      const signal = m[2] as SignalType;
      try {
        const received = readRequest(signal, readFileSync(file), 'proto');
        out.push({ item: exportItem(received.payload), file });
      } catch (err) {
        const aside = `${file}.corrupt`;
        renameSync(file, aside);
        this.log.error('a persisted queue entry cannot be read; set aside, not retried', { file: aside, error: (err as Error).message });
      }
    }
    return out;
  }
}
