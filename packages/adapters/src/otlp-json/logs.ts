import { EvalResult, LogField, RefKind, type PolicyEngine, type Transformable } from '@otel-policy/core';
import { keyValueReads, removeAttribute, renameAttribute, setAttribute } from './any-value.js';
import { logReads } from '../shared/log-reads.js';
import { attributesAt, type AttributeLevels } from '../shared/attribute-reads.js';
import type { KeyValue, LogRecord, LogsData, ResourceLogs, ScopeLogs } from './types.js';
import { BatchOutcome, countResult } from '../shared/outcome.js';
import { walkPayload } from './walk.js';

/**
 * Where one log record sits in an OTLP/JSON payload. The batch walker reuses
 * one cursor for all records, so evaluation allocates nothing per record.
 */
export interface LogCursor {
  resourceLogs: ResourceLogs;
  scopeLogs: ScopeLogs;
  record: LogRecord;
}

/** The attribute lists of a record, its resource and its scope, created on the first write. */
const writable: AttributeLevels<LogCursor, KeyValue[]> = {
  recordAttributes: (c) => (c.record.attributes ??= []),
  resourceAttributes: (c) => ((c.resourceLogs.resource ??= {}).attributes ??= []),
  scopeAttributes: (c) => ((c.scopeLogs.scope ??= {}).attributes ??= []),
};

/** The attribute lists of a record, its resource and its scope, as they are. */
const levels: AttributeLevels<LogCursor, KeyValue[]> = {
  recordAttributes: (c) => c.record.attributes,
  resourceAttributes: (c) => c.resourceLogs.resource?.attributes,
  scopeAttributes: (c) => c.scopeLogs.scope?.attributes,
};

const reads = logReads(keyValueReads, {
  ...levels,
  body: (c) => c.record.body,
  severityText: (c) => c.record.severityText,
  traceId: (c) => c.record.traceId,
  spanId: (c) => c.record.spanId,
  eventName: (c) => c.record.eventName,
  resourceSchemaUrl: (c) => c.resourceLogs.schemaUrl,
  scopeSchemaUrl: (c) => c.scopeLogs.schemaUrl,
});

/** Set `o[key]`, or delete it for `undefined` (so that the payload reads as if it was never there). */
function put<T extends object, K extends keyof T>(o: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) delete o[key];
  else o[key] = value;
}

/** Write (or, for `undefined`, delete) one log field in place. */
function writeField(c: LogCursor, code: number, value: string | undefined): void {
  const r = c.record;
  if (code === LogField.Body) put(r, 'body', value === undefined ? undefined : { stringValue: value });
  else if (code === LogField.SeverityText) put(r, 'severityText', value);
  else if (code === LogField.TraceId) put(r, 'traceId', value);
  else if (code === LogField.SpanId) put(r, 'spanId', value);
  else if (code === LogField.EventName) put(r, 'eventName', value);
  else if (code === LogField.ResourceSchemaUrl) put(c.resourceLogs, 'schemaUrl', value);
  else if (code === LogField.ScopeSchemaUrl) put(c.scopeLogs, 'schemaUrl', value);
}

/** Accessor for log records in OTLP/JSON payloads (see {@link LogCursor}). */
export const otlpJsonLogAccessor: Transformable<LogCursor> = {
  ...reads,
  remove(c, ref) {
    if (ref.kind !== RefKind.Field) return removeAttribute(attributesAt(levels, c, ref.kind), ref.path);
    const existed = reads.exists(c, ref, 0);
    writeField(c, ref.code, undefined);
    return existed;
  },
  set(c, ref, value) {
    if (ref.kind !== RefKind.Field) setAttribute(attributesAt(writable, c, ref.kind)!, ref.path, value);
    else writeField(c, ref.code, value);
  },
  rename(c, from, to) {
    const attrs = attributesAt(levels, c, from.kind);
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
  data.resourceLogs = walkPayload<ResourceLogs, ScopeLogs, LogRecord>(rls, {
    scopes: (rl) => rl.scopeLogs,
    setScopes: (rl, sls) => (rl.scopeLogs = sls),
    records: (sl) => sl.logRecords,
    setRecords: (sl, lrs) => (sl.logRecords = lrs),
    enterResource: (rl) => (cursor.resourceLogs = rl),
    enterScope: (sl) => (cursor.scopeLogs = sl),
    keep(lr) {
      cursor.record = lr;
      const r = engine.evaluateLog(cursor, accessor);
      countResult(outcome, r);
      return r < EvalResult.Dropped;
    },
  });
  return outcome;
}
