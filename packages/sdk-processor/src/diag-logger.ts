/**
 * The one diag namespace of the SDK integration: every processor, the metric
 * exporter, the policy source and the Node entry points report through this
 * component logger, so `OTEL_LOG_LEVEL` shows them under one name. It looks
 * up the global diag logger on each call, so a logger set later applies.
 */
import { diag, type DiagLogger } from '@opentelemetry/api';

export const DIAG_NAMESPACE = '@otel-policy/sdk-processor';

export const policyDiag: DiagLogger = diag.createComponentLogger({ namespace: DIAG_NAMESPACE });
