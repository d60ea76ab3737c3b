/**
 * Policies from a local file or directory.
 *
 * The hard part is deciding when a changed file is complete. A writer that
 * rewrites a file in place (truncate, write, maybe pause, write more) leaves
 * prefixes of the new file on disk, and a prefix of a policy file is often
 * valid YAML that simply lacks its last policies: a redact transform, say.
 * Taking it would let through exactly what the policies exist to stop. So a
 * file changed in place is taken only once it has held still (same size,
 * same modification time to the nanosecond, same content) for a settle
 * interval; a file renamed into place is complete by construction and is
 * taken as soon as the rename is seen. Watching is done on directories (the
 * parent, or the nearest ancestor that exists; the directory itself for a
 * directory of policies), so that rename-over, deletion and late creation
 * are all seen as events; polling is only the fallback for file systems
 * without events.
 */
import { statSync, watch, type BigIntStats, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { type PolicyProvider, type PolicyProviderListener, type PolicySet } from '@otel-policy/core';
import { POLICY_FILE, DEFAULT_SETTLE_MS, DEFAULT_DEBOUNCE_MS, RENAME_EVENTS_ARE_RELIABLE, type FileRead, type Snapshot, snapshot, runSync, runAsync, parseSnapshot } from './file-snapshot.js';

/** Options for a {@link FilePolicyProvider}. */
export interface FileProviderOptions {
  /** Provider id (for diagnostics and merging); defaults to the path. */
  id?: string;
  /** A policy file (JSON or YAML), or a directory of them (*.json, *.yaml, *.yml). */
  path: string;
  /** Watch for changes (default true). */
  watch?: boolean;
  /** Polling interval in seconds, the fallback when file events are missed (default 5; 0 disables). */
  pollIntervalSecs?: number;
  /**
   * Quiet time after a file-system event before looking, in ms (default
   * 100): tools write and rename in several steps. A file renamed into place
   * is taken after two looks this far apart agree.
   */
  debounceMs?: number;
  /**
   * How long a file changed in place must hold still (size, modification
   * time and content all unchanged) before it is taken, in ms (default
   * 1000). A writer that pauses longer than this in the middle of a write
   * can have its partial file taken; write to a temporary file and rename it
   * into place to have changes taken at once and never partially.
   */
  settleMs?: number;
}

/**
 * Policies from a file or directory, reloaded when it changes.
 *
 * How to change the policies:
 * - Write the new file under a temporary name in the same directory and
 *   rename it over the old one (what `mv`, config-management tools and
 *   atomic-write libraries do): the change is taken as soon as the rename
 *   is seen, about two `debounceMs` later.
 * - Anything else (a file written in place, as many editors do; a swapped
 *   symlink, as in a Kubernetes ConfigMap volume) is taken only after it
 *   has held still for `settleMs` (default 1 s), so a half-written file is
 *   never taken unless its writer pauses longer than that mid-write.
 * - In a directory of policy files the whole set must hold still; files
 *   renamed into an existing directory are taken at once, a directory that
 *   appears or is replaced waits for the settle interval.
 *
 * A missing file or directory is reported (once) and picked up when it
 * appears; a broken edit is reported once per distinct error and the last
 * good set stays in force. Changes are seen through file-system events on
 * the directories involved, with polling as a fallback.
 */
export class FilePolicyProvider implements PolicyProvider {
  readonly id: string;
  private readonly root: string;
  private readonly target: string;
  private readonly settleMs: number;
  private readonly debounceMs: number;
  private readonly watching: boolean;
  private listener: PolicyProviderListener | undefined;
  /** What is in force from this provider (delivered by start or returned by loadSync). */
  private inForce: { content: string; files: Map<string, FileRead>; eventSeq: number } | undefined;
  /** The last state acted on (delivered, rejected or reported): nothing to do while it stays. */
  private settledKey: string | undefined;
  /** Error messages reported since the last good set, so that each is reported once. */
  private readonly reported = new Set<string>();
  /** A changed state waiting to prove it holds still. */
  private pending: { key: string; stamp: string; since: number } | undefined;
  /** Per policy file (absolute path): sequence numbers of its last 'rename' and 'change' events. */
  private readonly events = new Map<string, { rename: number; change: number }>();
  private eventSeq = 0;
  private readonly watchers = new Map<string, { watcher: FSWatcher; id: string }>();
  private loadSyncCalled = false;
  private eventTimer: NodeJS.Timeout | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: FileProviderOptions) {
    this.id = options.id ?? options.path;
    this.root = options.path;
    this.target = path.resolve(options.path);
    this.settleMs = Math.max(options.settleMs ?? DEFAULT_SETTLE_MS, 0);
    this.debounceMs = Math.max(options.debounceMs ?? DEFAULT_DEBOUNCE_MS, 1);
    this.watching = options.watch !== false;
  }

  /**
   * Read and parse the file or directory now, synchronously. Throws an
   * Error naming the path (or the file that does not parse); the error
   * counts as reported, so `start` does not report it again. The set
   * returned is not delivered again by `start`; a change made after this
   * call is delivered by `start` under the usual rules (rename: promptly;
   * in place: once it has held still).
   *
   * If a writer is rewriting the file at this instant, what is on disk is
   * taken as long as it parses: a synchronous load cannot wait for the file
   * to settle, and the complete version replaces it once written. Only this
   * first load can be partial; reloads never are.
   */
  loadSync(): PolicySet {
    this.loadSyncCalled = true;
    let snap: Snapshot;
    try {
      snap = runSync(snapshot(this.root));
    } catch (err) {
      this.settledKey = `error\0${(err as Error).message}`;
      this.reported.add((err as Error).message);
      throw err;
    }
    const key = `content\0${snap.content}`;
    let set: PolicySet;
    try {
      set = parseSnapshot(snap);
    } catch (err) {
      this.settledKey = key;
      this.reported.add((err as Error).message);
      throw err;
    }
    this.settledKey = key;
    this.reported.clear();
    this.inForce = { content: snap.content, files: new Map(snap.files.map((f) => [f.file, f])), eventSeq: this.eventSeq };
    return set;
  }

  /**
   * Deliver the current set (unless `loadSync` already returned it) and
   * watch for changes. Resolves after the first read. Without `loadSync`,
   * the first read is taken as it is if it parses (as for `loadSync`).
   */
  async start(listener: PolicyProviderListener): Promise<void> {
    this.listener = listener;
    // Watch before the first read, so that no change between the two is missed.
    this.syncWatches();
    await this.read(this.loadSyncCalled && this.watching ? 'change' : 'first');
    if (!this.watching || this.stopped) return;
    const poll = this.options.pollIntervalSecs ?? 5;
    if (poll > 0) {
      this.poller = setInterval(() => void this.read('change'), poll * 1000);
      this.poller.unref();
    }
  }

  /**
   * Look at the source now, as a file-system event would make it. A change
   * is delivered under the usual rules, so possibly after this resolves.
   */
  reload(): Promise<void> {
    return this.read('change');
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.eventTimer);
    clearTimeout(this.recheckTimer);
    clearInterval(this.poller);
    for (const { watcher } of this.watchers.values()) watcher.close();
    this.watchers.clear();
    await this.reading;
  }

  /** Serialised with every other read (events, polls, settle rechecks). */
  private read(mode: 'first' | 'change'): Promise<void> {
    // An unexpected failure must not break the chain (later reads would never run): report it, fail open.
    this.reading = this.reading.then(() => this.check(mode)).catch((err: unknown) => this.report(err instanceof Error ? err : new Error(String(err))));
    return this.reading;
  }

  private async check(mode: 'first' | 'change'): Promise<void> {
    if (this.stopped || !this.listener) return;
    this.syncWatches();
    // Events up to here happened before the read: a rename among them is reflected in what is read.
    const seq = this.eventSeq;
    let snap: Snapshot | undefined;
    let error: Error | undefined;
    try {
      snap = await runAsync(snapshot(this.root));
    } catch (err) {
      error = err as Error;
    }
    if (this.stopped) return;
    this.forgetEvents(snap, seq);
    const key = snap ? `content\0${snap.content}` : `error\0${error!.message}`;

    if (snap && this.inForce?.content === snap.content) {
      // Unchanged, or back to what is in force: nothing to deliver, and later errors are news again.
      this.inForce.files = new Map(snap.files.map((f) => [f.file, f]));
      this.inForce.eventSeq = seq;
      this.settledKey = key;
      this.reported.clear();
      this.pending = undefined;
      return;
    }
    if (key === this.settledKey) {
      this.pending = undefined;
      return;
    }
    if (mode === 'first') {
      // Nothing is in force yet, and start() must report its first attempt.
      // If a writer is in the middle of this file right now, its partial
      // content is taken if it parses; the complete file replaces it once it
      // has held still. Later changes never take this path.
      this.act(key, snap, error, seq);
      return;
    }

    const now = performance.now();
    const stamp = snap ? snap.stamp : key;
    const same = this.pending !== undefined && this.pending.key === key && this.pending.stamp === stamp && !snap?.moving;
    if (!same) this.pending = { key, stamp, since: now };
    const heldFor = now - this.pending!.since;
    const renamed = snap !== undefined && !snap.moving && this.renamedIntoPlace(snap);
    if (heldFor >= this.settleMs || (renamed && same && heldFor >= this.debounceMs)) {
      this.pending = undefined;
      this.act(key, snap, error, seq);
      return;
    }
    // Look again once the interval that would let it through has passed.
    this.recheck(Math.max(renamed ? this.debounceMs - heldFor : this.settleMs - heldFor, 1));
  }

  /**
   * Whether every policy file that differs from what is in force arrived by
   * rename: a new inode, a 'rename' event for its name since the set in
   * force was read, no 'change' event (a write) after that, and not empty.
   * A file created in place shows a 'rename' (its creation) followed by
   * 'change' events (its writes), so it does not qualify. Removed files
   * qualify (removal is atomic).
   */
  private renamedIntoPlace(snap: Snapshot): boolean {
    if (!RENAME_EVENTS_ARE_RELIABLE) return false;
    const since = this.inForce?.eventSeq ?? 0;
    for (const f of snap.files) {
      const before = this.inForce?.files.get(f.file);
      if (before && before.id === f.id && before.text === f.text) continue;
      if (before?.id === f.id || f.text.length === 0) return false;
      const ev = this.events.get(path.resolve(f.file));
      if (!ev || ev.rename <= since || ev.change > ev.rename) return false;
    }
    return true;
  }

  /** Drop the event records of files that are gone (names come and go in a busy directory); keep any newer than this read. */
  private forgetEvents(snap: Snapshot | undefined, seq: number): void {
    if (this.events.size === 0) return;
    const present = new Set(snap?.files.map((f) => path.resolve(f.file)));
    for (const [file, ev] of this.events) {
      if (!present.has(file) && ev.rename <= seq && ev.change <= seq) this.events.delete(file);
    }
  }

  private act(key: string, snap: Snapshot | undefined, error: Error | undefined, seq: number): void {
    this.settledKey = key;
    if (!snap) {
      this.report(error!);
      return;
    }
    let set: PolicySet;
    try {
      set = parseSnapshot(snap);
    } catch (err) {
      this.report(err as Error);
      return;
    }
    this.inForce = { content: snap.content, files: new Map(snap.files.map((f) => [f.file, f])), eventSeq: seq };
    this.reported.clear();
    try {
      this.listener!.onPolicies(set);
    } catch (err) {
      this.report(err as Error);
    }
  }

  private report(error: Error): void {
    if (this.reported.has(error.message)) return;
    this.reported.add(error.message);
    this.listener?.onError?.(error);
  }

  private recheck(ms: number): void {
    if (this.stopped || !this.watching) return;
    clearTimeout(this.recheckTimer);
    this.recheckTimer = setTimeout(() => void this.read('change'), ms);
    this.recheckTimer.unref();
  }

  /** A look `debounceMs` after the first of a burst of events (not reset by later ones, so a busy directory cannot starve it). */
  private onEvent(dir: string, event: string, name: string | Buffer | null): void {
    if (this.stopped) return;
    if (name !== null) {
      const full = path.join(dir, name.toString());
      const relevant = full === this.target || (path.dirname(full) === this.target && POLICY_FILE.test(full));
      if (relevant) {
        const seen = this.events.get(full) ?? { rename: 0, change: 0 };
        if (event === 'rename') seen.rename = ++this.eventSeq;
        else seen.change = ++this.eventSeq;
        this.events.set(full, seen);
      }
    }
    if (this.eventTimer) return;
    this.eventTimer = setTimeout(() => {
      this.eventTimer = undefined;
      void this.read('change');
    }, this.debounceMs);
    this.eventTimer.unref();
  }

  /**
   * Keep directory watches on: the nearest existing ancestor of the path
   * (its parent once that exists: creation, deletion and rename-over of the
   * path show up there), and the path itself when it is a directory (its
   * files' changes). A directory replaced or deleted is watched anew.
   * Watching a directory rather than the file keeps working when the file
   * is replaced by rename, which would leave a watch on the file stale.
   */
  private syncWatches(): void {
    if (!this.watching || this.stopped) return;
    const want = new Map<string, string>();
    const statOf = (p: string): BigIntStats | undefined => {
      try {
        return statSync(p, { bigint: true, throwIfNoEntry: false });
      } catch {
        return undefined; // a parent is not a directory, no permission: nothing to watch there
      }
    };
    for (let dir = path.dirname(this.target); ;) {
      const st = statOf(dir);
      if (st?.isDirectory()) {
        want.set(dir, `${st.dev}:${st.ino}`);
        break;
      }
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
    const self = statOf(this.target);
    if (self?.isDirectory()) want.set(this.target, `${self.dev}:${self.ino}`);
    for (const [dir, w] of this.watchers) {
      if (want.get(dir) === w.id) continue;
      w.watcher.close();
      this.watchers.delete(dir);
    }
    for (const [dir, id] of want) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, (event, name) => this.onEvent(dir, event, name));
        watcher.on('error', () => {
          // The directory went away (or the watch broke): look again, which re-establishes watches.
          watcher.close();
          if (this.watchers.get(dir)?.watcher === watcher) this.watchers.delete(dir);
          this.onEvent(dir, 'rename', null);
        });
        this.watchers.set(dir, { watcher, id });
      } catch {
        // No file events here (some network file systems, watch limits reached): polling covers it.
      }
    }
  }
}
