/**
 * Self-telemetry: counters and gauges rendered in the Prometheus text
 * exposition format (0.0.4) for the pull endpoint. Counters are incremented
 * per batch, never per record; gauges are read when scraped.
 */

type Labels = Record<string, string>;

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: Labels) => {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(',')}}`;
};
const num = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN');

/** A counter family: one series per label set. */
export class Counter {
  private readonly series = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** Add `n` (>= 0) to the series of `labels`. */
  add(labels: Labels, n = 1): void {
    const key = labelText(labels);
    const s = this.series.get(key);
    if (s) s.value += n;
    else this.series.set(key, { labels, value: n });
  }

  /** A handle on one series, for hot paths. */
  bind(labels: Labels): { add(n: number): void; readonly value: number } {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, value: 0 };
      this.series.set(key, s);
    }
    const series = s;
    return {
      add(n: number) {
        series.value += n;
      },
      get value() {
        return series.value;
      },
    };
  }

  value(labels: Labels): number {
    return this.series.get(labelText(labels))?.value ?? 0;
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const [key, s] of this.series) out += `${this.name}${key} ${num(s.value)}\n`;
    return out;
  }
}

/** A family whose samples are computed at scrape time (gauges, or counters kept elsewhere). */
export class Collected {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter',
    readonly collect: () => Iterable<[Labels, number]>,
  ) {}

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.type}\n`;
    for (const [labels, v] of this.collect()) out += `${this.name}${labelText(labels)} ${num(v)}\n`;
    return out;
  }
}

/** All self-metrics of one service. */
export class MetricsRegistry {
  private readonly families = new Map<string, Counter | Collected>();

  counter(name: string, help: string): Counter {
    const existing = this.families.get(name);
    if (existing instanceof Counter) return existing;
    const c = new Counter(name, help);
    this.families.set(name, c);
    return c;
  }

  /** Register a family computed at scrape time; several sources may add to one name. */
  collected(name: string, help: string, type: 'gauge' | 'counter', collect: () => Iterable<[Labels, number]>): void {
    const existing = this.families.get(name);
    if (existing instanceof Collected) {
      const prev = existing;
      this.families.set(
        name,
        new Collected(name, help, type, function* () {
          yield* prev.collect();
          yield* collect();
        }),
      );
      return;
    }
    this.families.set(name, new Collected(name, help, type, collect));
  }

  /** The Prometheus text exposition of every family. */
  render(): string {
    let out = '';
    for (const f of this.families.values()) out += f.render();
    return out;
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
