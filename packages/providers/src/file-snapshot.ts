/**
 * Reading a policy file or directory once, as a snapshot of identities and
 * texts: the operations are yielded so the same walk runs synchronously
 * (at construction) or asynchronously (on change).
 */
import { readdirSync, readFileSync, statSync, type BigIntStats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parsePolicyText, type PolicySet } from '@otel-policy/core';

export const POLICY_FILE = /\.(json|ya?ml)$/i;

/**
 * Default settle interval. Pauses inside a write come from buffered writers
 * flushing in chunks, shell pipelines waiting on their producer, editors'
 * multi-step saves and network file systems; they are typically tens to a
 * few hundred ms (the red-team writer paused 300 ms). One second is several
 * times that, yet keeps an in-place edit applying within about a second.
 */
export const DEFAULT_SETTLE_MS = 1000;
export const DEFAULT_DEBOUNCE_MS = 100;

/**
 * Whether fs.watch reports a file's creation or rename ('rename') apart from
 * writes to it ('change'), one event per kernel event: inotify on Linux and
 * ReadDirectoryChangesW on Windows do. macOS FSEvents coalesces a creation
 * and the writes after it into one 'rename', which would make a file
 * created and written in place look renamed into place; there (and
 * elsewhere) every change waits for the settle interval.
 */
export const RENAME_EVENTS_ARE_RELIABLE = process.platform === 'linux' || process.platform === 'win32';

/** One policy file as read: its identity (device and inode) and its text. */
export interface FileRead {
  file: string;
  id: string;
  text: string;
}

/** The source as read once. */
export interface Snapshot {
  /** Names and texts of the policy files: what a delivered set is made of. */
  content: string;
  /** Names, identities, sizes and times: changes on any write, replace or touch. */
  stamp: string;
  files: FileRead[];
  /** A file changed while it was read, or vanished after it was listed. */
  moving: boolean;
}

/** A file-system operation, run synchronously (loadSync) or asynchronously (start). */
export type Op = { op: 'stat'; p: string } | { op: 'readdir'; p: string } | { op: 'read'; p: string };

export const BIGINT = { bigint: true } as const;

export function stampOf(file: string, st: BigIntStats): string {
  return `${file}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

export function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** One line for a failed read: the path, and what is wrong, without Node's syscall noise. */
export function readError(p: string, err: unknown): Error {
  const code = codeOf(err);
  const why =
    code === 'ENOENT'
      ? 'no such file or directory'
      : code === 'ENOTDIR'
        ? 'a parent is not a directory'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : ((err as Error | undefined)?.message ?? String(err)).split('\n')[0];
  return new Error(`cannot read policies from ${p}: ${why}`);
}

/**
 * Read the source once: the file, or the directory's policy files in name
 * order. A file whose stamp differs before and after its read is read again
 * (a few times), then reported as moving.
 */
export function* snapshot(root: string): Generator<Op, Snapshot, unknown> {
  let rootStat: BigIntStats;
  try {
    rootStat = (yield { op: 'stat', p: root }) as BigIntStats;
  } catch (err) {
    throw readError(root, err);
  }
  let names: string[];
  if (rootStat.isDirectory()) {
    try {
      names = ((yield { op: 'readdir', p: root }) as string[]).filter((n) => POLICY_FILE.test(n)).sort();
    } catch (err) {
      throw readError(root, err);
    }
    names = names.map((n) => path.join(root, n));
  } else {
    names = [root];
  }
  const files: FileRead[] = [];
  const stamps: string[] = [];
  let moving = false;
  for (const file of names) {
    let read: { text: string; before: BigIntStats; after: BigIntStats } | undefined;
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const before = (yield { op: 'stat', p: file }) as BigIntStats;
        const text = (yield { op: 'read', p: file }) as string;
        const after = (yield { op: 'stat', p: file }) as BigIntStats;
        read = { text, before, after };
        if (stampOf(file, before) === stampOf(file, after)) break;
      }
    } catch (err) {
      // Listed a moment ago and gone now: the directory is changing under us.
      if (file !== root && codeOf(err) === 'ENOENT') {
        moving = true;
        continue;
      }
      throw readError(file, err);
    }
    if (!read) continue;
    if (stampOf(file, read.before) !== stampOf(file, read.after)) moving = true;
    stamps.push(stampOf(file, read.after));
    files.push({ file, id: `${read.after.dev}:${read.after.ino}`, text: read.text });
  }
  return { content: files.map((f) => `${f.file}\0${f.text}`).join('\0'), stamp: stamps.join('\0'), files, moving };
}

export function runSync<T>(gen: Generator<Op, T, unknown>): T {
  let step = gen.next();
  while (!step.done) {
    const op = step.value;
    let result: unknown;
    try {
      result = op.op === 'stat' ? statSync(op.p, BIGINT) : op.op === 'readdir' ? readdirSync(op.p) : readFileSync(op.p, 'utf8');
    } catch (err) {
      step = gen.throw(err);
      continue;
    }
    step = gen.next(result);
  }
  return step.value;
}

export async function runAsync<T>(gen: Generator<Op, T, unknown>): Promise<T> {
  let step = gen.next();
  while (!step.done) {
    const op = step.value;
    let result: unknown;
    try {
      result = op.op === 'stat' ? await stat(op.p, BIGINT) : op.op === 'readdir' ? await readdir(op.p) : await readFile(op.p, 'utf8');
    } catch (err) {
      step = gen.throw(err);
      continue;
    }
    step = gen.next(result);
  }
  return step.value;
}

export function parseSnapshot(snap: Snapshot): PolicySet {
  return { policies: snap.files.flatMap((f) => parsePolicyText(f.text, { source: f.file }).policies) };
}
