/**
 * Admission control: one bound on the bytes of the requests a receiver holds
 * at once (bodies as received and as decompressed, until each request is
 * answered), shared by its HTTP and gRPC protocols. The per-request limits
 * (`max_request_body_size`, `max_recv_msg_size_mib`) stop one request from
 * being large; without this bound, many concurrent requests each under its
 * limit (90 gzip bombs inflating to 20 MiB each) still take gigabytes. A
 * request that does not fit is refused at once with 429 / RESOURCE_EXHAUSTED
 * (the client retries later) instead of waiting: waiting would hold its
 * socket and compressed bytes anyway.
 *
 * Bytes are taken as they arrive (a streamed body grows its lease chunk by
 * chunk), so a refusal happens before the memory is used. A request larger
 * than the whole limit is still admitted when nothing else is in flight, so
 * the limit never makes a valid request impossible.
 */

/** A receiver's shared budget of in-flight bytes. */
export class AdmissionBudget {
  /** Bytes held by requests in flight. */
  used = 0;
  /** Requests holding bytes. */
  private holders = 0;

  constructor(readonly limit: number) {}

  /** A lease for one request; release it once the request is answered. */
  lease(): AdmissionLease {
    return new AdmissionLease(this);
  }

  /** @internal */
  tryTake(lease: AdmissionLease, n: number): boolean {
    const alone = this.holders === 0 || (this.holders === 1 && lease.held > 0);
    if (this.used + n > this.limit && !alone) return false;
    if (lease.held === 0 && n > 0) this.holders++;
    this.used += n;
    return true;
  }

  /** @internal */
  giveBack(n: number): void {
    this.used -= n;
    this.holders--;
  }
}

/** The bytes one request holds. */
export class AdmissionLease {
  held = 0;

  constructor(private readonly budget: AdmissionBudget) {}

  /** Take `n` more bytes; false (taking nothing) when they do not fit. */
  take(n: number): boolean {
    if (n <= 0) return true;
    if (!this.budget.tryTake(this, n)) return false;
    this.held += n;
    return true;
  }

  /** Give everything back (idempotent). */
  release(): void {
    if (this.held === 0) return;
    this.budget.giveBack(this.held);
    this.held = 0;
  }
}

/** The 429 / RESOURCE_EXHAUSTED message. */
export const admissionMessage = (limit: number): string => `too much data in flight: the receiver holds its limit of ${limit} bytes (admission.request_limit_mib); retry later`;
