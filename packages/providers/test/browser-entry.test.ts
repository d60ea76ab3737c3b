/**
 * The browser entry (the `browser` export condition): bundled as a web
 * application would bundle it (esbuild, platform browser) it reaches no
 * `node:` module, Buffer, protobufjs, gRPC, file provider, sync server or
 * schema loading of @otel-policy/proto (which reads .proto files from disk);
 * and the bundle, run in a bare JavaScript context (no `process`, `require`
 * or `Buffer`; timers that return numbers, as a browser's do) with a stub
 * global `fetch`, syncs a policy set from proto3 JSON and reports a bad
 * answer with its reason.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import * as esbuild from 'esbuild';
import { bundlePage } from '../../../test/support/browser-bundle.js';
import { describe, expect, it } from 'vitest';
import { decodeSyncRequestJson, encodeSyncResponseJson, policySetToProto, type SyncRequestObject } from '@otel-policy/providers';
import { logPolicies } from './helpers.js';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const built = ['providers', 'core', 'proto'].every((p) => existsSync(path.join(PKG, '..', p, 'dist', 'browser.js')));

/** What only the Node entry may reach: modules of this package, of @otel-policy/proto and dependencies. */
const NODE_ONLY =
  /protobufjs|@grpc|node_modules\/yaml\/|proto\/(src|dist)\/(index|load|sync-schema|otlp-schema)\.|providers\/(src|dist)\/(index|file-provider|file-snapshot)\.|sync\/(file-cache|sync-provider-node|http-provider|grpc-provider|codec|decode-limits|policy-to-wire|server[^/]*)\.(js|ts)$/;

const PAGE = `
import { HttpPolicyProvider } from '@otel-policy/providers';
export async function run() {
  const sets = [];
  const errors = [];
  const p = new HttpPolicyProvider({ url: 'https://policies.example/v1/policy/sync', pollIntervalSecs: 0, finalReport: false, clientMetadata: { serviceName: 'page' } });
  await p.start({ onPolicies: (set) => sets.push(set.policies.map((x) => x.id)), onError: (err) => errors.push(err.name + ': ' + err.message) });
  const again = await p.syncNow();
  await p.shutdown();
  return { sets, errors, syncs: p.syncs, again: again.ok };
}
`;

describe.skipIf(!built)('the browser entry', () => {
  it('bundles for the browser without node: modules, Buffer, protobufjs, gRPC, files or the schema loader', async () => {
    const r = await esbuild.build({
      stdin: { contents: "export * from '@otel-policy/providers';", resolveDir: PKG, loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs);
    for (const entry of ['providers/dist/browser.js', 'proto/dist/browser.js', 'core/dist/browser.js'])
      expect(
        inputs.some((i) => i.endsWith(entry)),
        entry,
      ).toBe(true);
    expect(inputs.filter((i) => NODE_ONLY.test(i))).toEqual([]);
    const text = r.outputFiles[0].text;
    expect(text).not.toMatch(/from ["'](node:)?(fs|path|crypto|url|http|net)["']|require\(["'](node:)?[a-z]/);
    expect(text).not.toMatch(/\bBuffer\b|\bprocess\.(pid|env|versions)/);
    // What a page bundles from this package: the sync loop, the HTTP exchange and the JSON codec.
    const own = inputs.filter((i) => i.includes('providers/dist/')).map((i) => i.slice(i.indexOf('providers/dist/') + 'providers/'.length));
    expect(own.sort()).toEqual(
      [
        'api.js',
        'browser.js',
        'sync/client-metadata.js',
        'sync/encoding.js',
        'sync/http-exchange.js',
        'sync/http-provider-browser.js',
        'sync/int64.js',
        'sync/json-codec.js',
        'sync/messages.js',
        'sync/policy-from-wire.js',
        'sync/sync-error.js',
        'sync/sync-options.js',
        'sync/sync-provider.js',
        'sync/web-storage-cache.js',
      ].map((f) => `dist/${f}`),
    );
  });

  it('syncs policies with a stub fetch in a context without Node globals', async () => {
    const code = await bundlePage(PAGE, PKG);
    const requests: { url: string; headers: Record<string, string>; body: SyncRequestObject }[] = [];
    const answers = [
      () =>
        new Response(encodeSyncResponseJson({ policies: policySetToProto(logPolicies('a', 'b')), hash: 'h1', recommendedSyncIntervalSeconds: 30 }), {
          headers: { 'content-type': 'application/json' },
        }),
      () => new Response('{"policies": {"id": "x"}}', { headers: { 'content-type': 'application/json' } }),
    ];
    const stubFetch = async (url: string, init: { headers: Record<string, string>; body: string }) => {
      requests.push({ url, headers: init.headers, body: decodeSyncRequestJson(init.body) });
      return answers[requests.length - 1]();
    };
    // Only what a browser has (and the bundle uses); timers return numbers, as a browser's do.
    const context = vm.createContext({
      fetch: stubFetch,
      TextEncoder,
      TextDecoder,
      URL,
      AbortController,
      console,
      queueMicrotask,
      performance,
      crypto,
      setTimeout: (fn: () => void, ms: number) => Number(setTimeout(fn, ms)),
      clearTimeout: (id: number) => clearTimeout(id),
    });
    vm.runInContext(code, context);
    expect(vm.runInContext('typeof process + typeof require + typeof Buffer', context)).toBe('undefinedundefinedundefined');
    const result = (await vm.runInContext('page.run()', context)) as { sets: string[][]; errors: string[]; syncs: number; again: boolean };
    expect(result.sets).toEqual([['a', 'b']]);
    expect(result.syncs).toBe(1);
    expect(result.again).toBe(false);
    expect(result.errors).toEqual(['SyncError: bad sync response from https://policies.example/v1/policy/sync: cannot decode SyncResponse (JSON): policies: expected a list, got an object']);
    expect(requests.map((q) => q.url)).toEqual(['https://policies.example/v1/policy/sync', 'https://policies.example/v1/policy/sync']);
    expect(requests[0].headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json' });
    expect(requests[0].body).toMatchObject({ fullSync: true, clientMetadata: { resourceAttributes: [{ key: 'service.name', value: { stringValue: 'page' } }] } });
    expect(requests[1].body).toMatchObject({ fullSync: false, lastSuccessfulHash: 'h1' });
  });
});
