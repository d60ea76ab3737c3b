import { EvalResult, LogField, RefKind, type FieldRef, type PolicyEngine, type Transformable, type TypedValue } from '@otel-policy/core';
import { anyValuePresent, anyValueString, findAttribute, normalizeId, readAnyValue, removeAttribute, renameAttribute, setAttribute } from './any-value.js';
import type { KeyValue, LogRecord, LogsData, ResourceLogs, ScopeLogs } from './types.js';
import { BatchOutcome, countResult } from './outcome.js';

/**
 * Where one log record sits in an OTLP/JSON payload. The batch walker reuses
 * one cursor for all records, so evaluation allocates nothing per record.
 */
export interface LogCursor {
  resourceLogs: ResourceLogs;
  scopeLogs: ScopeLogs;
  record: LogRecord;
}

function attrsOf(c: LogCursor, kind: number, create: boolean): KeyValue[] | undefined {
  switch (kind) {
    case RefKind.RecordAttribute:
      if (create) c.record.attributes ??= [];
      return c.record.attributes;
    case RefKind.ResourceAttribute:
      if (create) (c.resourceLogs.resource ??= {}).attributes ??= [];
      return c.resourceLogs.resource?.attributes;
    case RefKind.ScopeAttribute:
      if (create) (c.scopeLogs.scope ??= {}).attributes ??= [];
      return c.scopeLogs.scope?.attributes;
    default:
      return undefined;
  }
}

function fieldString(c: LogCursor, code: number): string | undefined {
  switch (code) {
    case LogField.Body:
      return anyValueString(c.record.body);
    case LogField.SeverityText:
      return c.record.severityText || undefined;
    case LogField.TraceId:
      return normalizeId(c.record.traceId);
    case LogField.SpanId:
      return normalizeId(c.record.spanId);
    case LogField.EventName:
      return c.record.eventName || undefined;
    case LogField.ResourceSchemaUrl:
      return c.resourceLogs.schemaUrl || undefined;
    case LogField.ScopeSchemaUrl:
      return c.scopeLogs.schemaUrl || undefined;
    default:
      return undefined;
  }
}

/** Accessor for log records in OTLP/JSON payloads (see {@link LogCursor}). */
export const otlpJsonLogAccessor: Transformable<LogCursor> = {
  getString(c, ref) {
    if (ref.kind === RefKind.Field) return fieldString(c, ref.code);
    return anyValueString(findAttribute(attrsOf(c, ref.kind, false), ref.path)?.value);
  },
  getTyped(c, ref, out: TypedValue) {
    if (ref.kind === RefKind.Field) {
      if (ref.code === LogField.Body) return readAnyValue(c.record.body, out);
      const s = fieldString(c, ref.code);
      if (s === undefined) return;
      if (ref.bytes) out.setBytesHex(s);
      else out.setString(s);
      return;
    }
    readAnyValue(findAttribute(attrsOf(c, ref.kind, false), ref.path)?.value, out);
  },
  exists(c, ref) {
    if (ref.kind === RefKind.Field) {
      if (ref.code === LogField.Body) return anyValuePresent(c.record.body);
      return fieldString(c, ref.code) !== undefined;
    }
    return findAttribute(attrsOf(c, ref.kind, false), ref.path) !== undefined;
  },
  elementCount() {
    return 0;
  },
  remove(c, ref) {
    if (ref.kind !== RefKind.Field) return removeAttribute(attrsOf(c, ref.kind, false), ref.path);
    const existed = this.exists(c, ref, 0);
    const r = c.record;
    switch (ref.code) {
      case LogField.Body:
        delete r.body;
        break;
      case LogField.SeverityText:
        delete r.severityText;
        break;
      case LogField.TraceId:
        delete r.traceId;
        break;
      case LogField.SpanId:
        delete r.spanId;
        break;
      case LogField.EventName:
        delete r.eventName;
        break;
      case LogField.ResourceSchemaUrl:
        delete c.resourceLogs.schemaUrl;
        break;
      case LogField.ScopeSchemaUrl:
        delete c.scopeLogs.schemaUrl;
        break;
    }
    return existed;
  },
  set(c, ref, value) {
    if (ref.kind !== RefKind.Field) {
      setAttribute(attrsOf(c, ref.kind, true)!, ref.path, value);
      return;
    }
    const r = c.record;
    switch (ref.code) {
      case LogField.Body:
        r.body = { stringValue: value };
        break;
      case LogField.SeverityText:
        r.severityText = value;
        break;
      case LogField.TraceId:
        r.traceId = value;
        break;
      case LogField.SpanId:
        r.spanId = value;
        break;
      case LogField.EventName:
        r.eventName = value;
        break;
      case LogField.ResourceSchemaUrl:
        c.resourceLogs.schemaUrl = value;
        break;
      case LogField.ScopeSchemaUrl:
        c.scopeLogs.schemaUrl = value;
        break;
    }
  },
  rename(c, from: FieldRef, to) {
    const attrs = attrsOf(c, from.kind, false);
    if (attrs) renameAttribute(attrs, from.path, to);
  },
};

/**
 * Apply the engine's log policies to an OTLP/JSON logs payload in place:
 * dropped records are removed, scopes and resources left empty are pruned,
 * kept records are transformed. `accessor` may wrap the default one (the
 * collector's marks what it writes).
 */
export function applyToLogs(engine: PolicyEngine, data: LogsData, accessor: Transformable<LogCursor> = otlpJsonLogAccessor): BatchOutcome {
  const outcome = new BatchOutcome();
  const rls = data.resourceLogs;
  if (!Array.isArray(rls)) return outcome;
  const cursor = {} as LogCursor;
  const keptResources: ResourceLogs[] = [];
  for (const rl of rls) {
    if (!rl) continue;
    cursor.resourceLogs = rl;
    const keptScopes: ScopeLogs[] = [];
    for (const sl of rl.scopeLogs ?? []) {
      if (!sl) continue;
      cursor.scopeLogs = sl;
      const records = sl.logRecords ?? [];
      const kept: LogRecord[] = [];
      for (const lr of records) {
        cursor.record = lr;
        const r = engine.evaluateLog(cursor, accessor);
        countResult(outcome, r);
        if (r < EvalResult.Dropped) kept.push(lr);
      }
      if (kept.length > 0) {
        // Untouched lists keep their identity (the collector re-encodes only what changed).
        if (kept.length !== records.length) sl.logRecords = kept;
        keptScopes.push(sl);
      }
    }
    if (keptScopes.length > 0) {
      rl.scopeLogs = keptScopes;
      keptResources.push(rl);
    }
  }
  data.resourceLogs = keptResources;
  return outcome;
}
