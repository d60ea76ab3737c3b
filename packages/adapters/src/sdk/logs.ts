/**
 * Accessor for log records of the OpenTelemetry JS SDK, as a
 * `LogRecordProcessor` sees them in `onEmit` (sdk-logs `ReadWriteLogRecord`,
 * formerly `SdkLogRecord`). Reads and writes mirror the OTLP/JSON accessor,
 * so a record behaves the same whether it is filtered in the SDK or in a
 * collector.
 */
import { LogField, RefKind, type FieldRef, type Transformable } from '@otel-policy/core';
import { normalizeId } from '../shared/ids.js';
import { logReads } from '../shared/log-reads.js';
import { attributesAt, type AttributeLevels } from '../shared/attribute-reads.js';
import {
  attributeMapReads,
  copyResource,
  copyScope,
  disownHolder,
  disownNested,
  isOwned,
  removeAttribute,
  renameAttribute,
  replaceProperty,
  sameAttributes,
  setAttribute,
  type AttributeMap,
  type InstrumentationScopeLike,
  type ResourceLike,
} from './attributes.js';

/** The parts of an API `SpanContext` the adapters read. */
export interface SpanContextLike {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags?: number;
  readonly isRemote?: boolean;
  readonly traceState?: { serialize(): string };
}

/**
 * The parts of an SDK log record the accessor reads and writes: the SDK 2.x
 * `ReadWriteLogRecord` (sdk-logs 0.2xx) and older `LogRecord` classes fit.
 * Defined structurally so that no SDK version is imported.
 */
export interface SdkLogRecordLike {
  body?: unknown;
  severityText?: string;
  eventName?: string;
  spanContext?: SpanContextLike;
  readonly attributes: AttributeMap;
  readonly resource: ResourceLike;
  readonly instrumentationScope: InstrumentationScopeLike;
}

/** What a record looked like before its first write (see {@link SdkLogRecordAccessor.rollback}). */
interface LogRecordSnapshot {
  readonly record: SdkLogRecordLike;
  readonly body: unknown;
  readonly severityText: string | undefined;
  readonly eventName: string | undefined;
  readonly spanContext: SpanContextLike | undefined;
  readonly resource: ResourceLike;
  readonly instrumentationScope: InstrumentationScopeLike;
  readonly attributes: [string, unknown][];
}

/** Options for an {@link SdkLogRecordAccessor}. */
export interface SdkLogRecordAccessorOptions {
  /**
   * Remember each record's state before its first write, so that
   * {@link SdkLogRecordAccessor.rollback} can restore it (the processor uses
   * this to forward a record unmodified when evaluation fails half-way).
   * Costs one snapshot per modified record; nothing on unmodified ones.
   */
  journal?: boolean;
}

const sameResource = (a: ResourceLike, b: ResourceLike): boolean => a.schemaUrl === b.schemaUrl && sameAttributes(a.attributes, b.attributes);

const sameScope = (a: InstrumentationScopeLike, b: InstrumentationScopeLike): boolean =>
  a.name === b.name &&
  a.version === b.version &&
  a.schemaUrl === b.schemaUrl &&
  (a as { droppedAttributesCount?: number }).droppedAttributesCount === (b as { droppedAttributesCount?: number }).droppedAttributesCount &&
  sameAttributes(a.attributes, b.attributes);

const reads = logReads(attributeMapReads, {
  recordAttributes: (r: SdkLogRecordLike) => r.attributes,
  resourceAttributes: (r) => r.resource?.attributes,
  scopeAttributes: (r) => r.instrumentationScope?.attributes,
  body: (r) => r.body,
  severityText: (r) => r.severityText,
  traceId: (r) => r.spanContext?.traceId,
  spanId: (r) => r.spanContext?.spanId,
  eventName: (r) => r.eventName,
  resourceSchemaUrl: (r) => r.resource?.schemaUrl,
  scopeSchemaUrl: (r) => r.instrumentationScope?.schemaUrl,
});

/** Replace one ID of the record's span context (never mutating the shared context). */
function setId(r: SdkLogRecordLike, code: number, value: string): void {
  const sc = r.spanContext;
  const traceId = code === LogField.TraceId ? value : (sc?.traceId ?? '');
  const spanId = code === LogField.SpanId ? value : (sc?.spanId ?? '');
  const next = normalizeId(traceId) === undefined && normalizeId(spanId) === undefined ? undefined : { traceFlags: 0, ...sc, traceId, spanId };
  // Older sdk-logs declare spanContext read-only.
  replaceProperty(r, 'spanContext', next);
}

/**
 * Accessor for SDK log records ({@link SdkLogRecordLike}).
 *
 * Reads: string matchers see non-empty strings only; trace and span IDs read
 * as lowercase hex from `spanContext`, all-zero meaning absent; attributes
 * exist when their key is present; nested paths walk maps.
 *
 * Writes change the record in place (record attributes, body, severity text,
 * event name). Writes to resource or scope attributes or schema URLs never
 * touch the shared `Resource` or scope: the record gets its own copy on its
 * first such write (unlike OTLP, where a change applies to every record of
 * that resource). Trace and span ID writes replace the record's span context.
 * Writes go straight to the attribute maps: the SDK's attribute count and
 * length limits, applied when the record was emitted, do not apply to what
 * policies write. See the attributes module for key order and nested-map
 * copy rules.
 *
 * Call {@link SdkLogRecordAccessor.commit} (or `rollback`) after evaluating a
 * record that may have been written: it lets records transformed alike share
 * one resource or scope copy, and drops the accessor's reference to the record.
 */
export class SdkLogRecordAccessor implements Transformable<SdkLogRecordLike> {
  private readonly journal: boolean;
  /** The record the writes in progress belong to. */
  private current: SdkLogRecordLike | undefined;
  private snapshot: LogRecordSnapshot | undefined;
  /** The shared resource / scope the current record's private copy was made from. */
  private resourceFrom: ResourceLike | undefined;
  private scopeFrom: InstrumentationScopeLike | undefined;
  /** Per shared resource / scope, the last committed copy, for records modified alike to share. */
  private readonly resourceCopies = new WeakMap<ResourceLike, ResourceLike>();
  private readonly scopeCopies = new WeakMap<InstrumentationScopeLike, InstrumentationScopeLike>();

  constructor(options: SdkLogRecordAccessorOptions = {}) {
    this.journal = options.journal ?? false;
  }

  // Reads are the same for every representation (shared/log-reads); only writes are the SDK's own.
  readonly getString = reads.getString;
  readonly getTyped = reads.getTyped;
  readonly exists = reads.exists;
  readonly elementCount = reads.elementCount;

  remove(r: SdkLogRecordLike, ref: FieldRef): boolean {
    const existed = this.exists(r, ref, 0);
    if (ref.kind !== RefKind.Field) {
      if (!existed) return false;
      this.beforeWrite(r);
      return removeAttribute(attributesAt(this.writable, r, ref.kind)!, ref.path);
    }
    // A field is cleared even when it reads as absent (an empty body).
    this.beforeWrite(r);
    this.writeField(r, ref.code, undefined);
    return existed;
  }

  set(r: SdkLogRecordLike, ref: FieldRef, value: string): void {
    this.beforeWrite(r);
    if (ref.kind !== RefKind.Field) {
      const attrs = attributesAt(this.writable, r, ref.kind);
      if (attrs) setAttribute(attrs, ref.path, value);
    } else this.writeField(r, ref.code, value);
  }

  rename(r: SdkLogRecordLike, from: FieldRef, to: string): void {
    if (!this.exists(r, from, 0)) return;
    this.beforeWrite(r);
    const attrs = attributesAt(this.writable, r, from.kind);
    if (attrs) renameAttribute(attrs, from.path, to);
  }

  /**
   * Finish the writes made to `record`. A resource or scope copy it got is
   * replaced by the previous record's copy of the same shared object when
   * both are equal, so that records transformed alike share one copy (the
   * OTLP exporter groups records by resource and scope identity). The copy
   * is read-only from then on: a later write copies it again.
   */
  commit(record: SdkLogRecordLike): void {
    if (this.current === record) {
      if (this.resourceFrom !== undefined) {
        const shared = this.share(this.resourceCopies, this.resourceFrom, record.resource, sameResource);
        if (shared !== record.resource) replaceProperty(record, 'resource', shared);
      }
      if (this.scopeFrom !== undefined) {
        const shared = this.share(this.scopeCopies, this.scopeFrom, record.instrumentationScope, sameScope);
        if (shared !== record.instrumentationScope) replaceProperty(record, 'instrumentationScope', shared);
      }
    }
    this.reset();
  }

  /**
   * Undo the writes made to `record` (journal mode only): fields,
   * attributes, resource and scope are restored. Returns whether anything
   * was restored. Ends the record's writes like {@link commit}.
   */
  rollback(record: SdkLogRecordLike): boolean {
    const s = this.snapshot;
    this.reset();
    if (s === undefined || s.record !== record) return false;
    record.body = s.body;
    record.severityText = s.severityText;
    record.eventName = s.eventName;
    if (record.spanContext !== s.spanContext) replaceProperty(record, 'spanContext', s.spanContext);
    if (record.resource !== s.resource) replaceProperty(record, 'resource', s.resource);
    if (record.instrumentationScope !== s.instrumentationScope) replaceProperty(record, 'instrumentationScope', s.instrumentationScope);
    const attrs = record.attributes;
    for (const key of Object.keys(attrs)) delete attrs[key];
    for (const [key, value] of s.attributes) attrs[key] = value;
    return true;
  }

  private reset(): void {
    this.current = undefined;
    this.snapshot = undefined;
    this.resourceFrom = undefined;
    this.scopeFrom = undefined;
  }

  private share<T extends { readonly attributes?: AttributeMap }>(copies: WeakMap<T, T>, from: T, copy: T, same: (a: T, b: T) => boolean): T {
    disownHolder(copy);
    const last = copies.get(from);
    if (last !== undefined && same(last, copy)) return last;
    copies.set(from, copy);
    return copy;
  }

  private beforeWrite(r: SdkLogRecordLike): void {
    if (this.current === r) return;
    this.reset();
    this.current = r;
    if (!this.journal) return;
    // Objects an earlier evaluation created would be written in place; make
    // this one copy them again, so that the snapshot stays intact.
    disownNested(r.attributes);
    disownHolder(r.resource);
    disownHolder(r.instrumentationScope);
    this.snapshot = {
      record: r,
      body: r.body,
      severityText: r.severityText,
      eventName: r.eventName,
      spanContext: r.spanContext,
      resource: r.resource,
      instrumentationScope: r.instrumentationScope,
      attributes: Object.entries(r.attributes),
    };
  }

  /** The record's own resource: a private copy of the shared one, made on the first write. */
  private ownResource(r: SdkLogRecordLike): ResourceLike {
    let res = r.resource;
    if (!isOwned(res)) {
      this.resourceFrom ??= res;
      res = copyResource(res);
      replaceProperty(r, 'resource', res);
    }
    return res;
  }

  /** The record's own instrumentation scope: a private copy of the shared one, made on the first write. */
  private ownScope(r: SdkLogRecordLike): InstrumentationScopeLike {
    let scope = r.instrumentationScope;
    if (!isOwned(scope)) {
      this.scopeFrom ??= scope;
      scope = copyScope(scope);
      replaceProperty(r, 'instrumentationScope', scope);
    }
    return scope;
  }

  /** The attribute maps to write: the record's own, or its private copy of the resource's or scope's. */
  private readonly writable: AttributeLevels<SdkLogRecordLike, AttributeMap> = {
    recordAttributes: (r) => r.attributes,
    resourceAttributes: (r) => this.ownResource(r).attributes,
    scopeAttributes: (r) => this.ownScope(r).attributes,
  };

  /** Write (or, for `undefined`, clear) one log field; resource and scope fields go to the record's own copies. */
  private writeField(r: SdkLogRecordLike, code: number, value: string | undefined): void {
    switch (code) {
      case LogField.Body:
        r.body = value;
        break;
      case LogField.SeverityText:
        r.severityText = value;
        break;
      case LogField.TraceId:
      case LogField.SpanId:
        if (value !== undefined || r.spanContext !== undefined) setId(r, code, value ?? '');
        break;
      case LogField.EventName:
        r.eventName = value;
        break;
      case LogField.ResourceSchemaUrl:
        if (value !== undefined || r.resource?.schemaUrl !== undefined) replaceProperty(this.ownResource(r), 'schemaUrl', value);
        break;
      case LogField.ScopeSchemaUrl:
        if (value !== undefined || r.instrumentationScope?.schemaUrl !== undefined) replaceProperty(this.ownScope(r), 'schemaUrl', value);
        break;
    }
  }
}

/**
 * A shared {@link SdkLogRecordAccessor} without journal, for evaluating SDK
 * log records directly (`engine.evaluateLog(record, sdkLogRecordAccessor)`).
 */
export const sdkLogRecordAccessor: SdkLogRecordAccessor = new SdkLogRecordAccessor();
