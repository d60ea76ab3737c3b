/**
 * A regex backend that stands in for another (the Hyperscan package without
 * its addon) carries a notice; the processors' engine says it once, on diag.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { diag } from '@opentelemetry/api';
import { Re2jsBackend, type RegexBackend } from '@otel-policy/core';
import { openPolicies, PolicyLogRecordProcessor, PolicySpanProcessor, type LogRecordProcessorLike } from '@otel-policy/sdk-processor';
import { captureDiag } from './support.js';

const NOTICE = 'regex backend "hyperscan" is unavailable (native addon not built); using the re2js backend';

function standIn(): RegexBackend {
  const inner = new Re2jsBackend();
  return { name: inner.name, notice: NOTICE, compile: (p, ci) => inner.compile(p, ci) };
}

const sink: LogRecordProcessorLike = { onEmit() {}, forceFlush: async () => {}, shutdown: async () => {} };
const policies = { policies: [{ id: 'drop-debug', name: 'drop-debug', log: { match: [{ log_field: 'body', regex: '^DEBUG' }], keep: 'none' } }] };

afterEach(() => diag.disable());

describe('regex backend notice', () => {
  it('reaches diag as one warning from a processor', async () => {
    const capture = captureDiag();
    const processor = new PolicyLogRecordProcessor(sink, { policies, regexBackend: standIn() });
    expect(capture.find('warn', NOTICE)).toHaveLength(1);
    await processor.shutdown();
  });

  it('is said once for processors that share one policy handle', async () => {
    const capture = captureDiag();
    const handle = openPolicies(policies, { regexBackend: standIn() });
    const logs = new PolicyLogRecordProcessor(sink, { policies: handle });
    const spans = new PolicySpanProcessor({ onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} }, { policies: handle });
    expect(capture.find('warn', NOTICE)).toHaveLength(1);
    await logs.shutdown();
    await spans.shutdown();
    await handle.shutdown();
  });

  it('is not said for a backend without one', async () => {
    const capture = captureDiag();
    const processor = new PolicyLogRecordProcessor(sink, { policies, regexBackend: new Re2jsBackend() });
    expect(capture.messages.filter((m) => m.level === 'warn')).toEqual([]);
    await processor.shutdown();
  });
});
