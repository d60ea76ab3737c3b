import { HeldRecords } from './held-records.js';
import { ShutdownOnce } from './shutdown-once.js';
import { releasePolicies, resolvePolicies, type PolicyConfig, type PolicyHandle } from './policy-source.js';

/** What a policy processor forwards to: the user's own processors. */
export interface FlushableDelegate {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * What the log and span policy processors share: the processors they forward
 * to, the policies they evaluate, the records held while the first policy
 * set loads (`H`), and how all of them are flushed and shut down.
 */
export abstract class DelegatingPolicyProcessor<D extends FlushableDelegate, H> {
  protected readonly delegates: readonly D[];
  protected readonly handle: PolicyHandle;
  /** Records waiting for the first policy set (see {@link PolicyConfig.whileLoading}). */
  protected readonly held: HeldRecords<H>;
  private readonly ownsHandle: boolean;
  /** Begun by {@link shutdown}; records that arrive later are ignored. */
  protected readonly shutdownOnce = new ShutdownOnce(async () => {
    await this.held.settle();
    this.held.close();
    await Promise.all([...this.delegates.map((d) => d.shutdown()), this.ownsHandle ? releasePolicies(this.handle) : undefined]);
  });

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
    this.held = new HeldRecords<H>(handle.gate, (item) => this.releaseHeld(item));
  }

  /** Evaluate a record held while the policies loaded and forward what is kept. */
  protected abstract releaseHeld(item: H): void;

  /** The policies this processor evaluates (e.g. to wait for `ready` or read stats). */
  get policies(): PolicyHandle {
    return this.handle;
  }

  /**
   * Release the records held while the policies load (waiting for the first
   * set within the hold bound), then flush every delegate.
   */
  async forceFlush(): Promise<void> {
    await this.held.settle();
    await Promise.all(this.delegates.map((d) => d.forceFlush()));
  }

  /**
   * Release held records to the delegates (evaluated once the first set is
   * in, waiting within the hold bound), then shut down every delegate, and
   * the policy source when this processor created it (not a shared
   * {@link PolicyHandle}). Later records are ignored. Idempotent.
   */
  shutdown(): Promise<void> {
    return this.shutdownOnce.call();
  }
}
