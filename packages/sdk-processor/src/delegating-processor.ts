import { resolvePolicies, type PolicyConfig, type PolicyHandle } from './policy-source.js';

/** What a policy processor forwards to: the user's own processors. */
export interface FlushableDelegate {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * What the log and span policy processors share: the processors they forward
 * to, the policies they evaluate, and how both are flushed and shut down.
 */
export abstract class DelegatingPolicyProcessor<D extends FlushableDelegate> {
  protected readonly delegates: readonly D[];
  protected readonly handle: PolicyHandle;
  private readonly ownsHandle: boolean;
  /** Set by {@link shutdown}; records that arrive later are ignored. */
  protected shutdownPromise: Promise<void> | undefined;

  /**
   * @param delegate the processor(s) that receive what the policies keep
   * @param config where the policies come from (a file path is watched for
   *   changes; a {@link PolicyHandle} is shared and not shut down by this
   *   processor), plus optional stats metrics and regex engine
   */
  protected constructor(delegate: D | readonly D[], config: PolicyConfig) {
    this.delegates = Array.isArray(delegate) ? [...(delegate as readonly D[])] : [delegate as D];
    const { handle, owned } = resolvePolicies(config);
    this.handle = handle;
    this.ownsHandle = owned;
  }

  /** The policies this processor evaluates (e.g. to wait for `ready` or read stats). */
  get policies(): PolicyHandle {
    return this.handle;
  }

  /** Flush every delegate. */
  async forceFlush(): Promise<void> {
    await Promise.all(this.delegates.map((d) => d.forceFlush()));
  }

  /**
   * Shut down every delegate, and the policy source when this processor
   * created it (not a shared {@link PolicyHandle}). Later records are
   * ignored. Idempotent.
   */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= Promise.all([
      ...this.delegates.map((d) => d.shutdown()),
      this.ownsHandle ? this.handle.shutdown() : undefined,
    ]).then(() => undefined);
    return this.shutdownPromise;
  }
}
