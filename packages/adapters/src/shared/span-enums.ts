/**
 * The span kind and status names policies match (`span_kind: server`,
 * `span_status: error`), indexed by their OTLP numbers. The SDK's API enums
 * number kinds from INTERNAL = 0, one below OTLP; statuses agree.
 */
export const SPAN_KIND_NAMES: readonly string[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
export const STATUS_CODE_NAMES: readonly string[] = ['unset', 'ok', 'error'];
