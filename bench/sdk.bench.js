// SDK pipeline benchmark: CPU per emitted log record through a real
// LoggerProvider -> BatchLogRecordProcessor -> an exporter that does what the
// OTLP/HTTP exporter does with `compression: 'gzip'` short of the network:
// serialise to OTLP protobuf and gzip the body.
// Side by side in one run: no policy processor; the processor with 0 and 100
// non-matching policies; and a policy set that drops 90% of the records.
import { logs } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { gzipSync } from 'node:zlib';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { PolicyLogRecordProcessor } from '@otel-policy/sdk-processor';
import { environment, printTable, quick, writeResults } from './support.js';

const RECORDS = quick ? 20_000 : 100_000;
const ROUNDS = quick ? 3 : 7;

class SerializingExporter {
  records = 0;
  bytes = 0;
  export(batch, done) {
    this.records += batch.length;
    this.bytes += gzipSync(ProtobufLogsSerializer.serializeRequest(batch)).byteLength;
    done({ code: 0 });
  }
  forceFlush() {
    return Promise.resolve();
  }
  shutdown() {
    return Promise.resolve();
  }
}

/** 100 policies that match none of the benchmark's records (distinct literals, as real ones are). */
function nonMatching(n) {
  return Array.from({ length: n }, (_, i) => ({
    id: `noise-${String(i).padStart(3, '0')}`,
    name: `noise ${i}`,
    log: { match: [{ log_field: 'body', regex: `^job-${i} (?:failed|retrying) attempt=\\d+$` }], keep: 'none' },
  }));
}

/** Drops the 90% of records whose body says "cache hit". */
const DROP_90 = [{ id: 'drop-cache-hits', name: 'drop cache hits', log: { match: [{ log_field: 'body', starts_with: 'cache hit' }], keep: 'none' } }];

function pipeline(policies) {
  const exporter = new SerializingExporter();
  const batch = new BatchLogRecordProcessor({ exporter, maxQueueSize: RECORDS + 1, maxExportBatchSize: 512, scheduledDelayMillis: 60_000 });
  const processor = policies === undefined ? batch : new PolicyLogRecordProcessor(batch, { policies: { policies } });
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench' }), processors: [processor] });
  return { provider, exporter, logger: provider.getLogger('bench') };
}

/** One round of one variant: CPU ns per emitted record, and how many records reached the exporter. */
async function round(policies) {
  const { provider, exporter, logger } = pipeline(policies);
  const start = process.cpuUsage();
  for (let i = 0; i < RECORDS; i++) {
    const body = i % 10 === 0 ? `GET /api/v1/orders/${i} 200 OK in ${i % 90}ms` : `cache hit for product:${i % 5000} in shard ${i % 16}`;
    logger.emit({ severityText: 'INFO', body, attributes: { 'request.id': `req-${i}`, 'http.route': '/api/v1/orders' } });
  }
  await provider.forceFlush();
  const used = process.cpuUsage(start);
  await provider.shutdown();
  return { ns: ((used.user + used.system) * 1000) / RECORDS, exported: exporter.records };
}

/** Rounds interleave the variants, so drift (JIT, GC, a busy neighbour) hits all alike; medians are reported. */
async function measureAll(variants) {
  const samples = variants.map(() => []);
  const exported = variants.map(() => 0);
  for (let r = 0; r <= ROUNDS; r++) {
    for (let v = 0; v < variants.length; v++) {
      const res = await round(variants[v].policies);
      // Round 0 warms the JIT for every variant; it is not counted.
      if (r > 0) samples[v].push(res.ns);
      exported[v] = res.exported;
    }
  }
  return variants.map((variant, v) => {
    const sorted = samples[v].sort((a, b) => a - b);
    return { name: variant.name, ns_per_emitted_record: Math.round(sorted[Math.floor(sorted.length / 2)]), exported_per_round: exported[v], emitted_per_round: RECORDS };
  });
}

export async function run() {
  void logs;
  const rows = await measureAll([
    { name: 'no policy processor', policies: undefined },
    { name: 'processor, 0 policies', policies: [] },
    { name: 'processor, 100 non-matching policies', policies: nonMatching(100) },
    { name: 'processor, 100 policies + drop 90%', policies: [...nonMatching(100), ...DROP_90] },
  ]);
  const base = rows[0].ns_per_emitted_record;
  for (const r of rows) r.vs_no_processor = `${(((r.ns_per_emitted_record - base) / base) * 100).toFixed(1)}%`;
  const results = {
    benchmark: 'sdk',
    ...environment(),
    records_per_round: RECORDS,
    rounds: ROUNDS,
    configs: rows,
    overhead_100_policies_pct: Math.round(((rows[2].ns_per_emitted_record - base) / base) * 1000) / 10,
    cpu_saved_drop_90_pct: Math.round(((base - rows[3].ns_per_emitted_record) / base) * 1000) / 10,
  };
  printTable('SDK log pipeline: CPU ns per emitted record (median of rounds), batch processor -> OTLP protobuf + gzip', rows);
  console.log(`\n100 non-matching policies add ${results.overhead_100_policies_pct}%; dropping 90% saves ${results.cpu_saved_drop_90_pct}% CPU per emitted record`);
  writeResults('sdk', results);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
