/**
 * @otel-policy/providers: where policy sets come from (files; sync servers
 * over HTTP and gRPC), handed to a PolicyRegistry.
 */
export { FilePolicyProvider, type FileProviderOptions } from './file-provider.js';
