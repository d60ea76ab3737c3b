/**
 * The sync protocol's 64-bit integers (fixed64 timestamps, int64 counters) as
 * this package handles them: decimal strings on the wire and in decoded
 * messages, plain numbers where they are compared. Kept apart from the
 * protobufjs codec (codec.ts re-exports them) so that the sync loop, which
 * runs in browsers too, does not pull in the schema.
 */

/** An int64 of a decoded message (a string, or a number) as a number; 0 when absent or malformed. */
export function int64ToNumber(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : 0;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  if (typeof v === 'bigint') return Number(v);
  return 0;
}

/** The current time as a fixed64 nanosecond timestamp string. */
export function nowUnixNano(now: number = Date.now()): string {
  return (BigInt(Math.floor(now)) * 1_000_000n).toString();
}
