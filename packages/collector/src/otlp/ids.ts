/**
 * Identifiers and timestamps on the way in and out: OTLP/JSON writes trace
 * and span IDs as hex (protobuf as bytes) and 64-bit times as decimal
 * strings. The walkers visit every record that carries one, fix it in
 * place, and remove (counting) the records where it is invalid.
 */
import { arr, filterInPlace, isObj, POINT_KINDS, type Obj } from './shape.js';
import type { SignalType } from '@otel-policy/proto';

/** Identifier fields: byte length by key. */
const TRACE_ID = 16;
const SPAN_ID = 8;

/** Fixes one identifier field in place; false when it is invalid (the record is rejected). */
export type IdFix = (holder: Obj, key: string, len: number) => boolean;
/** Converts one timestamp field in place (logs and traces). */
export type TimeFix = (holder: Obj, key: string) => void;

export class Rejections {
  count = 0;
  message: string | undefined;
  reject(what: string, why: string): void {
    this.count++;
    this.message ??= `${what} rejected: ${why}`;
  }
}

// ---------------------------------------------------------------------------
// Walkers over the records that carry identifiers. Each calls `fix` on every
// identifier and removes (counting) the records where it fails.

function idsOk(holder: Obj, fix: IdFix, keys: readonly (readonly [string, number])[]): boolean {
  for (const [key, len] of keys) {
    if (holder[key] !== undefined && !fix(holder, key, len)) return false;
  }
  return true;
}

const LOG_IDS = [
  ['traceId', TRACE_ID],
  ['spanId', SPAN_ID],
] as const;
const SPAN_IDS = [
  ['traceId', TRACE_ID],
  ['spanId', SPAN_ID],
  ['parentSpanId', SPAN_ID],
] as const;
const LINK_IDS = LOG_IDS;
const EXEMPLAR_IDS = LOG_IDS;

/**
 * Keep the records of a logs or traces payload (`resource.scope.records`)
 * that `keep` accepts, in place; what is not an object is left for the
 * decoder to refuse.
 */
function filterRecords(data: Obj, resources: string, scopes: string, records: string, keep: (record: Obj) => boolean): void {
  for (const r of arr(data[resources]) ?? []) {
    if (!isObj(r)) continue;
    for (const s of arr(r[scopes]) ?? []) {
      if (!isObj(s)) continue;
      const list = arr(s[records]);
      if (list) filterInPlace(list, (v) => !isObj(v) || keep(v));
    }
  }
}

const LOG_TIMES = ['timeUnixNano', 'observedTimeUnixNano'];
const SPAN_TIMES = ['startTimeUnixNano', 'endTimeUnixNano'];

function walkLogs(data: Obj, fix: IdFix, rej: Rejections, time?: TimeFix): void {
  filterRecords(data, 'resourceLogs', 'scopeLogs', 'logRecords', (r) => {
    if (time) for (const key of LOG_TIMES) time(r, key);
    if (idsOk(r, fix, LOG_IDS)) return true;
    rej.reject('log record', 'invalid trace_id or span_id');
    return false;
  });
}

function walkTraces(data: Obj, fix: IdFix, rej: Rejections, time?: TimeFix): void {
  filterRecords(data, 'resourceSpans', 'scopeSpans', 'spans', (s) => {
    if (time) {
      for (const key of SPAN_TIMES) time(s, key);
      for (const e of arr(s.events) ?? []) if (isObj(e)) time(e, 'timeUnixNano');
    }
    const ok = idsOk(s, fix, SPAN_IDS) && (arr(s.links) ?? []).every((l) => !isObj(l) || idsOk(l, fix, LINK_IDS));
    if (!ok) rej.reject('span', 'invalid trace_id, span_id or parent_span_id (of the span or a link)');
    return ok;
  });
}

function walkMetrics(data: Obj, fix: IdFix, rej: Rejections): void {
  for (const rm of arr(data.resourceMetrics) ?? []) {
    if (!isObj(rm)) continue;
    for (const sm of arr(rm.scopeMetrics) ?? []) {
      if (!isObj(sm)) continue;
      for (const m of arr(sm.metrics) ?? []) {
        if (!isObj(m)) continue;
        for (const kind of POINT_KINDS) {
          const body = m[kind];
          if (!isObj(body)) continue;
          const points = arr(body.dataPoints);
          if (!points) continue;
          filterInPlace(points, (p) => {
            if (!isObj(p)) return true;
            for (const e of arr(p.exemplars) ?? []) {
              if (isObj(e) && !idsOk(e, fix, EXEMPLAR_IDS)) {
                rej.reject('metric data point', 'an exemplar has an invalid trace_id or span_id');
                return false;
              }
            }
            return true;
          });
        }
      }
    }
  }
}

export function walk(signal: SignalType, data: Obj, fix: IdFix, rej: Rejections, time?: TimeFix): void {
  if (signal === 'logs') walkLogs(data, fix, rej, time);
  else if (signal === 'traces') walkTraces(data, fix, rej, time);
  else walkMetrics(data, fix, rej);
}

const HEX = /^[0-9a-fA-F]*$/;

/** OTLP/JSON hex identifier -> bytes (before `fromObject`). Empty means absent. */
export const hexToBytes: IdFix = (holder, key, len) => {
  const v = holder[key];
  if (v === null || v === '') {
    delete holder[key];
    return true;
  }
  if (typeof v !== 'string' || v.length !== len * 2 || !HEX.test(v)) return false;
  holder[key] = Buffer.from(v, 'hex');
  return true;
};

/** A Buffer (from `toObject` without `bytes`) -> lowercase hex, checking the length. Empty means absent. */
export const bufferToHex: IdFix = (holder, key, len) => {
  const v = holder[key] as Uint8Array;
  if (v.length === 0) {
    delete holder[key];
    return true;
  }
  if (v.length !== len) return false;
  holder[key] = Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex');
  return true;
};

/** An unsigned 64-bit value from its 32-bit halves, as a decimal string. */
export function u64String(low: number, high: number): string {
  return high < 0x200000 ? String(high * 4294967296 + low) : ((BigInt(high) << 32n) | BigInt(low)).toString();
}

/** A decimal string as the {low, high} halves protobufjs's writer accepts, or undefined when it is not a uint64. */
export function u64Bits(s: string): { low: number; high: number } | undefined {
  if (s.length < 16) {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 0 || s.trim() !== s || s === '') return undefined;
    return { low: n >>> 0, high: Math.floor(n / 4294967296) >>> 0 };
  }
  if (!/^\d+$/.test(s)) return undefined;
  const b = BigInt(s);
  if (b >= 1n << 64n) return undefined;
  return { low: Number(b & 0xffffffffn), high: Number(b >> 32n) };
}

/** A Long (from `toObject` without `longs`) -> decimal string. */
export const longToString: TimeFix = (holder, key) => {
  const v = holder[key] as { low: number; high: number } | string | number | undefined;
  if (typeof v === 'object' && v !== null) holder[key] = u64String(v.low >>> 0, v.high >>> 0);
};

/** base64 (from `toObject`) -> lowercase hex, checking the length. Empty means absent. */
export const base64ToHex: IdFix = (holder, key, len) => {
  const v = holder[key] as string;
  if (v === '') {
    delete holder[key];
    return true;
  }
  const bytes = Buffer.from(v, 'base64');
  if (bytes.length !== len) return false;
  holder[key] = bytes.toString('hex');
  return true;
};
