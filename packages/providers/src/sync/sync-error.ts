/** A failed sync. `reportDelivered` is set when the server accepted the request (its stats count) but the answer was unusable. */
export class SyncError extends Error {
  override readonly name = 'SyncError';
  constructor(
    message: string,
    readonly reportDelivered = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
