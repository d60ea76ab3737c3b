/**
 * Lowering: one parsed matcher into the form the match index stores (a string
 * pattern, an existence test, a typed test, or a check over a multi-valued
 * field), with the numeric comparison rules of the reference engines.
 */
import type { FieldSelector, MatchCondition, Matcher, NumericLiteral, Signal, ValueLiteral } from '../policy/types.js';
import { RefKind, type FieldRef, type FieldRefTable } from '../match/field-ref.js';
import { PatternSet, type Pattern, type PatternKind } from '../match/pattern-set.js';
import type { RegexBackend } from '../match/regex-backend.js';
import { compileRe2 } from '../match/re2.js';
import { ValueKind, type TypedValue } from '../match/accessor.js';
import type { MultiCheck, TypedTest } from './types.js';

/** A matcher lowered to the form the index stores. */
export type Lowered =
  | { kind: 'string'; ref: FieldRef; pattern: Pattern; negate: boolean }
  | { kind: 'exists'; ref: FieldRef; mustExist: boolean }
  | { kind: 'typed'; ref: FieldRef; test: TypedTest; negate: boolean }
  | { kind: 'multi'; ref: FieldRef; negate: boolean; condition: MultiCheck['condition'] };

const ENUM_REF_KINDS: ReadonlySet<RefKind> = new Set([RefKind.MetricType, RefKind.AggregationTemporality, RefKind.SpanKind, RefKind.SpanStatus]);

function enumValue(sel: FieldSelector | undefined): string {
  return sel && 'value' in sel && typeof sel.value === 'string' ? sel.value : '';
}

const STRING_KINDS: Record<string, PatternKind> = {
  exact: 'exact',
  regex: 'regex',
  starts_with: 'prefix',
  ends_with: 'suffix',
  contains: 'contains',
};

/**
 * Lower one matcher, or return an error message (without location prefix).
 * A matcher on a multi-valued field gets its own pattern set on the
 * configured regex backend.
 */
export function lowerMatcher(m: Matcher, signal: Signal, refs: FieldRefTable, backend: RegexBackend): Lowered | string {
  const ref = refs.resolve(signal, m.field);
  if (typeof ref === 'string') return ref;
  if (ENUM_REF_KINDS.has(ref.kind)) {
    // span_kind, span_status, metric_type and temporality are implicit equality.
    return { kind: 'string', ref, pattern: { kind: 'exact', value: enumValue(m.field), ci: false }, negate: m.negate };
  }
  const cond = m.match;
  if (cond === undefined) return 'no match condition';
  if (cond.kind === 'invalid') return cond.reason;
  const lowered = lowerCondition(cond, ref, m.caseInsensitive);
  if (typeof lowered === 'string') return lowered;
  if (ref.multi) {
    const condition: MultiCheck['condition'] =
      lowered.kind === 'string'
        ? { kind: 'string', patterns: new PatternSet([lowered.pattern], backend) }
        : lowered.kind === 'exists'
          ? { kind: 'exists', want: lowered.want }
          : { kind: 'typed', test: lowered.test };
    return { kind: 'multi', ref, negate: m.negate, condition };
  }
  if (lowered.kind === 'exists') return { kind: 'exists', ref, mustExist: lowered.want !== m.negate };
  if (lowered.kind === 'string') return { kind: 'string', ref, pattern: lowered.pattern, negate: m.negate };
  return { kind: 'typed', ref, test: lowered.test, negate: m.negate };
}

type LoweredCondition = { kind: 'string'; pattern: Pattern } | { kind: 'exists'; want: boolean } | { kind: 'typed'; test: TypedTest };

function lowerCondition(cond: Exclude<MatchCondition, { kind: 'invalid' }>, ref: FieldRef, ci: boolean): LoweredCondition | string {
  switch (cond.kind) {
    case 'exists':
      return { kind: 'exists', want: cond.value };
    case 'regex': {
      const re = compileRe2(cond.value, ci);
      if (!re.ok) return `invalid regex ${JSON.stringify(cond.value)}`;
      return { kind: 'string', pattern: { kind: 'regex', value: cond.value, ci, re: re.re } };
    }
    case 'exact':
    case 'starts_with':
    case 'ends_with':
    case 'contains':
      // Identifiers read as lowercase hex; a literal written in upper case still matches.
      return { kind: 'string', pattern: { kind: STRING_KINDS[cond.kind], value: ref.bytes ? cond.value.toLowerCase() : cond.value, ci } };
    case 'equals':
      return lowerEquals(cond.value, ref, ci);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return lowerComparison(cond.kind, cond.value);
  }
}

function lowerEquals(v: ValueLiteral, ref: FieldRef, ci: boolean): LoweredCondition | string {
  switch (v.type) {
    case 'string':
      return { kind: 'string', pattern: { kind: 'exact', value: ref.bytes ? v.value.toLowerCase() : v.value, ci } };
    case 'bool': {
      const want = v.value;
      return { kind: 'typed', test: (x) => x.kind === ValueKind.Bool && x.bool === want };
    }
    case 'int':
    case 'double': {
      const cmp = numericComparator(v);
      return { kind: 'typed', test: (x) => cmp(x) === 0 };
    }
    case 'hex': {
      const hex = v.hex.trim().toLowerCase();
      if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) return `invalid hex_value ${JSON.stringify(v.hex)}`;
      return { kind: 'typed', test: (x) => x.kind === ValueKind.Bytes && x.str === hex };
    }
    case 'bytes': {
      const hex = base64ToHex(v.base64);
      if (hex === undefined) return `invalid bytes_value ${JSON.stringify(v.base64)}: not base64`;
      return { kind: 'typed', test: (x) => x.kind === ValueKind.Bytes && x.str === hex };
    }
    case 'unset':
      return 'equals: value is unset';
  }
}

function lowerComparison(kind: 'gt' | 'gte' | 'lt' | 'lte', v: NumericLiteral): LoweredCondition | string {
  if (v.type === 'unset') return `${kind}: value is unset`;
  const cmp = numericComparator(v);
  switch (kind) {
    case 'gt':
      return { kind: 'typed', test: (x) => cmp(x) > 0 };
    case 'gte':
      return { kind: 'typed', test: (x) => cmp(x) >= 0 };
    case 'lt':
      return { kind: 'typed', test: (x) => cmp(x) < 0 };
    case 'lte':
      return { kind: 'typed', test: (x) => cmp(x) <= 0 };
  }
}

/**
 * Compare a record's numeric value with a literal in one numeric domain
 * (int64 exactly, doubles as doubles). NaN for a non-numeric value, so every
 * comparison with it is false.
 */
export function numericComparator(lit: { type: 'int'; value: bigint } | { type: 'double'; value: number }): (x: TypedValue) => number {
  if (lit.type === 'double') {
    const d = lit.value;
    return (x) => {
      if (x.kind !== ValueKind.Int && x.kind !== ValueKind.Double) return Number.NaN;
      if (x.kind === ValueKind.Int && x.big !== null && Number.isFinite(d)) {
        // An int64 beyond 2^53 is compared exactly, not after rounding to a double.
        const di = BigInt(Math.trunc(d));
        if (x.big !== di) return x.big < di ? -1 : 1;
        const frac = d - Math.trunc(d);
        return frac > 0 ? -1 : frac < 0 ? 1 : 0;
      }
      return x.num < d ? -1 : x.num > d ? 1 : x.num === d ? 0 : Number.NaN;
    };
  }
  const big = lit.value;
  const num = Number(big);
  const safe = Number.isSafeInteger(num);
  return (x) => {
    if (x.kind === ValueKind.Int) {
      if (x.big === null && safe) return x.num < num ? -1 : x.num > num ? 1 : 0;
      const xb = x.big ?? BigInt(x.num);
      return xb < big ? -1 : xb > big ? 1 : 0;
    }
    if (x.kind === ValueKind.Double) {
      if (Number.isNaN(x.num)) return Number.NaN;
      if (safe) return x.num < num ? -1 : x.num > num ? 1 : 0;
      // Beyond 2^53 compare exactly: an integral double converts to bigint losslessly.
      if (!Number.isFinite(x.num)) return x.num < 0 ? -1 : 1;
      const xi = BigInt(Math.trunc(x.num));
      if (xi !== big) return xi < big ? -1 : 1;
      const frac = x.num - Math.trunc(x.num);
      return frac > 0 ? 1 : frac < 0 ? -1 : 0;
    }
    return Number.NaN;
  };
}

function base64ToHex(b64: string): string | undefined {
  const s = b64.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  try {
    const bin = atob(s.length % 4 === 0 ? s : s + '='.repeat(4 - (s.length % 4)));
    let hex = '';
    for (let i = 0; i < bin.length; i++) hex += bin.charCodeAt(i).toString(16).padStart(2, '0');
    return hex;
  } catch {
    return undefined;
  }
}
