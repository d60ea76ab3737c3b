// Quickstart: generate a small OTLP/JSON log payload, run it through the
// engine with policies.yaml, and show what was kept, dropped and rewritten.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PolicyEngine, parsePolicyText } from '@otel-policy/core';
import { applyToLogs } from '@otel-policy/adapters';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const engine = new PolicyEngine({ policies: parsePolicyText(readFileSync(here('policies.yaml'), 'utf8')) });

const str = (s) => ({ stringValue: s });
const attr = (key, value) => ({ key, value: str(value) });
// Request IDs as services make them (random-looking hex). sample_key hashes them
// with FNV-1a (as every engine of the spec does); keys that differ only in their
// last characters (req-1, req-2, ...) hash close together, so a handful of
// them can keep far more or far fewer than N%.
const requestId = (n) => createHash('sha256').update(`request ${n}`).digest('hex').slice(0, 16);
const records = [];
for (let i = 0; i < 1000; i++) {
  const kind = i % 10;
  if (kind < 4) records.push({ severityText: 'INFO', body: str('GET /healthz 200'), attributes: [attr('http.route', '/healthz')] });
  else if (kind < 6) records.push({ severityText: 'debug', body: str(`computed price for item ${i}`) });
  else if (kind < 8) records.push({ severityText: 'INFO', body: str(`cache miss for key user:${i}`), attributes: [attr('request.id', requestId(i))] });
  else if (kind === 8) records.push({ severityText: 'INFO', body: str(`charged card 4111-1111-1111-${String(1000 + i).slice(-4)} for order ${i}`) });
  else records.push({ severityText: 'ERROR', body: str(`payment gateway timeout for order ${i}`) });
}
const payload = {
  resourceLogs: [
    { resource: { attributes: [attr('service.name', 'checkout')] }, scopeLogs: [{ logRecords: records.filter((r) => r.severityText !== 'ERROR') }] },
    { resource: { attributes: [attr('service.name', 'payments')] }, scopeLogs: [{ logRecords: records.filter((r) => r.severityText === 'ERROR') }] },
  ],
};

const before = records.length;
const outcome = applyToLogs(engine, payload);
const after = payload.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords));

console.log(`otel-policy quickstart: ${before} log records in, ${after.length} out (${((100 * (before - after.length)) / before).toFixed(0)}% not exported)\n`);
console.log(`  dropped ${outcome.dropped}, sampled out ${outcome.sampledOut}, rate limited ${outcome.rateLimited}, transformed ${outcome.modified}, untouched ${outcome.noMatch}\n`);
const isCache = (r) => r.body.stringValue.startsWith('cache ');
const cacheIn = records.filter(isCache).length;
const cacheOut = after.filter(isCache).length;
console.log(`  cache logs: kept ${cacheOut} of ${cacheIn} (${((100 * cacheOut) / cacheIn).toFixed(0)}%; sample-cache-logs keeps 10% by request.id)\n`);
console.log('per policy:');
for (const s of engine.stats()) console.log(`  ${s.policyId.padEnd(22)} hits ${String(s.hits).padStart(4)}  misses ${String(s.misses).padStart(3)}`);
const redacted = after.find((r) => r.attributes?.some((a) => a.key === 'redacted'));
if (redacted) console.log(`\na redacted record: ${redacted.body.stringValue}`);
