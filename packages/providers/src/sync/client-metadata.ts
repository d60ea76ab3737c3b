/** Who a sync client is: the `ClientMetadata` message sent with every sync request. */
import type { ClientMetadataObject, KeyValueObject } from './messages.js';

/** Who this client is, sent with every sync request (`ClientMetadata`). */
export interface ClientMetadataOptions {
  /** `service.name` resource attribute. */
  serviceName?: string;
  /** `service.namespace` resource attribute. */
  serviceNamespace?: string;
  /** `service.instance.id` resource attribute. */
  serviceInstanceId?: string;
  /** `service.version` resource attribute. */
  serviceVersion?: string;
  /** More resource attributes. */
  resourceAttributes?: Record<string, string>;
  /** Client labels. */
  labels?: Record<string, string>;
  /** `PolicyStage` names (`POLICY_STAGE_LOG_FILTER`, ...); default: every stage this engine implements. */
  supportedPolicyStages?: string[];
}

const ALL_STAGES = ['POLICY_STAGE_LOG_FILTER', 'POLICY_STAGE_LOG_TRANSFORM', 'POLICY_STAGE_METRIC_FILTER', 'POLICY_STAGE_TRACE_SAMPLING'];

const kv = (attrs: Record<string, string | undefined>): KeyValueObject[] =>
  Object.entries(attrs)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([key, value]) => ({ key, value: { stringValue: value } }));

/** Build the `ClientMetadata` message of a client. */
export function clientMetadataOf(o: ClientMetadataOptions = {}): ClientMetadataObject {
  return {
    supportedPolicyStages: o.supportedPolicyStages ?? ALL_STAGES,
    labels: kv(o.labels ?? {}),
    resourceAttributes: kv({
      'service.name': o.serviceName,
      'service.namespace': o.serviceNamespace,
      'service.instance.id': o.serviceInstanceId,
      'service.version': o.serviceVersion,
      ...o.resourceAttributes,
    }),
  };
}
