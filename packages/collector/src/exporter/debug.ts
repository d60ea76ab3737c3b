/**
 * The `debug` exporter, for trying things out: a summary line per request
 * (basic), a line per record (normal), or the whole payload as indented
 * OTLP/JSON (detailed). Output is sampled as the Collector's is: the first
 * `sampling_initial` requests each second, then every `sampling_thereafter`-th.
 */
import type { DebugExporterConfig } from '../config/config.js';
import type { Logger } from '../logger.js';
import { POINT_KINDS, type OtlpData } from '../otlp/shape.js';
import type { SignalType } from '@otel-policy/proto';
import type { Exporter } from './exporter.js';
import type { ExportItem } from './item.js';

type Obj = Record<string, unknown>;
type List = Obj[] | undefined;

const anyText = (v: unknown): string => {
  const a = (v ?? {}) as Obj;
  if (a.stringValue !== undefined) return String(a.stringValue);
  if (a.intValue !== undefined) return String(a.intValue);
  if (a.doubleValue !== undefined) return String(a.doubleValue);
  if (a.boolValue !== undefined) return String(a.boolValue);
  if (a.bytesValue !== undefined) return `bytes(${String(a.bytesValue)})`;
  if (a.arrayValue !== undefined) return `[${(((a.arrayValue as Obj).values ?? []) as unknown[]).map(anyText).join(', ')}]`;
  if (a.kvlistValue !== undefined) return `{${attrsText((a.kvlistValue as Obj).values as List)}}`;
  return '';
};
const attrsText = (attrs: List): string => (attrs ?? []).map((kv) => `${String(kv.key)}=${anyText(kv.value)}`).join(' ');

/** One line per record. */
function recordLines(signal: SignalType, data: OtlpData): string[] {
  const out: string[] = [];
  const d = data as Obj;
  if (signal === 'logs') {
    for (const rl of (d.resourceLogs ?? []) as Obj[])
      for (const sl of (rl.scopeLogs ?? []) as Obj[]) for (const r of (sl.logRecords ?? []) as Obj[]) out.push(`${r.severityText ?? ''} ${anyText(r.body)} ${attrsText(r.attributes as List)}`.trim());
  } else if (signal === 'traces') {
    for (const rs of (d.resourceSpans ?? []) as Obj[])
      for (const ss of (rs.scopeSpans ?? []) as Obj[])
        for (const s of (ss.spans ?? []) as Obj[]) out.push(`${s.name ?? ''} ${s.traceId ?? ''} ${s.spanId ?? ''} ${attrsText(s.attributes as List)}`.trim());
  } else {
    for (const rm of (d.resourceMetrics ?? []) as Obj[])
      for (const sm of (rm.scopeMetrics ?? []) as Obj[])
        for (const m of (sm.metrics ?? []) as Obj[]) {
          const kind = POINT_KINDS.find((k) => m[k] !== undefined) ?? 'empty';
          const points = (((m[kind] ?? {}) as Obj).dataPoints ?? []) as Obj[];
          out.push(`${m.name ?? ''} ${kind} ${points.length} data point(s)`);
        }
  }
  return out;
}

const NOUNS: Record<SignalType, [string, string]> = {
  logs: ['resource logs', 'log records'],
  traces: ['resource spans', 'spans'],
  metrics: ['resource metrics', 'data points'],
};

export class DebugExporter implements Exporter {
  private readonly log: Logger;
  private windowStart = 0;
  private inWindow = 0;

  constructor(
    readonly config: DebugExporterConfig,
    logger: Logger,
    private readonly write: (text: string) => void = (t) => process.stdout.write(t),
  ) {
    this.log = logger.with({ kind: 'exporter', name: config.id });
  }

  get id(): string {
    return this.config.id;
  }

  hasRoom(): boolean {
    return true;
  }

  private sampled(): boolean {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    this.inWindow++;
    const { samplingInitial: first, samplingThereafter: then } = this.config;
    if (this.inWindow <= first) return true;
    return then > 0 && (this.inWindow - first) % then === 0;
  }

  async consume(item: ExportItem): Promise<void> {
    if (!this.sampled()) return;
    const [resNoun, recNoun] = NOUNS[item.signal];
    const summary = { data_type: item.signal, [resNoun]: item.payload.resources(), [recNoun]: item.records };
    const lines: string[] = [];
    // Only the record lines need the records decoded.
    if (this.config.verbosity === 'normal') lines.push(...recordLines(item.signal, item.payload.toData()));
    else if (this.config.verbosity === 'detailed') lines.push(JSON.stringify(item.payload.toData(), null, 2));
    if (this.config.useInternalLogger) {
      this.log.info(`${item.signal === 'logs' ? 'Logs' : item.signal === 'traces' ? 'Traces' : 'Metrics'}`, summary);
      if (lines.length > 0) process.stderr.write(`${lines.join('\n')}\n`);
    } else {
      this.write(`${JSON.stringify(summary)}\n${lines.length > 0 ? `${lines.join('\n')}\n` : ''}`);
    }
  }

  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
