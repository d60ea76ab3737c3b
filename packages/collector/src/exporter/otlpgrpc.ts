/**
 * The `otlp` exporter: OTLP/gRPC unary Export calls with grpc-js, the body
 * encoded once by protobufjs (the channel only moves bytes). Retryable codes
 * follow the OTLP specification; RESOURCE_EXHAUSTED honours RetryInfo.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { OtlpGrpcExporterConfig } from '../config/config.js';
import { decodeResponse } from '../otlp/request.js';
import { GrpcCode, retryDelayOfStatus } from '../otlp/status.js';
import { otlpSchema } from '@otel-policy/proto';
import { NetworkExporter, type ExporterContext } from './exporter.js';
import { encodedBody, ExportError, type ExportItem } from './item.js';
import { USER_AGENT } from './otlphttp.js';

const RETRYABLE_CODES = new Set<number>([GrpcCode.CANCELLED, GrpcCode.DEADLINE_EXCEEDED, GrpcCode.ABORTED, GrpcCode.OUT_OF_RANGE, GrpcCode.UNAVAILABLE, GrpcCode.DATA_LOSS]);
const identity = (b: Buffer) => b;

export function grpcCredentials(t: OtlpGrpcExporterConfig['tls']): grpc.ChannelCredentials {
  if (t.insecure) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(
    t.caFile ? readFileSync(t.caFile) : null,
    t.keyFile ? readFileSync(t.keyFile) : null,
    t.certFile ? readFileSync(t.certFile) : null,
    t.insecureSkipVerify ? { checkServerIdentity: () => undefined } : undefined,
  );
}

export class OtlpGrpcExporter extends NetworkExporter {
  private client: grpc.Client | undefined;

  constructor(
    readonly config: OtlpGrpcExporterConfig,
    ctx: ExporterContext,
  ) {
    super(config.id, config, ctx);
  }

  protected override async open(): Promise<void> {
    const options: grpc.ChannelOptions = {
      'grpc.primary_user_agent': USER_AGENT,
      'grpc.max_send_message_length': -1,
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
    };
    if (this.config.compression === 'gzip') options['grpc.default_compression_algorithm'] = 2;
    else if (this.config.compression === 'deflate') options['grpc.default_compression_algorithm'] = 1;
    if (this.config.tls.serverNameOverride) options['grpc.ssl_target_name_override'] = this.config.tls.serverNameOverride;
    if (this.config.balancerName) options['grpc.service_config'] = JSON.stringify({ loadBalancingConfig: [{ [this.config.balancerName]: {} }] });
    this.client = new grpc.Client(this.config.target, grpcCredentials(this.config.tls), options);
  }

  protected override async close(): Promise<void> {
    this.client?.close();
    this.client = undefined;
  }

  protected send(item: ExportItem, signal: AbortSignal): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new ExportError('exporter is not started', false));
    const schema = otlpSchema()[item.signal];
    const body = Buffer.from(encodedBody(item, 'proto'));
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(this.config.headers)) metadata.set(k.toLowerCase(), v);
    return new Promise<void>((resolve, reject) => {
      const call = client.makeUnaryRequest<Buffer, Buffer>(schema.grpcPath, identity, identity, body, metadata, {}, (err, res) => {
        signal.removeEventListener('abort', onAbort);
        if (err) {
          if (signal.aborted && signal.reason instanceof ExportError) return reject(signal.reason);
          let throttle: number | undefined;
          const details = err.metadata?.get('grpc-status-details-bin')[0];
          if (details instanceof Buffer) throttle = retryDelayOfStatus(details);
          const retryable = RETRYABLE_CODES.has(err.code) || (err.code === GrpcCode.RESOURCE_EXHAUSTED && throttle !== undefined);
          return reject(new ExportError(`${this.config.target}: ${grpc.status[err.code] ?? err.code}: ${err.details}`, retryable, throttle));
        }
        try {
          const partial = decodeResponse(item.signal, res ?? Buffer.alloc(0), 'proto');
          if (partial.rejected > 0 || partial.errorMessage) this.log.warn('Partial success response', { message: partial.errorMessage, dropped_items: partial.rejected, signal: item.signal });
        } catch {
          // An unreadable success body is still a success.
        }
        resolve();
      });
      const onAbort = () => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
