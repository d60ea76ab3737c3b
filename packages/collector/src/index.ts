/**
 * @otel-policy/collector: an OTLP service configured like an OpenTelemetry
 * Collector that applies Tero policies on the wire (OTLP/HTTP and OTLP/gRPC
 * in, with TLS and bearer or basic authentication; the `policy` and
 * `memory_limiter` processors; OTLP/HTTP, OTLP/gRPC and debug exporters out).
 */
export { Collector, type CollectorOptions, type CollectorEndpoints } from './service.js';
export { runCollectorCommand, COLLECTOR_USAGE, type CollectorCommandOptions } from './cli.js';
export {
  loadConfigFile,
  parseConfigText,
  parseConfig,
  expandEnv,
  ConfigError,
  type CollectorConfig,
  type Endpoint,
  type ExporterConfig,
  type OtlpHttpExporterConfig,
  type OtlpGrpcExporterConfig,
  type DebugExporterConfig,
  type OtlpReceiverConfig,
  type PolicyProcessorConfig,
  type MemoryLimiterConfig,
  type ProcessorConfig,
  type ExtensionConfig,
  type AuthenticatorConfig,
  type TlsServerConfig,
  type ProviderConfig,
  type PipelineConfig,
  type QueueConfig,
  type RetryConfig,
  type TelemetryConfig,
  type LoadOptions,
} from './config/config.js';
export { parseDuration, parseEndpoint } from './config/values.js';
export { createLogger, silentLogger, type Logger, type LogLevel } from './logger.js';
export { otlpSchema, PROTO_DIR, SIGNALS, type SignalType, type SignalSchema, type OtlpSchema } from '@otel-policy/proto';
export { decodeRequest, encodeRequest, encodeResponse, decodeResponse, OtlpDecodeError, type DecodedRequest } from './otlp/request.js';
export { readRequest, ObjectPayload, WirePayload, type Payload, type ReceivedRequest } from './otlp/payload.js';
export { encodeStatus, GrpcCode } from './otlp/status.js';
export { countRecords, countRecordsProto } from './otlp/count.js';
export { JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE, type Encoding, type OtlpData } from './otlp/shape.js';
export { PolicyProcessor, type RecordResult } from './processor/policy.js';
export { MemoryLimiter, MEMORY_REFUSAL } from './processor/memory-limiter.js';
export { MetricsRegistry } from './telemetry/metrics.js';
export { OtlpSink, type SinkRequest, type OtlpSinkOptions } from './sink.js';
