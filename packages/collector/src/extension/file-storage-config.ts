/**
 * The `file_storage` extension, in the Collector's shape: a directory where
 * components keep state across restarts. Here it holds the sending queues
 * that name it (`sending_queue.storage`).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { at, type Checker } from '../config/values.js';

export interface FileStorageConfig {
  id: string;
  type: 'file_storage';
  /** Absolute path of the directory. */
  directory: string;
  /** `create_directory`: create it when missing (default false: it must exist). */
  createDirectory: boolean;
  /** `fsync`: flush every write to the disk (survives a power loss, not only a crash). */
  fsync: boolean;
}

/** The Collector's default directory. */
const DEFAULT_DIRECTORY = '/var/lib/otelcol/file_storage';

export function fileStorage(c: Checker, v: unknown, p: string, id: string, configDir: string): FileStorageConfig | undefined {
  const o = c.object(v, p, ['directory', 'create_directory', 'fsync'], ['timeout', 'compaction', 'directory_permissions', 'recreate']);
  if (!o) return undefined;
  const directory = path.resolve(configDir, c.string(o.directory, at(p, 'directory'), { nonEmpty: true }) ?? DEFAULT_DIRECTORY);
  const createDirectory = c.bool(o.create_directory, at(p, 'create_directory'), false);
  if (!createDirectory) {
    if (!existsSync(directory)) c.error(at(p, 'directory'), `no such directory: ${directory} (create it, or set create_directory: true)`);
    else if (!statSync(directory).isDirectory()) c.error(at(p, 'directory'), `is not a directory: ${directory}`);
  }
  return { id, type: 'file_storage', directory, createDirectory, fsync: c.bool(o.fsync, at(p, 'fsync'), false) };
}
