/**
 * The OTLP/gRPC receiver: the Logs, Trace and Metrics `Export` services on a
 * grpc-js server. grpc-js only moves bytes; requests are decoded and
 * responses encoded by protobufjs here, so a malformed message is answered
 * INVALID_ARGUMENT with the decoder's reason. Queue full answers
 * RESOURCE_EXHAUSTED with a google.rpc.RetryInfo detail, a failed export
 * UNAVAILABLE.
 *
 * grpc-js reads a whole message (bounded by max_recv_msg_size_mib, after
 * decompression too) before the handler runs; the handler then takes the
 * message's bytes from the receiver's in-flight budget (admission.ts) or
 * refuses it with RESOURCE_EXHAUSTED, so the bytes are released at once.
 * Shutdown stops listening, waits for calls being processed (until the
 * shutdown deadline cuts them), then closes connections gracefully and
 * forcibly after a short grace (slow clients still sending a message).
 */
import * as grpc from '@grpc/grpc-js';
import { exportService } from '../otlp/grpc-export.js';
import type { GrpcReceiverConfig } from '../config/config.js';
import { formatEndpoint } from '../config/values.js';
import type { Logger } from '../logger.js';
import { encodeResponse, OtlpDecodeError } from '../otlp/request.js';
import { readRequest } from '../otlp/payload.js';
import { encodeStatus, GrpcCode } from '../otlp/status.js';
import { SIGNALS, type SignalType } from '@otel-policy/proto';
import { admissionMessage, type AdmissionBudget } from './admission.js';
import type { ConsumeResult, ConsumerLookup } from './consumer.js';
import type { ReceiverMetrics } from './metrics.js';
import type { Authenticator } from '../extension/authenticator.js';
import { readTlsMaterial } from './tls-server-config.js';

export class OtlpGrpcReceiver {
  private server: grpc.Server | undefined;
  private stopping = false;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private readonly log: Logger;
  /** The bound port, once started. */
  port: number | undefined;

  constructor(
    readonly id: string,
    private readonly config: GrpcReceiverConfig,
    private readonly consumers: ConsumerLookup,
    logger: Logger,
    private readonly metrics: ReceiverMetrics,
    private readonly budget: AdmissionBudget,
    private readonly auth?: Authenticator,
  ) {
    this.log = logger.with({ kind: 'receiver', name: id, transport: 'grpc' });
  }

  async start(): Promise<number> {
    const options: grpc.ServerOptions = {
      'grpc.max_receive_message_length': this.config.maxRecvMsgSizeBytes,
      'grpc.max_send_message_length': 4 * 1024 * 1024,
    };
    if (this.config.maxConcurrentStreams !== undefined) options['grpc.max_concurrent_streams'] = this.config.maxConcurrentStreams;
    if (this.auth !== undefined) options.interceptors = [this.authenticateOnMetadata(this.auth)];
    const server = new grpc.Server(options);
    for (const signal of SIGNALS) {
      if (!this.consumers(this.id, signal)) continue;
      server.addService(exportService(signal), { Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => void this.handle(signal, call, callback) });
    }
    const { host, port } = this.config.endpoint;
    const target = formatEndpoint(host, port);
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(target, this.credentials(), (err, bound) => {
        if (err) reject(new Error(`cannot listen on ${target} for the OTLP/gRPC receiver "${this.id}": ${/in use/i.test(err.message) ? 'address already in use' : err.message}`));
        else resolve(bound);
      }),
    );
    this.server = server;
    this.log.info('Starting GRPC server', { endpoint: formatEndpoint(host || '0.0.0.0', this.port) });
    return this.port;
  }

  /**
   * Authentication when a call's metadata arrives, before its message: a
   * call without valid credentials is ended with UNAUTHENTICATED there, so
   * grpc-js never buffers (or decompresses) its message. Checked in the
   * handler alone, an unauthenticated client could hold a message of up to
   * max_recv_msg_size per stream, as many streams as it liked.
   */
  private authenticateOnMetadata(auth: Authenticator): grpc.ServerInterceptor {
    return (_method, call) =>
      new grpc.ServerInterceptingCall(call, {
        start: (next) =>
          next({
            onReceiveMetadata: (metadata, forward) => {
              if (auth.authenticate(metadataValue(metadata, auth.header))) return forward(metadata);
              this.metrics.refusedAuth(this.id, 'grpc');
              call.sendStatus({ code: GrpcCode.UNAUTHENTICATED, details: 'missing or invalid credentials', metadata: new grpc.Metadata() });
            },
          }),
      });
  }

  /** TLS from `tls` (client certificates required with `client_ca_file`), else plaintext. */
  private credentials(): grpc.ServerCredentials {
    const t = this.config.tls;
    if (t === undefined) return grpc.ServerCredentials.createInsecure();
    const m = readTlsMaterial(t);
    return grpc.ServerCredentials.createSsl(m.ca ?? null, [{ cert_chain: m.cert, private_key: m.key }], m.ca !== undefined);
  }

  /**
   * Stop accepting, let calls being processed finish (until {@link cut}),
   * then close connections: gracefully, and forcibly after `graceMs`.
   */
  async stop(graceMs = 5000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.stopping = true;
    // Stop listening at once; calls on open connections get UNAVAILABLE until they close.
    try {
      server.unbind(formatEndpoint(this.config.endpoint.host, this.port ?? this.config.endpoint.port));
    } catch {
      // Older grpc-js or already unbound: tryShutdown below stops listening too.
    }
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      force.unref();
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    this.server = undefined;
  }

  /** The shutdown deadline: stop waiting for calls in flight and close every connection. */
  cut(): void {
    this.idle?.();
    this.server?.forceShutdown();
  }

  private async handle(signal: SignalType, call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): Promise<void> {
    this.inFlight++;
    const lease = this.budget.lease();
    try {
      if (this.stopping) return this.fail(callback, { status: 'shutting_down' });
      // Before the message is looked at or counted against the budget.
      if (this.auth !== undefined && !this.auth.authenticate(metadataValue(call.metadata, this.auth.header))) {
        this.metrics.refusedAuth(this.id, 'grpc');
        return callback({ code: GrpcCode.UNAUTHENTICATED, details: 'missing or invalid credentials' });
      }
      if (!lease.take(call.request.length)) {
        this.metrics.refusedAdmission(this.id, 'grpc');
        return this.fail(callback, { status: 'queue_full', message: admissionMessage(this.budget.limit), retryAfterSecs: 1 });
      }
      let decoded;
      try {
        decoded = readRequest(signal, call.request, 'proto');
      } catch (err) {
        // readRequest throws only OtlpDecodeError; anything else is still the message's fault.
        this.metrics.refused(this.id, 'grpc', signal, 0);
        const details = err instanceof OtlpDecodeError ? err.message : `cannot decode the request: ${(err as Error)?.message ?? String(err)}`;
        return callback({ code: GrpcCode.INVALID_ARGUMENT, details });
      }
      const consume = this.consumers(this.id, signal);
      const result: ConsumeResult = consume ? await consume(decoded) : { status: 'unavailable', message: 'no pipeline' };
      if (result.status !== 'ok') {
        this.metrics.refused(this.id, 'grpc', signal, decoded.records + decoded.rejected);
        return this.fail(callback, result);
      }
      this.metrics.accepted(this.id, 'grpc', signal, decoded.records);
      if (decoded.rejected > 0) this.metrics.refused(this.id, 'grpc', signal, decoded.rejected);
      callback(null, Buffer.from(encodeResponse(signal, decoded.rejected, decoded.rejectMessage, 'proto')));
    } catch (err) {
      this.log.error('request failed', { error: err });
      callback({ code: GrpcCode.INTERNAL, details: 'internal error' });
    } finally {
      lease.release();
      if (--this.inFlight === 0 && this.idle) this.idle();
    }
  }

  private fail(callback: grpc.sendUnaryData<Buffer>, r: ConsumeResult): void {
    const code = r.status === 'queue_full' ? GrpcCode.RESOURCE_EXHAUSTED : r.status === 'permanent' ? GrpcCode.INVALID_ARGUMENT : GrpcCode.UNAVAILABLE;
    const message = r.message ?? (r.status === 'shutting_down' ? 'the service is shutting down' : r.status === 'queue_full' ? 'sending queue is full' : 'export failed');
    const metadata = new grpc.Metadata();
    const delay = r.status === 'queue_full' ? (r.retryAfterSecs ?? 1) : r.retryAfterSecs;
    if (delay !== undefined) metadata.set('grpc-status-details-bin', Buffer.from(encodeStatus(code, message, 'proto', delay)));
    callback({ code, details: message, metadata });
  }
}

/** The first value of a metadata key, as a string. */
function metadataValue(md: grpc.Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return v === undefined ? undefined : typeof v === 'string' ? v : v.toString('utf8');
}
