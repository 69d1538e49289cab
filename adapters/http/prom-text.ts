/**
 * A minimal Prometheus text-format (0.0.4) writer: counters (written with `_total` and `_created`
 * like prometheus_client does, which is what vLLM emits), gauges and cumulative histograms.
 * No dependency: a server here needs a dozen series, not a client library.
 */

export type Labels = Record<string, string | number>;

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(String(v))}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

const fmt = (v: number): string => (v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : Number.isNaN(v) ? 'NaN' : String(v));

interface Series<T> {
  labels: Labels;
  value: T;
}

class Family<T> {
  readonly series = new Map<string, Series<T>>();
  constructor(readonly init: () => T) {}
  get(labels: Labels): T {
    const key = formatLabels(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, value: this.init() };
      this.series.set(key, s);
    }
    return s.value;
  }
}

interface HistogramValue {
  counts: number[];
  sum: number;
  count: number;
}

export class PromRegistry {
  private readonly counters = new Map<string, { help: string; fam: Family<{ v: number; createdS: number }> }>();
  private readonly gauges = new Map<string, { help: string; fam: Family<{ v: number }> }>();
  private readonly histograms = new Map<string, { help: string; bucketsUpper: number[]; fam: Family<HistogramValue> }>();

  /** Declares a counter; `name` without the `_total` suffix (as vLLM's code names them). */
  counter(name: string, help: string): void {
    if (!this.counters.has(name)) this.counters.set(name, { help, fam: new Family(() => ({ v: 0, createdS: Date.now() / 1000 })) });
  }
  gauge(name: string, help: string): void {
    if (!this.gauges.has(name)) this.gauges.set(name, { help, fam: new Family(() => ({ v: 0 })) });
  }
  histogram(name: string, help: string, bucketsUpper: readonly number[]): void {
    const b = [...bucketsUpper].sort((x, y) => x - y);
    if (!this.histograms.has(name)) {
      this.histograms.set(name, { help, bucketsUpper: b, fam: new Family(() => ({ counts: b.map(() => 0), sum: 0, count: 0 })) });
    }
  }

  inc(name: string, labels: Labels, by = 1): void {
    const c = this.counters.get(name);
    if (!c) throw new Error(`Unknown counter ${name}`);
    c.fam.get(labels).v += by;
  }
  set(name: string, labels: Labels, value: number): void {
    const g = this.gauges.get(name);
    if (!g) throw new Error(`Unknown gauge ${name}`);
    g.fam.get(labels).v = value;
  }
  observe(name: string, labels: Labels, value: number): void {
    const h = this.histograms.get(name);
    if (!h) throw new Error(`Unknown histogram ${name}`);
    const s = h.fam.get(labels);
    s.sum += value;
    s.count++;
    h.bucketsUpper.forEach((le, i) => {
      if (value <= le) s.counts[i]!++;
    });
  }

  /** The exposition text. */
  render(): string {
    const out: string[] = [];
    for (const [name, { help, fam }] of this.counters) {
      out.push(`# HELP ${name}_total ${help}`, `# TYPE ${name}_total counter`);
      for (const s of fam.series.values()) out.push(`${name}_total${formatLabels(s.labels)} ${fmt(s.value.v)}`);
      for (const s of fam.series.values()) out.push(`${name}_created${formatLabels(s.labels)} ${fmt(s.value.createdS)}`);
    }
    for (const [name, { help, fam }] of this.gauges) {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
      for (const s of fam.series.values()) out.push(`${name}${formatLabels(s.labels)} ${fmt(s.value.v)}`);
    }
    for (const [name, { help, bucketsUpper, fam }] of this.histograms) {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
      for (const s of fam.series.values()) {
        bucketsUpper.forEach((le, i) => out.push(`${name}_bucket${formatLabels({ ...s.labels, le: fmt(le) })} ${s.value.counts[i]}`));
        out.push(`${name}_bucket${formatLabels({ ...s.labels, le: '+Inf' })} ${s.value.count}`);
        out.push(`${name}_count${formatLabels(s.labels)} ${s.value.count}`, `${name}_sum${formatLabels(s.labels)} ${fmt(s.value.sum)}`);
      }
    }
    return out.join('\n') + '\n';
  }
}
