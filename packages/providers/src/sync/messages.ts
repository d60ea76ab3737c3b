/**
 * The sync protocol's messages in plain-object form (proto3 JSON field names,
 * lowerCamelCase), as the codec encodes and decodes them.
 */
/** An OTLP `KeyValue` with a string value (the only kind this package writes). */
export interface KeyValueObject {
  key: string;
  value?: { stringValue?: string; [k: string]: unknown };
}

export interface TransformStageStatusObject {
  /** int64: a string when decoded, a number or string when encoding. */
  hits?: number | string;
  misses?: number | string;
}

export interface PolicySyncStatusObject {
  id?: string;
  matchHits?: number | string;
  matchMisses?: number | string;
  errors?: string[];
  remove?: TransformStageStatusObject;
  redact?: TransformStageStatusObject;
  rename?: TransformStageStatusObject;
  add?: TransformStageStatusObject;
}

export interface ClientMetadataObject {
  /** PolicyStage enum names (or numbers). */
  supportedPolicyStages?: (string | number)[];
  labels?: KeyValueObject[];
  resourceAttributes?: KeyValueObject[];
  supportedExtensions?: { type?: string; minVersion?: string; config?: string[] }[];
}

export interface SyncRequestObject {
  clientMetadata?: ClientMetadataObject;
  fullSync?: boolean;
  /** fixed64 */
  lastSyncTimestampUnixNano?: number | string;
  lastSuccessfulHash?: string;
  policyStatuses?: PolicySyncStatusObject[];
}

/** A `tero.policy.v1.Policy` in object form (see {@link policyToProto}). */
export type PolicyObject = Record<string, unknown>;

export interface SyncResponseObject {
  policies?: PolicyObject[];
  hash?: string;
  /** fixed64 */
  syncTimestampUnixNano?: number | string;
  recommendedSyncIntervalSeconds?: number;
  /** SyncType enum name (or number). */
  syncType?: string | number;
  errorMessage?: string;
  extensionConfigs?: { type?: string; config?: string[] }[];
}

/** A body that cannot be decoded as the expected message. */
export class SyncDecodeError extends Error {
  override readonly name = 'SyncDecodeError';
}
