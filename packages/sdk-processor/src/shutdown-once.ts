/**
 * An idempotent shutdown, in the manner of the SDK's `BindOnceFuture`
 * (which `@opentelemetry/core`, an optional peer here, exports): the first
 * `call` runs the shutdown, every call returns its promise. Shared by the
 * log and span processors and the metric exporter.
 */
export class ShutdownOnce {
  private promise: Promise<void> | undefined;

  constructor(private readonly run: () => Promise<void>) {}

  /** Whether shutdown has begun (records that arrive later are ignored). */
  get isCalled(): boolean {
    return this.promise !== undefined;
  }

  /** Begin the shutdown on the first call; return its promise on every call. */
  call(): Promise<void> {
    this.promise ??= this.run();
    return this.promise;
  }
}
