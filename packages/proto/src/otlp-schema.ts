/**
 * The OTLP schema: the opentelemetry-proto definitions (`proto/`), loaded
 * once with protobufjs, plus the two small google.rpc messages OTLP uses for
 * errors and throttling.
 */
import type protobuf from 'protobufjs';
import { loadProtoRoot, raiseRecursionLimit } from './load.js';

/** The three OTLP signals, named as Collector pipelines name them. */
export type SignalType = 'logs' | 'traces' | 'metrics';
export const SIGNALS: readonly SignalType[] = ['logs', 'traces', 'metrics'];

/** Message types of one signal's Export service. */
export interface SignalSchema {
  readonly request: protobuf.Type;
  readonly response: protobuf.Type;
  /** gRPC method path of the service's Export call. */
  readonly grpcPath: string;
  /** The ExportXServiceRequest's top-level field (`resourceLogs`, ...). */
  readonly resourceField: 'resourceLogs' | 'resourceSpans' | 'resourceMetrics';
  /** The partial_success counter field (`rejectedLogRecords`, ...). */
  readonly rejectedField: 'rejectedLogRecords' | 'rejectedSpans' | 'rejectedDataPoints';
  /** Message types of the levels: ResourceX, ScopeX, and the record (LogRecord, Span, Metric). */
  readonly levels: { readonly resource: protobuf.Type; readonly scope: protobuf.Type; readonly record: protobuf.Type };
}

export interface OtlpSchema {
  readonly root: protobuf.Root;
  readonly logs: SignalSchema;
  readonly traces: SignalSchema;
  readonly metrics: SignalSchema;
  /** google.rpc.Status: the body of OTLP/HTTP error responses. */
  readonly Status: protobuf.Type;
  /** google.rpc.RetryInfo: throttling hints in gRPC status details. */
  readonly RetryInfo: protobuf.Type;
}

// google/rpc/status.proto, google/rpc/error_details.proto (RetryInfo) and the
// well-known Any and Duration, reduced to the fields OTLP uses (Apache-2.0,
// googleapis and protocolbuffers/protobuf).
const GOOGLE_RPC = `
syntax = "proto3";
package google.rpc;
message Any { string type_url = 1; bytes value = 2; }
message Duration { int64 seconds = 1; int32 nanos = 2; }
message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
message RetryInfo { Duration retry_delay = 1; }
`;

let loaded: OtlpSchema | undefined;

/** Load the protos (once) and return the message types. */
export function otlpSchema(): OtlpSchema {
  if (loaded) return loaded;
  // Attribute values nested 30 to 50 levels are legitimate data.
  raiseRecursionLimit();
  const root = loadProtoRoot(
    ['opentelemetry/proto/collector/logs/v1/logs_service.proto', 'opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto'],
    GOOGLE_RPC,
  );
  // AnyValue always converts with int64 as decimal strings and bytes as
  // base64 (OTLP/JSON), whatever the caller's options: the codec converts
  // logs and traces with raw Longs and Buffers for speed and fixes their
  // identifiers and timestamps itself, but attribute values must be final.
  const anyValue = root.lookupType('opentelemetry.proto.common.v1.AnyValue');
  anyValue.setup();
  const generated = anyValue.toObject;
  const options: protobuf.IConversionOptions = { longs: String, enums: Number, bytes: String, json: true };
  anyValue.toObject = (message: protobuf.Message) => generated(message, options);
  const t = (name: string) => root.lookupType(name);
  loaded = {
    root,
    logs: {
      request: t('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
      response: t('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
      grpcPath: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
      resourceField: 'resourceLogs',
      rejectedField: 'rejectedLogRecords',
      levels: { resource: t('opentelemetry.proto.logs.v1.ResourceLogs'), scope: t('opentelemetry.proto.logs.v1.ScopeLogs'), record: t('opentelemetry.proto.logs.v1.LogRecord') },
    },
    traces: {
      request: t('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
      response: t('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
      grpcPath: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      resourceField: 'resourceSpans',
      rejectedField: 'rejectedSpans',
      levels: { resource: t('opentelemetry.proto.trace.v1.ResourceSpans'), scope: t('opentelemetry.proto.trace.v1.ScopeSpans'), record: t('opentelemetry.proto.trace.v1.Span') },
    },
    metrics: {
      request: t('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
      response: t('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
      grpcPath: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
      resourceField: 'resourceMetrics',
      rejectedField: 'rejectedDataPoints',
      levels: { resource: t('opentelemetry.proto.metrics.v1.ResourceMetrics'), scope: t('opentelemetry.proto.metrics.v1.ScopeMetrics'), record: t('opentelemetry.proto.metrics.v1.Metric') },
    },
    Status: t('google.rpc.Status'),
    RetryInfo: t('google.rpc.RetryInfo'),
  };
  return loaded;
}
