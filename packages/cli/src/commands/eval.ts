import { readFile, writeFile } from 'node:fs/promises';
import { PolicyEngine, parsePolicyText, type Signal } from '@otel-policy/core';
import { applyToLogs, applyToMetrics, applyToTraces } from '@otel-policy/adapters';
import { flag, requireFlag, UsageError, type ParsedArgs } from '../args.js';

export const EVAL_USAGE = `otel-policy eval --policies FILE --input FILE [--output FILE] [--stats FILE] [--signal log|metric|trace]

Evaluate an OTLP/JSON payload against a policy file (JSON or YAML). Writes the
payload with dropped records removed and transforms applied (stdout when
--output is absent), and per-policy hit/miss counts to --stats.`;

/** Decide the signal from the payload when --signal is not given. */
export function signalOfPayload(data: Record<string, unknown>): Signal | undefined {
  if (data.resourceLogs !== undefined) return 'log';
  if (data.resourceMetrics !== undefined) return 'metric';
  if (data.resourceSpans !== undefined) return 'trace';
  return undefined;
}

/** Per-policy stats in the conformance stats-file format. */
export function statsFile(engine: PolicyEngine): { policies: { policy_id: string; hits: number; misses?: number }[] } {
  const policies = engine
    .stats()
    .filter((s) => s.hits > 0 || s.misses > 0)
    .map((s) => (s.misses > 0 ? { policy_id: s.policyId, hits: s.hits, misses: s.misses } : { policy_id: s.policyId, hits: s.hits }));
  return { policies };
}

/** Run one payload through an engine, in place. */
export function applyPayload(engine: PolicyEngine, signal: Signal, data: Record<string, unknown>): void {
  if (signal === 'log') applyToLogs(engine, data);
  else if (signal === 'metric') applyToMetrics(engine, data);
  else applyToTraces(engine, data);
}

export async function runEval(args: ParsedArgs): Promise<number> {
  const policiesPath = requireFlag(args, 'policies');
  const inputPath = requireFlag(args, 'input');
  const set = parsePolicyText(await readFile(policiesPath, 'utf8'), { source: policiesPath });
  const engine = new PolicyEngine({ policies: set, logger: { error: (m) => process.stderr.write(`${m}\n`), warn: (m) => process.stderr.write(`${m}\n`) } });
  const data = JSON.parse(await readFile(inputPath, 'utf8')) as Record<string, unknown>;
  const signalFlag = flag(args, 'signal');
  if (signalFlag !== undefined && !['log', 'metric', 'trace'].includes(signalFlag)) throw new UsageError(`--signal must be log, metric or trace`);
  const signal = (signalFlag as Signal | undefined) ?? signalOfPayload(data);
  if (!signal) throw new UsageError('cannot tell the signal of the input; pass --signal');
  applyPayload(engine, signal, data);
  const out = JSON.stringify(data, null, 2) + '\n';
  const outputPath = flag(args, 'output');
  if (outputPath) await writeFile(outputPath, out);
  else process.stdout.write(out);
  const statsPath = flag(args, 'stats');
  if (statsPath) await writeFile(statsPath, JSON.stringify(statsFile(engine), null, 2) + '\n');
  return 0;
}
