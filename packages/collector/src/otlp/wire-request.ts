/**
 * A protobuf Export request, located rather than decoded: where each
 * resource, scope and record (log record, span, metric and its data points)
 * lies in the body, found in one checking pass over the bytes (wire-check).
 * Policies then read records in place (the adapters' otlp-proto accessors),
 * and the request is written back by copying the byte ranges of everything
 * they left alone (wire-edit.ts).
 *
 * The index is read-only and shared: every pipeline fed by one request keeps
 * its own {@link WireEdit} over the same index and bytes, so fanning out to
 * several pipelines copies nothing.
 */
import { otlpSchema, type SignalType } from '@otel-policy/proto';
import { METRIC_POINT_KINDS, otlpProto } from '@otel-policy/adapters';
import { checkMessage, messageSpec, once, readField, WireCheckError, WireIrregular, type MessageSpec } from './wire-check.js';

/** A length-delimited field: its tag's start, its payload's start, its end. */
export interface WireSpan {
  start: number;
  body: number;
  end: number;
}

/** A Metric's data case and its points. */
export interface WireMetric extends WireSpan {
  /** The data case's field number in Metric (0 when it has none). */
  kindField: number;
  kind: WireSpan | undefined;
  /** The data points (field 1 of the data case), valid ones only. */
  points: WireSpan[];
  /** Which field of the points holds their attributes. */
  attributesField: number;
  /** Points rejected as invalid (their exemplars' IDs). */
  rejected: number;
}

export interface WireScope extends WireSpan {
  /** Records (log records, spans or metrics), valid ones only, in wire order. */
  records: WireSpan[];
  /** Metrics: the same records with their points. */
  metrics?: WireMetric[];
}

export interface WireResource extends WireSpan {
  scopes: WireScope[];
}

/** The field number, in Metric, of each data case, in the order OTLP/JSON readers try them. */
const DATA_CASES = METRIC_POINT_KINDS.map((k) => k.field);

/** The schema specs a request's levels are checked against. */
interface Specs {
  request: MessageSpec;
  resourceLevel: MessageSpec;
  scopeLevel: MessageSpec;
  record: MessageSpec;
}
const specsBySignal = new Map<SignalType, Specs>();
function specsOf(signal: SignalType): Specs {
  let s = specsBySignal.get(signal);
  if (!s) {
    const schema = otlpSchema()[signal];
    s = { request: messageSpec(schema.request), resourceLevel: messageSpec(schema.levels.resource), scopeLevel: messageSpec(schema.levels.scope), record: messageSpec(schema.levels.record) };
    specsBySignal.set(signal, s);
  }
  return s;
}

const REJECTED: Record<SignalType, [string, string]> = {
  logs: ['log record', 'invalid trace_id or span_id'],
  traces: ['span', 'invalid trace_id, span_id or parent_span_id (of the span or a link)'],
  metrics: ['metric data point', 'an exemplar has an invalid trace_id or span_id'],
};

/** A located protobuf Export request (see the module comment). */
export class WireRequest {
  readonly resources: WireResource[] = [];
  /** Valid records: log records, spans or metric data points. */
  records = 0;
  /** Records rejected as invalid. */
  rejected = 0;
  rejectMessage: string | undefined;

  /**
   * Check and locate `bytes`; throws {@link WireCheckError} when the body is
   * not a valid Export request of `signal`.
   */
  constructor(
    readonly signal: SignalType,
    readonly bytes: Uint8Array,
  ) {
    const specs = specsOf(signal);
    const b = bytes;
    // The request: resource levels (field 1) and anything else, checked.
    checkLevel(
      b,
      0,
      b.length,
      specs.request,
      (f) => f === 1,
      0,
      (_f, rs) => {
        const resource: WireResource = { ...rs, scopes: [] };
        this.resources.push(resource);
        checkLevel(
          b,
          rs.body,
          rs.end,
          specs.resourceLevel,
          (f) => f === 2,
          1,
          (_f, ss) => {
            const scope: WireScope = { ...ss, records: [] };
            resource.scopes.push(scope);
            checkLevel(
              b,
              ss.body,
              ss.end,
              specs.scopeLevel,
              (f) => f === 2,
              2,
              (_f, r) => {
                if (signal === 'metrics') this.metric(scope, r, specs.record);
                else if (checkMessage(b, r.body, r.end, specs.record, 3)) {
                  scope.records.push(r);
                  this.records++;
                } else this.reject(1);
              },
            );
          },
        );
      },
    );
  }

  private reject(n: number): void {
    if (n === 0) return;
    this.rejected += n;
    const [what, why] = REJECTED[this.signal];
    this.rejectMessage ??= `${what} rejected: ${why}`;
  }

  /** A Metric: its data case (as OTLP/JSON readers pick it) and its valid points, each checked on its own. */
  private metric(scope: WireScope, r: WireSpan, spec: MessageSpec): void {
    const b = this.bytes;
    const cases = new Map<number, WireSpan>();
    let rejected = 0;
    const points = new Map<number, WireSpan[]>();
    checkLevel(
      b,
      r.body,
      r.end,
      spec,
      (field) => DATA_CASES.includes(field),
      4,
      (field, s) => {
        cases.set(field, s);
        const caseSpec = spec.fields[field]!.message!;
        const pointSpec = caseSpec.fields[1]!.message!;
        const list: WireSpan[] = [];
        points.set(field, list);
        checkLevel(
          b,
          s.body,
          s.end,
          caseSpec,
          (f) => f === 1,
          5,
          (_f, p) => {
            if (checkMessage(b, p.body, p.end, pointSpec, 6)) list.push(p);
            else rejected++;
          },
        );
      },
    );
    // One data case, as OTLP means it: decoders disagree on which of several wins (and what a policy read would not be what goes out).
    if (cases.size > 1) throw new WireCheckError(`a Metric holds more than one data case (fields ${[...cases.keys()].join(', ')}); it must hold one`);
    this.reject(rejected);
    const kindField = DATA_CASES.find((f) => cases.has(f)) ?? 0;
    const kept = points.get(kindField) ?? [];
    // A metric whose every point was rejected goes too.
    if (rejected > 0 && kept.length === 0) return;
    const m: WireMetric = { ...r, kindField, kind: cases.get(kindField), points: kept, attributesField: otlpProto.POINT_ATTRIBUTES_FIELD[kindField] ?? 0, rejected };
    (scope.metrics ??= []).push(m);
    scope.records.push(r);
    this.records += kept.length;
  }
}

/**
 * Check the fields of a level `[start, end)` of `spec`, calling `child` for
 * each length-delimited field `isChild` names (checked by the caller) and
 * checking the rest here.
 */
function checkLevel(b: Uint8Array, start: number, end: number, spec: MessageSpec, isChild: (field: number) => boolean, depth: number, child: (field: number, s: WireSpan) => void): void {
  let pos = start;
  let seen = 0;
  while (pos < end) {
    // One field at a time: its tag, wire type and length here, its contents by the caller (children) or checkMessage.
    const { field, wire, tagAt, body, end: fieldEnd } = readField(b, pos, end, spec.name);
    if (wire === 2) seen = once(spec, field, seen);
    if (wire === 2 && isChild(field)) child(field, { start: tagAt, body, end: fieldEnd });
    else checkMessage(b, tagAt, fieldEnd, spec, depth);
    pos = fieldEnd;
  }
}

export { WireCheckError, WireIrregular };
