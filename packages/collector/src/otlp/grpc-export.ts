/**
 * The OTLP `Export` method of one signal as a grpc-js service that moves raw
 * bytes: requests are decoded (and answers encoded) by the codec, which
 * applies its own limits, not by grpc-js. Served by the OTLP receiver and by
 * the test sink.
 */
import type * as grpc from '@grpc/grpc-js';
import { otlpSchema, type SignalType } from '@otel-policy/proto';

const identity = (b: Buffer): Buffer => b;

/** The `Export` service definition of `signal` (unary, bytes in and out). */
export function exportService(signal: SignalType): grpc.ServiceDefinition {
  return {
    Export: {
      path: otlpSchema()[signal].grpcPath,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: 'export',
    },
  };
}
