/** Receiver self-metrics, named as the Collector names them. */
import { RECORD_NAME } from '../exporter/item.js';
import type { SignalType } from '@otel-policy/proto';
import type { Counter, MetricsRegistry } from '../telemetry/metrics.js';

export class ReceiverMetrics {
  private readonly acceptedBy: Record<SignalType, Counter>;
  private readonly refusedBy: Record<SignalType, Counter>;
  private readonly admissionRefused: Counter;
  private readonly authRefused: Counter;

  constructor(metrics: MetricsRegistry) {
    const family = (what: string, help: string) => {
      const out = {} as Record<SignalType, Counter>;
      for (const s of ['logs', 'traces', 'metrics'] as const) out[s] = metrics.counter(`otelcol_receiver_${what}_${RECORD_NAME[s]}_total`, help.replace('%', RECORD_NAME[s].replace('_', ' ')));
      return out;
    };
    this.acceptedBy = family('accepted', 'Number of % successfully pushed into the pipeline');
    this.refusedBy = family('refused', 'Number of % that could not be pushed into the pipeline (invalid, queue full, export failed)');
    this.admissionRefused = metrics.counter(
      'otelcol_receiver_admission_refused_requests_total',
      'Requests refused because the receiver held its limit of in-flight bytes (admission.request_limit_mib)',
    );
    this.authRefused = metrics.counter('otelcol_receiver_unauthenticated_requests_total', "Requests refused because their credentials were missing or not accepted by the receiver's authenticator");
  }

  /** A request refused by the receiver's authenticator (nothing of it was read). */
  refusedAuth(receiver: string, transport: string): void {
    this.authRefused.add({ receiver, transport }, 1);
  }

  /** A request refused by admission control (its records are unknown: it was not read). */
  refusedAdmission(receiver: string, transport: string): void {
    this.admissionRefused.add({ receiver, transport }, 1);
  }

  accepted(receiver: string, transport: string, signal: SignalType, n: number): void {
    this.acceptedBy[signal].add({ receiver, transport }, n);
  }

  refused(receiver: string, transport: string, signal: SignalType, n: number): void {
    this.refusedBy[signal].add({ receiver, transport }, n);
  }
}
