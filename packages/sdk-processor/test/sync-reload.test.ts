/**
 * A policy change on a sync server reaches a running SDK processor within one
 * poll interval (the server's recommended sync interval).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { HttpPolicyProvider, PolicySyncServer } from '@otel-policy/providers';
import { openPolicies, PolicyLogRecordProcessor } from '@otel-policy/sdk-processor';
import { waitFor } from './support.js';

const dropping = (body: string) => JSON.stringify({ policies: [{ id: 'drop', name: 'drop', log: { match: [{ log_field: 'body', exact: body }], keep: 'none' } }] });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('policy changes over sync', () => {
  it('a change on the server is in force within one sync interval', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otel-policy-sync-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'policies.json');
    writeFileSync(file, dropping('a'));
    const server = new PolicySyncServer({ policies: file, httpPort: 0, grpcPort: false, syncIntervalSecs: 1, filePollIntervalSecs: 1 });
    await server.start();
    cleanups.push(() => server.stop());
    const policies = openPolicies(new HttpPolicyProvider({ url: `http://127.0.0.1:${server.httpPort}/v1/policy/sync` }));
    cleanups.push(() => policies.shutdown());
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new PolicyLogRecordProcessor(new SimpleLogRecordProcessor({ exporter }), { policies })] });
    cleanups.push(() => provider.shutdown());
    await policies.ready;
    const logger = provider.getLogger('t');
    const exported = () => exporter.getFinishedLogRecords().map((r) => r.body);

    logger.emit({ body: 'a' });
    logger.emit({ body: 'b' });
    expect(exported()).toEqual(['b']);

    writeFileSync(file, dropping('b'));
    const changedAt = Date.now();
    // The server notices the file (its poll: 1 s), the client syncs at the recommended 1 s interval.
    const flipped = await waitFor(() => {
      exporter.reset();
      logger.emit({ body: 'a' });
      logger.emit({ body: 'b' });
      return exported().join() === 'a';
    }, 10_000);
    expect(flipped).toBe(true);
    // One server file poll plus one sync interval, with slack for a loaded machine.
    expect(Date.now() - changedAt).toBeLessThan(8_000);
  });
});
