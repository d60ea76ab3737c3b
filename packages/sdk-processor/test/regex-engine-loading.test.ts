/**
 * Inline policies with a regex where the regex engine loads on first need
 * (the browser entry's way, simulated here with fresh modules and a loader
 * the test controls): spans are held until the engine is there, then
 * filtered; when it cannot be loaded, holding gives up at once with one
 * warning and the held spans pass (fail-open, counted).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DiagLogger } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

type Holder = typeof import('../../core/src/match/re2js-module.js');
type Sdk = typeof import('@otel-policy/sdk-processor');

const POLICIES = {
  policies: [{ id: 'health', name: 'health', trace: { match: [{ trace_field: 'name', regex: '^GET /health' }], keep: { percentage: 0 } } }],
};
const NAMES = ['GET /healthz', 'GET /orders', 'POST /cart'];

let sdk: Sdk;
let holder: Holder;
let warnings: string[];
const logger = (): DiagLogger => ({ error: (m) => warnings.push(m), warn: (m) => warnings.push(m), info: () => {}, debug: () => {}, verbose: () => {} });

beforeEach(async () => {
  vi.resetModules();
  sdk = await import('@otel-policy/sdk-processor');
  holder = await import('../../core/src/match/re2js-module.js');
  // As in a browser: nothing registered at once.
  holder.useRe2js(undefined as unknown as Parameters<Holder['useRe2js']>[0]);
  warnings = [];
});

afterEach(() => vi.resetModules());

function tracer(config: Partial<Parameters<Sdk['openPolicies']>[1]> = {}) {
  const exporter = new InMemorySpanExporter();
  const processor = new sdk.PolicySpanProcessor(new SimpleSpanProcessor(exporter), { policies: POLICIES, logger: logger(), ...config });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const names = () => exporter.getFinishedSpans().map((s) => s.name);
  return { provider, processor, names, end: () => NAMES.forEach((n) => provider.getTracer('t').startSpan(n).end()) };
}

describe('inline policies with a regex, the regex engine loaded on first need', () => {
  it('holds spans until the engine is loaded, then filters them', async () => {
    const { importRe2js } = await import('../../core/src/match/re2js-lazy.js');
    let release!: () => void;
    holder.useRe2jsLoader(async () => {
      await new Promise<void>((r) => (release = r));
      return importRe2js();
    });
    const t = tracer();
    t.end();
    expect(t.names()).toEqual([]);
    release();
    await t.provider.forceFlush();
    expect(t.names()).toEqual(['GET /orders', 'POST /cart']);
    expect(warnings).toEqual([]);
  });

  it('gives up holding at once, with one warning, when the engine cannot be loaded', async () => {
    holder.useRe2jsLoader(() => Promise.reject(new Error('chunk request failed')));
    const t = tracer();
    t.end();
    await t.provider.forceFlush();
    expect(t.names()).toEqual(NAMES);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^policies could not be loaded \(cannot load the regex engine \(re2js\): chunk request failed\); 3 held records and later ones pass unfiltered/);
  });
});
