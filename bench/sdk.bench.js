// SDK pipeline benchmark: CPU per emitted log record through a real
// LoggerProvider -> BatchLogRecordProcessor -> an exporter that serialises to
// OTLP protobuf (the expensive part of an OTLP export, without the network).
// Side by side in one run: no policy processor; the processor with 0 and 100
// non-matching policies; and a policy set that drops 90% of the records.
import { logs } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
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
    this.bytes += ProtobufLogsSerializer.serializeRequest(batch).byteLength;
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
  const batch = new BatchLogRecordProcessor(exporter, { maxQueueSize: RECORDS + 1, maxExportBatchSize: 512, scheduledDelayMillis: 60_000 });
  const processor = policies === undefined ? batch : new PolicyLogRecordProcessor(batch, { policies: { policies } });
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench' }), processors: [processor] });
  return { provider, exporter, logger: provider.getLogger('bench') };
}

async function measure(name, policies) {
  const samples = [];
  let exported = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const { provider, exporter, logger } = pipeline(policies);
    const start = process.cpuUsage();
    for (let i = 0; i < RECORDS; i++) {
      const body = i % 10 === 0 ? `GET /api/v1/orders/${i} 200 OK in ${i % 90}ms` : `cache hit for product:${i % 5000} in shard ${i % 16}`;
      logger.emit({ severityText: 'INFO', body, attributes: { 'request.id': `req-${i}`, 'http.route': '/api/v1/orders' } });
    }
    await provider.forceFlush();
    const used = process.cpuUsage(start);
    await provider.shutdown();
    exported = exporter.records;
    // First round warms the JIT; it is not counted.
    if (round > 0) samples.push(((used.user + used.system) * 1000) / RECORDS);
  }
  samples.sort((a, b) => a - b);
  return { name, ns_per_emitted_record: Math.round(samples[Math.floor(samples.length / 2)]), exported_per_round: exported, emitted_per_round: RECORDS };
}

export async function run() {
  void logs;
  const rows = [
    await measure('no policy processor', undefined),
    await measure('processor, 0 policies', []),
    await measure('processor, 100 non-matching policies', nonMatching(100)),
    await measure('processor, 100 policies + drop 90%', [...nonMatching(100), ...DROP_90]),
  ];
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
  printTable('SDK log pipeline: CPU ns per emitted record (median of rounds), batch processor -> OTLP protobuf serialisation', rows);
  console.log(`\n100 non-matching policies add ${results.overhead_100_policies_pct}%; dropping 90% saves ${results.cpu_saved_drop_90_pct}% CPU per emitted record`);
  writeResults('sdk', results);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
