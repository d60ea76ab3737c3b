/**
 * A request on its way through a pipeline, in the form it arrived in.
 * Protobuf requests are located, not decoded ({@link WirePayload}): policies
 * read them in place and they go out as their original bytes minus what was
 * dropped, with only rewritten parts encoded again. OTLP/JSON requests are
 * objects ({@link ObjectPayload}), as they were parsed. Each pipeline works on
 * its own payload; {@link Payload.copy} gives the next one its own.
 */
import { applyToLogs, applyToMetrics, applyToTraces, type BatchOutcome, type LogsData, type MetricsData, type TracesData } from '@otel-policy/adapters';
import type { PolicyEngine } from '@otel-policy/core';
import type { SignalType } from '@otel-policy/proto';
import { applyWire } from './wire-apply.js';
import { countRecords } from './count.js';
import { decodeRequest, encodePart, encodeRequest, OtlpDecodeError } from './request.js';
import { CONTAINERS, type Encoding, type Obj, type OtlpData } from './shape.js';
import { WireEdit } from './wire-edit.js';
import { WireCheckError, WireIrregular, WireRequest } from './wire-request.js';
import { otlpSchema } from '@otel-policy/proto';

export interface Payload {
  readonly signal: SignalType;
  /** Records (log records, spans, data points) left. */
  readonly records: number;
  /** Apply a policy engine in place; returns what happened to the records. */
  applyPolicies(engine: PolicyEngine): BatchOutcome;
  /** An independent copy, for another pipeline. */
  copy(): Payload;
  /** Resources left (nothing to export when 0). */
  resources(): number;
  /** Whether nothing is left to export. */
  isEmpty(): boolean;
  /** The request as an Export request body. */
  encode(encoding: Encoding): Uint8Array;
  /** The request as OTLP/JSON objects (for the debug exporter). */
  toData(): OtlpData;
}

/** A protobuf request, located (see wire-request.ts) and edited in place. */
export class WirePayload implements Payload {
  private readonly edit: WireEdit;
  private encoded: { bytes: Uint8Array; resources: number } | undefined;

  constructor(readonly request: WireRequest) {
    this.edit = new WireEdit(request);
  }

  get signal(): SignalType {
    return this.request.signal;
  }

  get records(): number {
    return this.request.records - this.edit.removed;
  }

  applyPolicies(engine: PolicyEngine): BatchOutcome {
    this.encoded = undefined;
    return applyWire(this.signal, engine, this.edit);
  }

  copy(): Payload {
    return new WirePayload(this.request);
  }

  private spliced(): { bytes: Uint8Array; resources: number } {
    return (this.encoded ??= this.edit.encode(encodePart));
  }

  resources(): number {
    return this.spliced().resources;
  }

  isEmpty(): boolean {
    return this.resources() === 0;
  }

  encode(encoding: Encoding): Uint8Array {
    const bytes = this.spliced().bytes;
    return encoding === 'proto' ? bytes : Buffer.from(JSON.stringify(this.toData()));
  }

  toData(): OtlpData {
    return decodeRequest(this.signal, this.spliced().bytes, 'proto').data;
  }
}

/** An OTLP/JSON request, as parsed. */
export class ObjectPayload implements Payload {
  constructor(
    readonly signal: SignalType,
    private readonly data: OtlpData,
    private count: number,
  ) {}

  get records(): number {
    return this.count;
  }

  applyPolicies(engine: PolicyEngine): BatchOutcome {
    const d = this.data;
    const outcome = this.signal === 'logs' ? applyToLogs(engine, d as LogsData) : this.signal === 'traces' ? applyToTraces(engine, d as TracesData) : applyToMetrics(engine, d as MetricsData);
    // Metrics: a metric without points counts as an evaluation, not a record; recount.
    this.count = this.signal === 'metrics' ? countRecords(this.signal, d) : this.count - outcome.removed;
    return outcome;
  }

  copy(): Payload {
    return new ObjectPayload(this.signal, structuredClone(this.data), this.count);
  }

  resources(): number {
    const list = (this.data as Obj)[CONTAINERS[this.signal][0]];
    return Array.isArray(list) ? list.length : 0;
  }

  isEmpty(): boolean {
    return this.resources() === 0;
  }

  encode(encoding: Encoding): Uint8Array {
    return encodeRequest(this.signal, this.data, encoding);
  }

  toData(): OtlpData {
    return this.data;
  }
}

/** A received request, ready for the pipelines. */
export interface ReceivedRequest {
  payload: Payload;
  /** Records accepted (log records, spans, metric data points). */
  records: number;
  /** Records rejected as invalid (reported as partial success). */
  rejected: number;
  /** Why records were rejected (the first reason). */
  rejectMessage?: string;
}

/**
 * Take in an Export request body: protobuf is checked and located (nothing
 * decoded), OTLP/JSON is parsed and checked. Throws {@link OtlpDecodeError}
 * (and nothing else) when the body is not a valid request; records with
 * invalid identifiers are left out and counted as rejected.
 */
export function readRequest(signal: SignalType, body: Uint8Array, encoding: Encoding): ReceivedRequest {
  if (encoding === 'json') {
    const d = decodeRequest(signal, body, encoding);
    return { payload: new ObjectPayload(signal, d.data, d.records), records: d.records, rejected: d.rejected, rejectMessage: d.rejectMessage };
  }
  let req: WireRequest;
  try {
    req = new WireRequest(signal, body);
  } catch (err) {
    if (err instanceof WireIrregular) {
      // Valid, but not to be read in place: decoded, evaluated and re-encoded whole.
      const d = decodeRequest(signal, body, encoding);
      return { payload: new ObjectPayload(signal, d.data, d.records), records: d.records, rejected: d.rejected, rejectMessage: d.rejectMessage };
    }
    const reason = err instanceof WireCheckError ? err.message : String((err as Error)?.message ?? err);
    throw new OtlpDecodeError(`cannot decode the protobuf ${otlpSchema()[signal].request.name}: ${reason}`);
  }
  return { payload: new WirePayload(req), records: req.records, rejected: req.rejected, rejectMessage: req.rejectMessage };
}
