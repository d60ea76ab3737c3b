/**
 * The browser entry (the `browser` export condition): bundled as a web
 * application would bundle it (esbuild, platform browser) it reaches no
 * `node:` module, file or gRPC code; and the bundle, run in a bare
 * JavaScript context (no `process`, no `require`, no Node globals), filters
 * spans through the SDK's own BasicTracerProvider with inline policies:
 * literal ones from the first span, regex ones once the regex engine (loaded
 * on first need) is there, holding the spans ended meanwhile. A
 * policy file path is refused there with a TypeError that says what to pass,
 * and YAML policy text with a PolicyParseError (the YAML library is left out).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import * as esbuild from 'esbuild';
import { bundlePage } from '../../../test/support/browser-bundle.js';
import { describe, expect, it } from 'vitest';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const built = existsSync(path.join(PKG, 'dist', 'browser.js'));

const PAGE = `
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { PolicySpanProcessor } from '@otel-policy/sdk-processor';
import { parsePolicyText } from '@otel-policy/core';
const policies = { policies: [
  { id: 'health', name: 'health', trace: { match: [{ trace_field: 'name', regex: '^GET /health' }], keep: { percentage: 0 } } },
] };
const literalPolicies = { policies: [
  { id: 'health', name: 'health', trace: { match: [{ trace_field: 'name', starts_with: 'GET /health' }], keep: { percentage: 0 } } },
] };
const NAMES = ['GET /healthz', 'GET /orders', 'GET /health/ready', 'POST /cart'];
export async function run() {
  // Literal matches: installed at construction, the first span is filtered.
  const literalExporter = new InMemorySpanExporter();
  const literal = new BasicTracerProvider({ spanProcessors: [new PolicySpanProcessor(new SimpleSpanProcessor(literalExporter), { policies: literalPolicies })] });
  for (const name of NAMES) literal.getTracer('page').startSpan(name).end();
  const literalAtOnce = literalExporter.getFinishedSpans().map((s) => s.name);
  // A regex: the regex engine loads first; spans ended meanwhile are held, then filtered.
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new PolicySpanProcessor(new SimpleSpanProcessor(exporter), { policies })] });
  const tracer = provider.getTracer('page');
  for (const name of NAMES) tracer.startSpan(name).end();
  const heldAtFirst = exporter.getFinishedSpans().length;
  await provider.forceFlush();
  let refused = '';
  try {
    new PolicySpanProcessor(new SimpleSpanProcessor(exporter), { policies: '/etc/policies.yaml' });
  } catch (err) {
    refused = err.constructor.name + ': ' + err.message;
  }
  let yaml = '';
  try {
    parsePolicyText('policies: []');
  } catch (err) {
    yaml = err.message;
  }
  const json = parsePolicyText('{"policies": [{"id": "x", "name": "x", "log": {"match": [{"log_field": "body", "exact": "a"}], "keep": "none"}}]}').policies.length;
  return { literalAtOnce, heldAtFirst, exported: exporter.getFinishedSpans().map((s) => s.name), refused, yaml, json };
}
`;

describe.skipIf(!built)('the browser entry', () => {
  it('bundles for the browser without node: modules, files or gRPC', async () => {
    const r = await esbuild.build({
      stdin: { contents: "export * from '@otel-policy/sdk-processor';", resolveDir: PKG, loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      external: ['@opentelemetry/*'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.some((i) => i.includes('sdk-processor/dist/browser.js'))).toBe(true);
    expect(inputs.filter((i) => /providers|@grpc|protobufjs|file-source|node_modules\/yaml|yaml-text|re2js-eager/.test(i))).toEqual([]);
    expect(inputs.some((i) => i.includes('core/dist/browser.js'))).toBe(true);
    expect(r.outputFiles[0].text).not.toMatch(/from ["']node:|require\(["']node:/);
  });

  it('filters spans of the web SDK in a context without Node globals', async () => {
    const code = await bundlePage(PAGE, PKG);
    // Only what a browser has (and the test reads): no process, require, Buffer or module.
    const context = vm.createContext({ TextEncoder, TextDecoder, console, setTimeout, clearTimeout, queueMicrotask, performance, crypto });
    vm.runInContext(code, context);
    expect(vm.runInContext('typeof process + typeof require + typeof Buffer', context)).toBe('undefinedundefinedundefined');
    const result = (await vm.runInContext('page.run()', context)) as { literalAtOnce: string[]; heldAtFirst: number; exported: string[]; refused: string; yaml: string; json: number };
    expect(result.literalAtOnce).toEqual(['GET /orders', 'POST /cart']);
    expect(result.heldAtFirst).toBe(0);
    expect(result.exported).toEqual(['GET /orders', 'POST /cart']);
    // Policy text is JSON there: YAML is refused with a reason, not a crash.
    expect(result.yaml).toBe('cannot parse policies: YAML policies need the Node entry of @otel-policy/core; here, give the policies as JSON');
    expect(result.json).toBe(1);
    expect(result.refused).toMatch(/^TypeError: a policy file path \("\/etc\/policies.yaml"\) needs Node.js; here, pass the policies inline/);
  });
});
