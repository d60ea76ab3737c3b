import type * as Grpc from '@grpc/grpc-js';
import { decodeSyncResponseBinary, encodeSyncRequestBinary } from './codec.js';
import { SYNC_METHOD_PATH } from '@otel-policy/proto';
import { type SyncRequestObject, type SyncResponseObject } from './messages.js';
import { SyncError } from './sync-error.js';
import { SyncPolicyProvider } from './sync-provider-node.js';
import type { SyncProviderOptions } from './sync-options.js';

/** Options for a {@link GrpcPolicyProvider}. */
export interface GrpcProviderOptions extends SyncProviderOptions {
  /** The server address, `host:port`. */
  target: string;
  /** Channel credentials (default: insecure, plaintext). */
  credentials?: Grpc.ChannelCredentials;
  /** Metadata sent with every call (e.g. `authorization`). */
  metadata?: Record<string, string>;
  /** A bearer token, sent as `authorization: Bearer <token>` metadata. */
  bearerToken?: string;
  /** grpc-js channel options (e.g. `grpc.max_reconnect_backoff_ms`). */
  channelOptions?: Grpc.ChannelOptions;
}

/** grpc-js, loaded on first use so that HTTP-only users never pay for it. */
let grpcModule: Promise<typeof Grpc> | undefined;
export function loadGrpc(): Promise<typeof Grpc> {
  grpcModule ??= import('@grpc/grpc-js').then((m) => ((m as unknown as { default?: typeof Grpc }).default ?? m) as typeof Grpc);
  return grpcModule;
}

/**
 * Policies from a sync server over gRPC (unary
 * `tero.policy.v1.PolicyService/Sync`); otherwise the same behaviour as
 * {@link HttpPolicyProvider}: poll, deliver changed sets, report deltas,
 * keep the last good set on failure, final report on shutdown, and the
 * optional last-known-good cache on disk (`cachePath`).
 */
export class GrpcPolicyProvider extends SyncPolicyProvider {
  private readonly options: GrpcProviderOptions;
  private grpc: typeof Grpc | undefined;
  private client: Grpc.Client | undefined;

  constructor(options: GrpcProviderOptions) {
    super(`grpc://${options.target}`, options);
    this.options = options;
  }

  protected override async open(): Promise<void> {
    const grpc = await loadGrpc();
    this.grpc = grpc;
    this.client = new grpc.Client(this.options.target, this.options.credentials ?? grpc.credentials.createInsecure(), this.options.channelOptions ?? {});
  }

  protected override async close(): Promise<void> {
    this.client?.close();
    this.client = undefined;
  }

  protected send(request: SyncRequestObject, signal: AbortSignal): Promise<SyncResponseObject> {
    const grpc = this.grpc;
    const client = this.client;
    if (!grpc || !client) return Promise.reject(new SyncError('gRPC provider is not started'));
    const metadata = new grpc.Metadata();
    if (this.options.bearerToken) metadata.set('authorization', `Bearer ${this.options.bearerToken}`);
    for (const [k, v] of Object.entries(this.options.metadata ?? {})) metadata.set(k, v);
    const deadline = new Date(Date.now() + (this.syncOptions.timeoutMs ?? 10_000));
    return new Promise<SyncResponseObject>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const call = client.makeUnaryRequest<SyncRequestObject, SyncResponseObject>(
        SYNC_METHOD_PATH,
        (req) => Buffer.from(encodeSyncRequestBinary(req)),
        (buf) => decodeSyncResponseBinary(buf),
        request,
        metadata,
        { deadline },
        (err, res) => {
          signal.removeEventListener('abort', onAbort);
          if (err) reject(new SyncError(`gRPC sync with ${this.options.target} failed: ${err.message}`, false, { cause: err }));
          else if (!res) reject(new SyncError(`gRPC sync with ${this.options.target} returned no response`));
          else resolve(res);
        },
      );
      const onAbort = () => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
