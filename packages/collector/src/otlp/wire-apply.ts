/**
 * Apply the engine to a located protobuf request (wire-request.ts)
 * without decoding it: policies read records in place through the
 * adapters' otlp-proto accessors, only the fields and attributes they
 * reference. A write (a transform, the sampler's threshold) decodes just the
 * part it changes, the record or the head of its resource or scope, into
 * OTLP/JSON objects, writes through the OTLP/JSON accessor, and from then on
 * that part is read from the objects; the pipeline's {@link WireEdit}
 * remembers the drops and rewritten parts for the encoder.
 */
import { BatchOutcome, countResult, otlpJsonLogAccessor, otlpJsonSpanAccessor, otlpProto, type LogCursor, type SpanCursor } from '@otel-policy/adapters';
import { EvalResult, LogField, RefKind, TraceField, type FieldRef, type Matchable, type PolicyEngine, type Transformable } from '@otel-policy/core';
import type { SignalType } from '@otel-policy/proto';
import { decodePart } from './request.js';
import type { Obj } from './shape.js';
import type { WireEdit } from './wire-edit.js';
import type { WireResource, WireScope, WireSpan } from './wire-request.js';

const RESOURCE = 0;
const SCOPE = 1;
const RECORD = 2;
type Level = typeof RESOURCE | typeof SCOPE | typeof RECORD;
const PARTS = ['resource', 'scope', 'record'] as const;

/** The OTLP/JSON cursor's keys for the resource, scope and record objects. */
type JsonCursor = LogCursor | SpanCursor;
const JSON_KEYS: Record<'logs' | 'traces', readonly [string, string, string]> = {
  logs: ['resourceLogs', 'scopeLogs', 'record'],
  traces: ['resourceSpans', 'scopeSpans', 'span'],
};

/**
 * One record of a located request: where it lies, and the OTLP/JSON objects
 * of whatever a write decoded (one cursor for the whole walk).
 */
class LazyCursor {
  readonly wire = new otlpProto.WireCursor();
  readonly json: Record<string, Obj> = {};
  /** The resource, scope and record spans, and which of them were decoded. */
  readonly spans: WireSpan[] = [];
  readonly decoded: boolean[] = [false, false, false];
  /**
   * Strings read from the resource and the scope, by reference: every record
   * under them reads the same (`service.name` for each of 500 records is
   * one read). Cleared when the level changes or is decoded for a write.
   */
  readonly strings: Map<FieldRef, string | undefined>[] = [new Map(), new Map()];

  constructor(
    readonly signal: 'logs' | 'traces',
    readonly edit: WireEdit,
  ) {}

  enter(level: Level, span: WireSpan): void {
    this.spans[level] = span;
    if (level !== RECORD) this.strings[level].clear();
    const obj = this.edit.rewritten.get(span.start);
    this.decoded[level] = obj !== undefined;
    if (obj !== undefined) this.json[JSON_KEYS[this.signal][level]] = obj;
  }

  /** Decode a level for a write (once), so that it is read and written as objects from now on. */
  decode(level: Level): void {
    if (this.decoded[level]) return;
    const span = this.spans[level];
    const obj = decodePart(this.signal, PARTS[level], this.edit.request.bytes, span.body, span.end);
    if (level !== RECORD) this.strings[level].clear();
    this.edit.rewritten.set(span.start, obj);
    this.json[JSON_KEYS[this.signal][level]] = obj;
    this.decoded[level] = true;
  }
}

/** Which level a reference reads or writes. */
type LevelOf = (ref: FieldRef) => Level;

/**
 * An accessor over a {@link LazyCursor}: reads in place until a level is
 * decoded, writes by decoding the level first. A remove or rename of
 * something absent changes nothing and decodes nothing.
 */
function lazyAccessor(wire: Matchable<otlpProto.WireCursor>, json: Transformable<JsonCursor>, levelOf: LevelOf): Transformable<LazyCursor> {
  const asJson = (c: LazyCursor) => c.json as unknown as JsonCursor;
  return {
    getString(c, ref, element) {
      const level = levelOf(ref);
      if (c.decoded[level]) return json.getString(asJson(c), ref, element);
      if (level === RECORD) return wire.getString(c.wire, ref, element);
      const cache = c.strings[level];
      if (cache.has(ref)) return cache.get(ref);
      const v = wire.getString(c.wire, ref, element);
      cache.set(ref, v);
      return v;
    },
    getTyped: (c, ref, out, element) => (c.decoded[levelOf(ref)] ? json.getTyped(asJson(c), ref, out, element) : wire.getTyped(c.wire, ref, out, element)),
    exists: (c, ref, element) => (c.decoded[levelOf(ref)] ? json.exists(asJson(c), ref, element) : wire.exists(c.wire, ref, element)),
    elementCount: (c, ref) => (c.decoded[levelOf(ref)] ? json.elementCount(asJson(c), ref) : wire.elementCount(c.wire, ref)),
    remove(c, ref) {
      const level = levelOf(ref);
      if (!c.decoded[level] && !wire.exists(c.wire, ref, 0)) return false;
      c.decode(level);
      return json.remove(asJson(c), ref);
    },
    set(c, ref, value) {
      c.decode(levelOf(ref));
      json.set(asJson(c), ref, value);
    },
    rename(c, from, to) {
      const level = levelOf(from);
      if (!c.decoded[level] && !wire.exists(c.wire, from, 0)) return;
      c.decode(level);
      json.rename(asJson(c), from, to);
    },
  };
}

/** A level for references by their kind, and by field code for the fields of a resource or scope. */
function levels(resourceFields: readonly number[], scopeFields: readonly number[]): LevelOf {
  return (ref) => {
    switch (ref.kind) {
      case RefKind.ResourceAttribute:
        return RESOURCE;
      case RefKind.ScopeAttribute:
        return SCOPE;
      case RefKind.Field:
        return resourceFields.includes(ref.code) ? RESOURCE : scopeFields.includes(ref.code) ? SCOPE : RECORD;
      default:
        return RECORD;
    }
  };
}

const logAccessor = lazyAccessor(
  otlpProto.otlpProtoLogAccessor as Matchable<otlpProto.WireCursor>,
  otlpJsonLogAccessor as Transformable<JsonCursor>,
  levels([LogField.ResourceSchemaUrl], [LogField.ScopeSchemaUrl]),
);
const spanAccessor = lazyAccessor(
  otlpProto.otlpProtoSpanAccessor as Matchable<otlpProto.WireCursor>,
  otlpJsonSpanAccessor as Transformable<JsonCursor>,
  levels([TraceField.ResourceSchemaUrl], [TraceField.ScopeSchemaUrl, TraceField.ScopeName, TraceField.ScopeVersion]),
);

/** Apply the engine's policies to a located request, recording what they did in `edit`. */
export function applyWire(signal: SignalType, engine: PolicyEngine, edit: WireEdit): BatchOutcome {
  const outcome = new BatchOutcome();
  const req = edit.request;
  edit.walked = true;
  if (signal === 'metrics') {
    const c = new otlpProto.WireCursor();
    const accessor = otlpProto.otlpProtoDataPointAccessor as Matchable<otlpProto.WireCursor>;
    for (const r of req.resources) {
      c.enterResource(req.bytes, r.body, r.end);
      for (const s of r.scopes) {
        c.enterScope(s.body, s.end);
        for (const m of s.metrics ?? []) {
          // Gone already (an earlier policy processor of the pipeline): not evaluated again.
          if (edit.isDropped(m)) continue;
          c.enterRecord(m.body, m.end);
          const kind = m.kind;
          if (m.points.length === 0) {
            c.enterPoint(m.kindField, kind?.body ?? 0, kind?.end ?? 0, -1, -1, 0);
            const result = engine.evaluateMetric(c, accessor);
            countResult(outcome, result);
            if (result >= EvalResult.Dropped) edit.drop(m);
            continue;
          }
          for (const p of m.points) {
            if (edit.isDropped(p)) continue;
            c.enterPoint(m.kindField, kind!.body, kind!.end, p.body, p.end, m.attributesField);
            const result = engine.evaluateMetric(c, accessor);
            countResult(outcome, result);
            if (result >= EvalResult.Dropped) {
              edit.drop(p);
              edit.removed++;
            }
          }
        }
      }
    }
    return outcome;
  }
  const c = new LazyCursor(signal, edit);
  const accessor = signal === 'logs' ? logAccessor : spanAccessor;
  const evaluate = signal === 'logs' ? (cur: LazyCursor) => engine.evaluateLog(cur, accessor) : (cur: LazyCursor) => engine.evaluateTrace(cur, accessor);
  const walkScope = (s: WireScope) => {
    c.enter(SCOPE, s);
    c.wire.enterScope(s.body, s.end);
    for (const r of s.records) {
      // Gone already (an earlier policy processor of the pipeline): not evaluated again.
      if (edit.isDropped(r)) continue;
      c.enter(RECORD, r);
      c.wire.enterRecord(r.body, r.end);
      const result = evaluate(c);
      countResult(outcome, result);
      // Failed open: the record passes as it came.
      if (result === EvalResult.Failed) edit.rewritten.delete(r.start);
      else if (result >= EvalResult.Dropped) {
        edit.drop(r);
        edit.removed++;
      }
    }
  };
  for (const r of req.resources as WireResource[]) {
    c.enter(RESOURCE, r);
    c.wire.enterResource(req.bytes, r.body, r.end);
    for (const s of r.scopes) walkScope(s);
  }
  return outcome;
}
