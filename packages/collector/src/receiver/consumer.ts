/** What receivers hand requests to, and how they are answered. */
import type { ReceivedRequest } from '../otlp/payload.js';
import type { SignalType } from '@otel-policy/proto';

export type ConsumeStatus =
  /** Accepted: enqueued (or exported, without a queue). */
  | 'ok'
  /** A sending queue is full: 429 / RESOURCE_EXHAUSTED with a retry delay. */
  | 'queue_full'
  /** The export failed after its retries: 503 / UNAVAILABLE. */
  | 'unavailable'
  /** The downstream rejected the data as invalid: 400 / INVALID_ARGUMENT. */
  | 'permanent'
  /** The service is stopping: 503 / UNAVAILABLE. */
  | 'shutting_down';

export interface ConsumeResult {
  status: ConsumeStatus;
  message?: string;
  /** Suggested client delay before retrying, seconds. */
  retryAfterSecs?: number;
}

/** Takes one decoded request of one signal. */
export type SignalConsumer = (request: ReceivedRequest) => Promise<ConsumeResult>;

/** Finds the consumer of a receiver's signal (undefined when no pipeline takes it). */
export type ConsumerLookup = (receiverId: string, signal: SignalType) => SignalConsumer | undefined;
