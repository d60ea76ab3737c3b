/**
 * The policy model after parsing: the shape of the tero.policy.v1 protos with
 * every authoring shorthand resolved. Parsing never rejects a policy for
 * semantic problems; it keeps what it cannot understand as `invalid` entries so
 * that compilation can report every error of a policy at once, in field order.
 */

/** The three telemetry signals a policy can target. */
export type Signal = 'log' | 'metric' | 'trace';

/** Why a piece of a policy could not be understood (reported at compile time). */
export interface Invalid {
  readonly kind: 'invalid';
  readonly reason: string;
}

/** A matcher's or transform's field selector. */
export type FieldSelector =
  | { readonly kind: 'field'; readonly field: string }
  | {
      readonly kind: 'log_attribute' | 'span_attribute' | 'datapoint_attribute' | 'resource_attribute' | 'scope_attribute' | 'event_attribute';
      readonly path: readonly string[];
    }
  | { readonly kind: 'metric_type' | 'aggregation_temporality' | 'span_kind' | 'span_status'; readonly value: string }
  | { readonly kind: 'event_name'; readonly name: string }
  | { readonly kind: 'link_trace_id'; readonly hex: string }
  | Invalid;

/** A typed literal of `equals` (proto `Value`). */
export type ValueLiteral =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'int'; readonly value: bigint }
  | { readonly type: 'double'; readonly value: number }
  | { readonly type: 'bytes'; readonly base64: string }
  | { readonly type: 'hex'; readonly hex: string }
  | { readonly type: 'unset' };

/** A numeric literal of `gt`/`gte`/`lt`/`lte` (proto `NumericValue`). */
export type NumericLiteral = { readonly type: 'int'; readonly value: bigint } | { readonly type: 'double'; readonly value: number } | { readonly type: 'unset' };

/** A matcher's condition (the proto `match` oneof). */
export type MatchCondition =
  | { readonly kind: 'exact' | 'regex' | 'starts_with' | 'ends_with' | 'contains'; readonly value: string }
  | { readonly kind: 'exists'; readonly value: boolean }
  | { readonly kind: 'equals'; readonly value: ValueLiteral }
  | { readonly kind: 'gt' | 'gte' | 'lt' | 'lte'; readonly value: NumericLiteral }
  | Invalid;

/** One matcher of a target's `match` list. */
export interface Matcher {
  readonly field: FieldSelector | undefined;
  readonly match: MatchCondition | undefined;
  readonly negate: boolean;
  readonly caseInsensitive: boolean;
}

export interface LogRemove {
  readonly field: FieldSelector | undefined;
}
export interface LogRedact {
  readonly field: FieldSelector | undefined;
  readonly replacement: string;
  readonly regex: string | undefined;
}
export interface LogRename {
  readonly from: FieldSelector | undefined;
  readonly to: string;
  readonly upsert: boolean;
}
export interface LogAdd {
  readonly field: FieldSelector | undefined;
  readonly value: string;
  readonly upsert: boolean;
}
export interface LogTransform {
  readonly remove: readonly LogRemove[];
  readonly redact: readonly LogRedact[];
  readonly rename: readonly LogRename[];
  readonly add: readonly LogAdd[];
}

export interface LogTarget {
  readonly match: readonly Matcher[];
  /** The keep string as authored (`"all"` when absent). */
  readonly keep: string;
  readonly sampleKey: FieldSelector | undefined;
  readonly transform: LogTransform | undefined;
}

export interface MetricTarget {
  readonly match: readonly Matcher[];
  readonly keep: boolean;
}

/** Trace `keep` (proto `TraceSamplingConfig`); unset optional fields are undefined. */
export interface TraceSamplingConfig {
  readonly percentage: number;
  readonly mode: string | undefined;
  readonly samplingPrecision: number | undefined;
  readonly hashSeed: number | undefined;
  readonly failClosed: boolean | undefined;
}

export interface TraceTarget {
  readonly match: readonly Matcher[];
  readonly keep: TraceSamplingConfig | undefined;
}

/** An extension declaration; opaque to the engine. */
export interface Extension {
  readonly type: string;
  readonly version: string;
  readonly mode: string;
  readonly config: unknown;
}

/** One parsed policy. Exactly one of `log`, `metric`, `trace` is normally set. */
export interface Policy {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly log?: LogTarget;
  readonly metric?: MetricTarget;
  readonly trace?: TraceTarget;
  readonly extensions: readonly Extension[];
  /** Problems found while reading the policy's structure (reported with its compile errors). */
  readonly problems: readonly string[];
  /** Keys the policy holds that no policy field has (a typo, most likely): ignored, and reported. */
  readonly warnings?: readonly string[];
}

/** The result of reading a policy file or sync payload. */
export interface PolicySet {
  readonly policies: readonly Policy[];
}
