/**
 * The memory_limiter processor: its configuration, refusing above the soft
 * limit and resuming below it, and what producers see over real sockets
 * (429 / RESOURCE_EXHAUSTED, retryable; nothing exported or queued).
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  encodeRequest,
  GrpcCode,
  MEMORY_REFUSAL,
  MemoryLimiter,
  OtlpSink,
  parseConfigText,
  silentLogger,
  type Collector,
  type Logger,
  type MemoryLimiterConfig,
} from '@otel-policy/collector';
import { closeGrpcClients, eventually, grpcExport, grpcTarget, httpBase, logsPayload, parseProm, postOtlp, sleep, spawnCollector, startCollector, tempDir } from './support.js';

const MiB = 1024 * 1024;

function configOf(body: string): MemoryLimiterConfig | string[] {
  const text = `receivers: { otlp: { protocols: { http: } } }
processors: { memory_limiter: ${body} }
exporters: { debug: }
service: { pipelines: { logs: { receivers: [otlp], processors: [memory_limiter], exporters: [debug] } } }`;
  try {
    return parseConfigText(text, process.cwd()).processors.get('memory_limiter') as MemoryLimiterConfig;
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

describe('memory_limiter configuration', () => {
  it('reads limit_mib with a default spike of 20%, or explicit spikes', () => {
    expect(configOf('{ check_interval: 1s, limit_mib: 100 }')).toEqual({ id: 'memory_limiter', type: 'memory_limiter', checkIntervalMs: 1000, limitBytes: 100 * MiB, spikeLimitBytes: 20 * MiB });
    expect(configOf('{ check_interval: 250ms, limit_mib: 100, spike_limit_mib: 30 }')).toMatchObject({ checkIntervalMs: 250, spikeLimitBytes: 30 * MiB });
    expect(configOf('{ check_interval: 1s, limit_percentage: 50, spike_limit_percentage: 10 }')).toMatchObject({ type: 'memory_limiter' });
  });

  it('refuses a missing interval, both or neither limit, and a spike not below the limit', () => {
    expect(configOf('{ limit_mib: 100 }')).toEqual(['processors.memory_limiter.check_interval: must be greater than 0']);
    expect(configOf('{ check_interval: 1s }')).toContain('processors.memory_limiter: needs one of limit_mib or limit_percentage');
    expect(configOf('{ check_interval: 1s, limit_mib: 100, limit_percentage: 50 }')).toContain('processors.memory_limiter: needs one of limit_mib or limit_percentage');
    expect(configOf('{ check_interval: 1s, limit_mib: 100, spike_limit_mib: 100 }')).toEqual(['processors.memory_limiter.spike_limit_mib: must be less than the limit']);
  });
});

describe('MemoryLimiter', () => {
  it('refuses above the soft limit and resumes below it, saying so once each time', async () => {
    let rss = 50 * MiB;
    const said: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m: string) => said.push(`warn ${m}`), info: (m: string) => said.push(`info ${m}`), with: () => logger };
    const limiter = new MemoryLimiter({ id: 'memory_limiter', type: 'memory_limiter', checkIntervalMs: 60_000, limitBytes: 100 * MiB, spikeLimitBytes: 20 * MiB }, logger, () => rss);
    await limiter.start();
    expect(limiter.refusing).toBe(false);
    rss = 81 * MiB; // above the soft limit (80 MiB), below the hard one
    limiter.check();
    limiter.check();
    expect(limiter.refusing).toBe(true);
    rss = 79 * MiB;
    limiter.check();
    expect(limiter.refusing).toBe(false);
    expect(said).toEqual(['warn Memory usage is above soft limit. Refusing data.', 'info Memory usage back within limits. Resuming normal operation.']);
    await limiter.shutdown();
  });
});

describe('a pipeline with memory_limiter over its limit', () => {
  const { dir, cleanup } = tempDir();
  let sink: OtlpSink;
  let collector: Collector;

  beforeAll(async () => {
    sink = await new OtlpSink().start();
    // 2 MiB: any Node process is above it, so the limiter refuses from its first check.
    collector = await startCollector(
      `
receivers:
  otlp: { protocols: { http: { endpoint: "127.0.0.1:0" }, grpc: { endpoint: "127.0.0.1:0" } } }
  otlp/free: { protocols: { http: { endpoint: "127.0.0.1:0" } } }
processors:
  memory_limiter: { check_interval: 100ms, limit_mib: 2, spike_limit_mib: 1 }
exporters:
  otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { enabled: false } }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], processors: [memory_limiter], exporters: [otlphttp] }
    logs/free: { receivers: [otlp/free], exporters: [otlphttp] }
`,
      dir,
    );
  });

  afterAll(async () => {
    closeGrpcClients();
    await collector?.shutdown();
    await sink?.stop();
    cleanup();
  });

  it('answers 429 with Retry-After and RESOURCE_EXHAUSTED, exporting nothing; other pipelines go on', async () => {
    const before = sink.recordsOf('logs');
    const res = await postOtlp(httpBase(collector), 'logs', encodeRequest('logs', logsPayload(3), 'proto'));
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('1');
    const g = await grpcExport(grpcTarget(collector), 'logs', encodeRequest('logs', logsPayload(3), 'proto'));
    expect(g.error?.code).toBe(GrpcCode.RESOURCE_EXHAUSTED);
    expect(g.error?.details).toBe(MEMORY_REFUSAL);
    expect(sink.recordsOf('logs')).toBe(before);
    const free = await postOtlp(httpBase(collector, 'otlp/free'), 'logs', encodeRequest('logs', logsPayload(3), 'proto'));
    expect(free.status).toBe(200);
    expect(sink.recordsOf('logs')).toBe(before + 3);
  });
});

describe('memory_limiter under a flood', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  async function run(configFile: string, env: Record<string, string>): Promise<{ child: ChildProcess; base: string; metrics: string }> {
    const { child, url } = await spawnCollector(configFile, env);
    children.push(child);
    return { child, base: url('Starting HTTP server'), metrics: `${url('Serving metrics')}/metrics` };
  }

  const rssOf = async (metricsUrl: string): Promise<number> => parseProm(await (await fetch(metricsUrl)).text()).get('otelcol_process_memory_rss_bytes') ?? 0;

  it('keeps resident memory under the limit, refusing with 429, and delivers everything it accepted', async () => {
    const { dir, cleanup } = tempDir('otel-policy-flood-');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The backend holds every export until released: accepted data piles up in the sending queue.
    const sink = await new OtlpSink({ keep: false, answer: () => ({ until: held }) }).start();
    try {
      const configFile = path.join(dir, 'config.yaml');
      writeFileSync(
        configFile,
        `
receivers:
  otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } }
processors:
  memory_limiter: { check_interval: 20ms, limit_mib: "\${env:LIMIT_MIB}", spike_limit_mib: 60 }
exporters:
  otlphttp: { endpoint: "${sink.httpUrl}", sending_queue: { num_consumers: 2, queue_size: 100000 }, timeout: 120s }
service:
  telemetry: { metrics: { address: "127.0.0.1:0" } }
  pipelines: { logs: { receivers: [otlp], processors: [memory_limiter], exporters: [otlphttp] } }
`,
      );
      // The limit: this service's resident memory at rest, plus 100 MiB; above 40 MiB over rest (the soft limit) it refuses.
      const probe = await run(configFile, { LIMIT_MIB: '100000' });
      const baseline = await rssOf(probe.metrics);
      probe.child.kill('SIGKILL');
      const limit = baseline + 100 * MiB;
      const { base, metrics } = await run(configFile, { LIMIT_MIB: String(Math.ceil(limit / MiB)) });

      const body = encodeRequest('logs', logsPayload(500, { body: (i) => `record ${i} ${'x'.repeat(1000)}` }), 'proto');
      let accepted = 0;
      let refused = 0;
      let maxRss = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          maxRss = Math.max(maxRss, await rssOf(metrics));
          await sleep(10);
        }
      })();
      // Bounded: at most 600 requests of ~0.5 MiB, 4 at a time, stopping after 40 refusals.
      let sent = 0;
      const worker = async () => {
        while (sent < 600 && refused < 40) {
          sent++;
          const res = await postOtlp(base, 'logs', body);
          if (res.status === 200) accepted++;
          else if (res.status === 429) refused++;
          else throw new Error(`unexpected ${res.status}`);
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      sampling = false;
      await sampler;
      expect(refused).toBeGreaterThan(0);
      expect(accepted).toBeGreaterThan(0);
      expect(maxRss).toBeLessThan(limit);
      release();
      await eventually(() => sink.recordsOf('logs') === accepted * 500, 60_000, 'every accepted record to be delivered');
    } finally {
      release();
      await sink.stop();
      cleanup();
    }
  });
});
