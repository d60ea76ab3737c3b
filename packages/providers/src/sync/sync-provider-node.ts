/**
 * The sync provider base of the Node entry: the platform-neutral sync loop
 * (sync-provider.ts) with `cachePath` honoured, as a file
 * ({@link FileSyncCache}). The Node HTTP and gRPC providers extend it, and
 * the Node entry exports it as `SyncPolicyProvider`, so that a provider
 * written against that class keeps its cache as before; the browser entry
 * exports the neutral class, which has no file system to keep one in.
 */
import { FileSyncCache } from './file-cache.js';
import { SyncPolicyProvider as PortableSyncPolicyProvider } from './sync-provider.js';
import type { SyncProviderOptions } from './sync-options.js';

/**
 * Base of the sync providers on Node. Subclasses implement `send` (one
 * request/response exchange over their transport); with
 * {@link SyncProviderOptions.cachePath} the last-known-good set is kept in
 * that file and read back by `loadSync()`.
 */
export abstract class SyncPolicyProvider extends PortableSyncPolicyProvider {
  constructor(id: string, options: SyncProviderOptions) {
    super(id, options, options.cachePath === undefined ? undefined : new FileSyncCache(options.cachePath));
  }
}
