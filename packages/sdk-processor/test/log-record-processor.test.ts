/**
 * PolicyLogRecordProcessor inside a real LoggerProvider (sdk-logs 0.2xx):
 * what reaches an in-memory exporter through SimpleLogRecordProcessor.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { diag, ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type LogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { openPolicies, PolicyLogRecordProcessor, type LogRecordProcessorLike } from '@otel-policy/sdk-processor';
import type { SdkLogRecordLike } from '@otel-policy/adapters';
import { captureDiag, waitFor } from './support.js';

type Json = Record<string, unknown>;

// Compile-time check: the processor is an SDK LogRecordProcessor, and SDK processors are valid delegates.
const asSdkProcessor = (p: PolicyLogRecordProcessor): LogRecordProcessor => p;
const asDelegate = (p: LogRecordProcessor): LogRecordProcessorLike => p;
void asSdkProcessor;
void asDelegate;

const logPolicy = (id: string, log: Json): Json => ({ id, name: id, log });

interface Setup {
  exporter: InMemoryLogRecordExporter;
  processor: PolicyLogRecordProcessor;
  provider: LoggerProvider;
  resource: Resource;
  logger: ReturnType<LoggerProvider['getLogger']>;
  exported(): ReadableLogRecord[];
  bodies(): unknown[];
}

const open: Setup[] = [];

function setup(policies: Json[] | string, options: { resource?: Resource; scopeAttributes?: Json } = {}): Setup {
  const exporter = new InMemoryLogRecordExporter();
  const processor = new PolicyLogRecordProcessor(new SimpleLogRecordProcessor({ exporter: exporter }), {
    policies: typeof policies === 'string' ? policies : { policies },
  });
  const resource = options.resource ?? resourceFromAttributes({ 'service.name': 'svc', 'deployment.environment': 'test' });
  const provider = new LoggerProvider({ resource, processors: [processor] });
  const logger = provider.getLogger('test-scope', '1.0.0', { attributes: options.scopeAttributes as never });
  const s: Setup = {
    exporter,
    processor,
    provider,
    resource,
    logger,
    exported: () => exporter.getFinishedLogRecords(),
    bodies: () => exporter.getFinishedLogRecords().map((r) => r.body),
  };
  open.push(s);
  return s;
}

afterEach(async () => {
  vi.useRealTimers();
  diag.disable();
  for (const s of open.splice(0)) await s.provider.shutdown();
});

describe('PolicyLogRecordProcessor', () => {
  it('drops matching records and forwards the others untouched', () => {
    const s = setup([logPolicy('drop-debug', { match: [{ log_field: 'severity_text', exact: 'DEBUG' }], keep: 'none' })]);
    s.logger.emit({ severityText: 'DEBUG', body: 'noisy' });
    s.logger.emit({ severityText: 'INFO', body: 'useful', attributes: { a: 1 } });
    s.logger.emit({ body: 'no severity' });
    expect(s.bodies()).toEqual(['useful', 'no severity']);
    expect(s.exported()[0].attributes).toEqual({ a: 1 });
    expect(s.exported()[0].resource).toBe(s.resource);
    const stats = s.processor.policies.stats();
    expect(stats).toMatchObject([{ policyId: 'drop-debug', hits: 1, misses: 0 }]);
  });

  it('matches on trace context, event name, resource and scope attributes', () => {
    const s = setup(
      [
        logPolicy('by-trace', { match: [{ log_field: 'trace_id', exact: '0af7651916cd43dd8448eb211c80319c' }], keep: 'none' }),
        logPolicy('by-event', { match: [{ log_field: 'event_name', exact: 'heartbeat' }], keep: 'none' }),
        logPolicy('by-scope', {
          match: [
            { scope_attribute: 'team', exact: 'core' },
            { log_attribute: 'drop', exists: true },
          ],
          keep: 'none',
        }),
        logPolicy('by-resource', {
          match: [
            { resource_attribute: 'service.name', exact: 'svc' },
            { log_attribute: ['http', 'method'], exact: 'HEAD' },
          ],
          keep: 'none',
        }),
      ],
      { scopeAttributes: { team: 'core' } },
    );
    const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });
    s.logger.emit({ body: 'in trace', context: ctx });
    s.logger.emit({ body: 'event', eventName: 'heartbeat' });
    s.logger.emit({ body: 'flagged', attributes: { drop: '' } });
    s.logger.emit({ body: 'head', attributes: { http: { method: 'HEAD' } } });
    s.logger.emit({ body: 'get', attributes: { http: { method: 'GET' } } });
    s.logger.emit({ body: 'plain' });
    expect(s.bodies()).toEqual(['get', 'plain']);
  });

  it('samples consistently by sample_key', () => {
    const s = setup([logPolicy('half', { match: [{ log_attribute: 'user.id', exists: true }], keep: '50%', sample_key: { log_attribute: 'user.id' } })]);
    for (let round = 0; round < 2; round++) for (let i = 0; i < 1000; i++) s.logger.emit({ body: `u${i}`, attributes: { 'user.id': `user-${i}` } });
    const kept = new Map<unknown, number>();
    for (const b of s.bodies()) kept.set(b, (kept.get(b) ?? 0) + 1);
    // The same key always gets the same decision.
    expect([...kept.values()].every((n) => n === 2)).toBe(true);
    expect(kept.size).toBeGreaterThan(400);
    expect(kept.size).toBeLessThan(600);
    // Records without the key do not match this policy and pass.
    s.logger.emit({ body: 'anonymous' });
    expect(s.bodies().at(-1)).toBe('anonymous');
  });

  it('samples each record independently without sample_key', () => {
    const s = setup([logPolicy('quarter', { match: [{ log_field: 'body', starts_with: 'r' }], keep: '25%' })]);
    for (let i = 0; i < 8000; i++) s.logger.emit({ body: `r${i}` });
    const rate = s.exported().length / 8000;
    expect(rate).toBeGreaterThan(0.22);
    expect(rate).toBeLessThan(0.28);
  });

  it('rate-limits per window on the wall clock', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-01-01T00:00:00Z') });
    const s = setup([logPolicy('two-per-minute', { match: [{ log_field: 'body', exists: true }], keep: '2/m' })]);
    for (let i = 0; i < 5; i++) s.logger.emit({ body: `a${i}` });
    expect(s.bodies()).toEqual(['a0', 'a1']);
    vi.setSystemTime(new Date('2030-01-01T00:00:59Z'));
    s.logger.emit({ body: 'b0' });
    expect(s.bodies()).toEqual(['a0', 'a1']);
    vi.setSystemTime(new Date('2030-01-01T00:01:01Z'));
    for (let i = 0; i < 3; i++) s.logger.emit({ body: `c${i}` });
    expect(s.bodies()).toEqual(['a0', 'a1', 'c0', 'c1']);
  });

  it('applies transforms in place, in order, keeping attribute order', () => {
    const s = setup([
      logPolicy('scrub', {
        match: [{ log_field: 'body', contains: 'login' }],
        keep: 'all',
        transform: {
          remove: [{ log_attribute: 'password' }],
          redact: [
            { log_attribute: 'token', regex: '^(\\w{3})\\w+$', replacement: '${1}***' },
            { log_field: 'body', regex: 'user=\\w+', replacement: 'user=[REDACTED]' },
          ],
          rename: [{ from_log_attribute: 'usr', to: 'user.name' }],
          add: [
            { log_attribute: 'processed', value: 'yes' },
            { log_attribute: 'first', value: 'kept', upsert: false },
            { log_attribute: 'token', value: 'overwritten?', upsert: false },
          ],
        },
      }),
    ]);
    s.logger.emit({ body: 'login user=alice', attributes: { first: 1, password: 'hunter2', token: 'abcdef', usr: 'alice', last: true } });
    s.logger.emit({ body: 'logout user=bob', attributes: { password: 'p' } });
    const [a, b] = s.exported();
    expect(a.body).toBe('login user=[REDACTED]');
    expect(Object.entries(a.attributes)).toEqual([
      ['first', 1],
      ['token', 'abc***'],
      ['last', true],
      ['user.name', 'alice'],
      ['processed', 'yes'],
    ]);
    expect(b.body).toBe('logout user=bob');
    expect(b.attributes).toEqual({ password: 'p' });
    const [stat] = s.processor.policies.stats();
    expect(stat.remove.hits).toBe(1);
    expect(stat.add.hits).toBe(3);
  });

  it('copies nested maps before writing into them', () => {
    const s = setup([
      logPolicy('nested', {
        match: [{ log_attribute: ['http', 'method'], exact: 'POST' }],
        keep: 'all',
        transform: { redact: [{ log_attribute: ['http', 'auth'], replacement: 'x' }], add: [{ log_attribute: ['meta', 'seen'], value: 'y' }] },
      }),
    ]);
    const http = { method: 'POST', auth: 'secret' };
    s.logger.emit({ body: 'p', attributes: { http } });
    const [rec] = s.exported();
    expect(rec.attributes).toEqual({ http: { method: 'POST', auth: 'x' }, meta: { seen: 'y' } });
    expect(http).toEqual({ method: 'POST', auth: 'secret' });
  });

  it('copies the resource and scope on write: the shared objects and other records are unaffected', () => {
    const resource = resourceFromAttributes({ 'service.name': 'svc', 'internal.id': '42' }, { schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' });
    const s = setup(
      [
        logPolicy('tag', {
          match: [{ log_field: 'body', starts_with: 'tag' }],
          keep: 'all',
          transform: {
            remove: [{ resource_attribute: 'internal.id' }, { scope_attribute: 'debug' }],
            add: [
              { resource_attribute: 'policy.applied', value: 'true' },
              { scope_attribute: 'scope.tag', value: 'set' },
            ],
          },
        }),
      ],
      { resource, scopeAttributes: { debug: 'on', lib: 'x' } },
    );
    const sharedAttrs = { ...resource.attributes };
    s.logger.emit({ body: 'tag me' });
    s.logger.emit({ body: 'leave me' });
    s.logger.emit({ body: 'tag me too' });
    const [tagged, untouched, tagged2] = s.exported();

    // The shared resource and scope are unchanged.
    expect(resource.attributes).toEqual(sharedAttrs);
    expect(untouched.resource).toBe(resource);
    expect(untouched.resource.attributes).toEqual({ 'service.name': 'svc', 'internal.id': '42' });
    expect(untouched.instrumentationScope.attributes).toEqual({ debug: 'on', lib: 'x' });

    // The transformed records carry their own copies.
    expect(tagged.resource).not.toBe(resource);
    expect(tagged.resource.attributes).toEqual({ 'service.name': 'svc', 'policy.applied': 'true' });
    expect(tagged.resource.schemaUrl).toBe('https://opentelemetry.io/schemas/1.24.0');
    expect(tagged.resource.asyncAttributesPending).toBe(false);
    expect(tagged.resource.merge(null).attributes).toEqual(tagged.resource.attributes);
    expect(tagged.instrumentationScope).toMatchObject({ name: 'test-scope', version: '1.0.0', attributes: { lib: 'x', 'scope.tag': 'set' } });
    expect(untouched.instrumentationScope).not.toBe(tagged.instrumentationScope);

    // Records transformed alike share one copy, so an exporter groups them together.
    expect(tagged2.resource).toBe(tagged.resource);
    expect(tagged2.instrumentationScope).toBe(tagged.instrumentationScope);
  });

  it('fails open: a record whose evaluation throws goes out unmodified and the error is reported', () => {
    const capture = captureDiag();
    const received: SdkLogRecordLike[] = [];
    const delegate: LogRecordProcessorLike = {
      onEmit: (r) => received.push(r),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const processor = new PolicyLogRecordProcessor(delegate, {
      policies: {
        policies: [
          logPolicy('mutate', {
            match: [{ log_field: 'body', exists: true }],
            keep: 'all',
            transform: { remove: [{ log_attribute: 'a' }], add: [{ log_attribute: 'boom', value: 'x' }] },
          }),
        ],
      },
    });
    const attributes = new Proxy<Record<string, unknown>>(
      { a: 1, b: 2 },
      {
        set(target, key, value) {
          if (key === 'boom') throw new Error('read-only attribute map');
          target[key as string] = value;
          return true;
        },
      },
    );
    const resource = resourceFromAttributes({});
    const record: SdkLogRecordLike = { body: 'hello', attributes, resource, instrumentationScope: { name: 's' } };
    processor.onEmit(record, ROOT_CONTEXT as Context);
    expect(received).toHaveLength(1);
    expect(received[0]).toBe(record);
    expect({ ...record.attributes }).toEqual({ a: 1, b: 2 });
    expect(capture.find('error', 'policy evaluation of a log failed').length).toBe(1);
  });

  it('propagates forceFlush and shutdown to every delegate, and shuts down its own policy source', async () => {
    const calls: string[] = [];
    const spy = (name: string): LogRecordProcessorLike => ({
      onEmit: (r) => calls.push(`${name}:emit:${String(r.body)}`),
      forceFlush: async () => void calls.push(`${name}:flush`),
      shutdown: async () => void calls.push(`${name}:shutdown`),
      enabled: () => name === 'b',
    });
    const processor = new PolicyLogRecordProcessor([spy('a'), spy('b')], { policies: { policies: [] } });
    const handleShutdown = vi.spyOn(processor.policies, 'shutdown');
    processor.onEmit({ body: 'x', attributes: {}, resource: resourceFromAttributes({}), instrumentationScope: { name: 's' } });
    expect(processor.enabled({ context: ROOT_CONTEXT, instrumentationScope: { name: 's' } })).toBe(true);
    await processor.forceFlush();
    await processor.shutdown();
    await processor.shutdown();
    expect(calls).toEqual(['a:emit:x', 'b:emit:x', 'a:flush', 'b:flush', 'a:shutdown', 'b:shutdown']);
    expect(handleShutdown).toHaveBeenCalledTimes(1);
    // After shutdown, records are no longer forwarded.
    processor.onEmit({ body: 'late', attributes: {}, resource: resourceFromAttributes({}), instrumentationScope: { name: 's' } });
    expect(calls.filter((c) => c.includes('late'))).toEqual([]);
  });

  it('does not shut down a shared PolicyHandle', async () => {
    const handle = openPolicies({ policies: [] });
    const spy = vi.spyOn(handle, 'shutdown');
    const processor = new PolicyLogRecordProcessor(new SimpleLogRecordProcessor({ exporter: new InMemoryLogRecordExporter() }), { policies: handle });
    expect(processor.policies).toBe(handle);
    await processor.shutdown();
    expect(spy).not.toHaveBeenCalled();
    await handle.shutdown();
  });

  it('reports invalid policies through diag and keeps running the valid ones', () => {
    const capture = captureDiag();
    const s = setup([logPolicy('bad-regex', { match: [{ log_field: 'body', regex: '([bad' }], keep: 'none' }), logPolicy('good', { match: [{ log_field: 'body', exact: 'drop me' }], keep: 'none' })]);
    const warnings = capture.find('warn', 'bad-regex');
    expect(warnings.length).toBe(1);
    expect(warnings[0].args.join(' ')).toContain('is invalid and inert');
    expect(warnings[0].args.join(' ')).toContain('log: match[0]: invalid regex "([bad"');
    s.logger.emit({ body: 'drop me' });
    s.logger.emit({ body: '([bad' });
    expect(s.bodies()).toEqual(['([bad']);
    expect(s.processor.policies.stats().find((p) => p.policyId === 'bad-regex')?.errors.length).toBe(1);
  });

  it('reloads a watched policy file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-logs-'));
    try {
      const file = path.join(dir, 'policies.json');
      const policyFor = (severity: string) => JSON.stringify({ policies: [logPolicy('drop', { match: [{ log_field: 'severity_text', exact: severity }], keep: 'none' })] });
      writeFileSync(file, policyFor('DEBUG'));
      const s = setup(file);
      await s.processor.policies.ready;
      s.logger.emit({ severityText: 'DEBUG', body: 'd1' });
      s.logger.emit({ severityText: 'INFO', body: 'i1' });
      expect(s.bodies()).toEqual(['i1']);

      writeFileSync(file, policyFor('INFO'));
      const reloaded = await waitFor(
        async () => {
          await s.processor.policies.settled();
          const before = s.exported().length;
          s.logger.emit({ severityText: 'INFO', body: 'probe' });
          return s.exported().length === before;
        },
        15_000,
        100,
      );
      expect(reloaded).toBe(true);
      s.exporter.reset();
      s.logger.emit({ severityText: 'DEBUG', body: 'd2' });
      s.logger.emit({ severityText: 'INFO', body: 'i2' });
      expect(s.bodies()).toEqual(['d2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('forwards to several delegates', () => {
    const a = new InMemoryLogRecordExporter();
    const b = new InMemoryLogRecordExporter();
    const processor = new PolicyLogRecordProcessor([new SimpleLogRecordProcessor({ exporter: a }), new SimpleLogRecordProcessor({ exporter: b })], {
      policies: { policies: [logPolicy('drop', { match: [{ log_field: 'body', exact: 'x' }], keep: 'none' })] },
    });
    const provider = new LoggerProvider({ processors: [processor] });
    open.push({ provider } as Setup);
    const logger = provider.getLogger('s');
    logger.emit({ body: 'x' });
    logger.emit({ body: 'y' });
    expect(a.getFinishedLogRecords().map((r) => r.body)).toEqual(['y']);
    expect(b.getFinishedLogRecords().map((r) => r.body)).toEqual(['y']);
  });
});
