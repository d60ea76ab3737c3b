/**
 * @otel-policy/sdk-processor in a browser (the `browser` export condition):
 * the same processors, metric exporter and policy handle as on Node, with
 * policies given inline or by a provider. Nothing here reaches `node:`
 * modules, files or gRPC: a policy file path is refused with a TypeError
 * that says what to pass instead.
 */
export * from './api.js';
