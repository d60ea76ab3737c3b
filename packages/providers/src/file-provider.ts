import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parsePolicyText, type PolicyProvider, type PolicyProviderListener, type PolicySet } from '@otel-policy/core';

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
   * Quiet time after a change event before reloading, in ms (default 100).
   * A change is also delivered only once two reads this far apart agree, so
   * that a file caught in the middle of a rewrite (truncated, half written)
   * is never taken for the new policies.
   */
  debounceMs?: number;
}

const POLICY_FILE = /\.(json|ya?ml)$/i;

/**
 * Policies from a file or directory, reloaded when it changes: file-system
 * events (debounced, as editors write in several steps) with a polling
 * fallback. A broken edit is reported and the last good set stays in force.
 */
export class FilePolicyProvider implements PolicyProvider {
  readonly id: string;
  private listener: PolicyProviderListener | undefined;
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private lastContent: string | undefined;
  /** Changed content seen once, delivered when the next read agrees. */
  private candidate: string | undefined;
  private confirm: NodeJS.Timeout | undefined;
  private firstReadDone = false;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: FileProviderOptions) {
    this.id = options.id ?? options.path;
  }

  async start(listener: PolicyProviderListener): Promise<void> {
    this.listener = listener;
    await this.read(true);
    if (this.options.watch === false) return;
    this.startWatching();
    const poll = this.options.pollIntervalSecs ?? 5;
    if (poll > 0) {
      this.poller = setInterval(() => void this.read(false), poll * 1000);
      this.poller.unref();
    }
  }

  private startWatching(): void {
    try {
      // Watch the directory: editors often replace a file by renaming a new one over it.
      const target = this.options.path;
      this.watcher = watch(target, { persistent: false }, () => this.schedule());
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
      const dir = path.dirname(target);
      const base = path.basename(target);
      const dirWatcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || name === base || POLICY_FILE.test(String(name))) this.schedule();
      });
      dirWatcher.on('error', () => dirWatcher.close());
      const prevClose = this.watcher.close.bind(this.watcher);
      this.watcher.close = () => {
        dirWatcher.close();
        prevClose();
      };
    } catch {
      // No file events here (some network file systems): polling covers it.
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.read(false), this.options.debounceMs ?? 100);
    this.debounce.unref();
  }

  /** Read and deliver now, if the content changed. Serialised with the watcher's and poller's reads. */
  reload(): Promise<void> {
    return this.read(true);
  }

  /** `immediate`: deliver a change at once; otherwise only once a second read agrees (see `debounceMs`). */
  private read(immediate: boolean): Promise<void> {
    this.reading = this.reading.then(() => this.readOnce(immediate));
    return this.reading;
  }

  private async readOnce(immediate: boolean): Promise<void> {
    if (this.stopped || !this.listener) return;
    const atOnce = immediate || !this.firstReadDone;
    this.firstReadDone = true;
    try {
      const files = await this.files();
      const texts = await Promise.all(files.map(async (f) => [f, await readFile(f, 'utf8')] as const));
      const content = texts.map(([f, t]) => `${f}\0${t}`).join('\0');
      if (content === this.lastContent) {
        this.candidate = undefined;
        return;
      }
      // The first load is taken at once; later changes must hold still for one debounce period.
      if (!atOnce && content !== this.candidate) {
        this.candidate = content;
        this.scheduleConfirm();
        return;
      }
      this.candidate = undefined;
      const set: PolicySet = { policies: texts.flatMap(([f, t]) => parsePolicyText(t, { source: f }).policies) };
      this.lastContent = content;
      this.listener.onPolicies(set);
    } catch (err) {
      this.candidate = undefined;
      this.listener.onError?.(err as Error);
    }
  }

  private scheduleConfirm(): void {
    if (this.stopped) return;
    clearTimeout(this.confirm);
    this.confirm = setTimeout(() => void this.read(false), Math.max(this.options.debounceMs ?? 100, 1));
    this.confirm.unref();
  }

  private async files(): Promise<string[]> {
    const p = this.options.path;
    const st = await stat(p);
    if (!st.isDirectory()) return [p];
    const names = (await readdir(p)).filter((n) => POLICY_FILE.test(n)).sort();
    return names.map((n) => path.join(p, n));
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.debounce);
    clearTimeout(this.confirm);
    clearInterval(this.poller);
    this.watcher?.close();
    await this.reading;
  }
}
