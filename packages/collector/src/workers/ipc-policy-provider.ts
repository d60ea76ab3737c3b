import type { PolicyProvider, PolicyProviderListener, PolicySet } from '@otel-policy/core';

/**
 * A worker's stand-in for one configured provider: the primary runs the
 * real provider (one fetch, one watch, one sync report for all workers) and
 * forwards each set here. `start` resolves at the first delivery (a set or
 * the first attempt's failure), as the real provider's does, so a worker
 * accepts no record before the policies the primary had.
 */
export class IpcPolicyProvider implements PolicyProvider {
  private listener: PolicyProviderListener | undefined;
  /** A set delivered before `start` (handed over when it is called). */
  private early: PolicySet | undefined;
  private first!: () => void;
  private readonly started = new Promise<void>((resolve) => (this.first = resolve));

  constructor(readonly id: string) {}

  start(listener: PolicyProviderListener): Promise<void> {
    this.listener = listener;
    if (this.early !== undefined) listener.onPolicies(this.early);
    this.early = undefined;
    return this.started;
  }

  /**
   * A delivery from the primary: a set, or none (the first attempt failed;
   * the primary reports and counts provider errors, once for the service).
   */
  deliver(set: PolicySet | undefined): void {
    if (set !== undefined) {
      if (this.listener) this.listener.onPolicies(set);
      else this.early = set;
    }
    this.first();
  }

  async shutdown(): Promise<void> {
    this.first();
  }
}
