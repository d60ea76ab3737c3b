/** The policy sync protocol's schema (tero.policy.v1), loaded once with protobufjs. */
import type protobuf from 'protobufjs';
import { loadProtoRoot } from './load.js';

/** The loaded schema: the protobufjs root and the message types the sync protocol uses. */
export interface SyncSchema {
  readonly root: protobuf.Root;
  readonly SyncRequest: protobuf.Type;
  readonly SyncResponse: protobuf.Type;
  readonly Policy: protobuf.Type;
  readonly PolicySyncStatus: protobuf.Type;
  readonly ClientMetadata: protobuf.Type;
  readonly TransformStageStatus: protobuf.Type;
  readonly LogTarget: protobuf.Type;
  readonly MetricTarget: protobuf.Type;
  readonly TraceTarget: protobuf.Type;
  readonly TraceSamplingConfig: protobuf.Type;
  readonly AttributePath: protobuf.Type;
  readonly Value: protobuf.Type;
  readonly NumericValue: protobuf.Type;
}

let loaded: SyncSchema | undefined;

/** Load the protos (once) and return the message types. */
export function syncSchema(): SyncSchema {
  if (loaded) return loaded;
  const root = loadProtoRoot(['tero/policy/v1/policy.proto']);
  const t = (name: string) => root.lookupType(`tero.policy.v1.${name}`);
  loaded = {
    root,
    SyncRequest: t('SyncRequest'),
    SyncResponse: t('SyncResponse'),
    Policy: t('Policy'),
    PolicySyncStatus: t('PolicySyncStatus'),
    ClientMetadata: t('ClientMetadata'),
    TransformStageStatus: t('TransformStageStatus'),
    LogTarget: t('LogTarget'),
    MetricTarget: t('MetricTarget'),
    TraceTarget: t('TraceTarget'),
    TraceSamplingConfig: t('TraceSamplingConfig'),
    AttributePath: t('AttributePath'),
    Value: t('Value'),
    NumericValue: t('NumericValue'),
  };
  return loaded;
}

/** The full name of the sync method, as gRPC addresses it. */
export const SYNC_METHOD_PATH = '/tero.policy.v1.PolicyService/Sync';
