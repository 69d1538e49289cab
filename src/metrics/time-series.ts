/**
 * Fixed-width time buckets for report charts: counters (tokens, completions) are summed per
 * bucket, gauges (queue, running, KV use) keep the last value per bucket and source. When a run
 * outgrows `maxBuckets`, the width doubles and neighbours merge, so memory stays bounded.
 */
export class TimeSeries {
  widthS: number;
  private tokens: number[] = [];
  private completions: number[] = [];
  /** gauges[source][bucket] = [running, waiting, usedBlocks, totalBlocks] */
  private readonly gauges = new Map<string, (number[] | undefined)[]>();

  constructor(initialWidthS: number, private readonly maxBuckets = 400) {
    this.widthS = initialWidthS;
  }

  private bucket(tS: number): number {
    let b = Math.floor(tS / this.widthS);
    while (b >= this.maxBuckets) {
      this.coarsen();
      b = Math.floor(tS / this.widthS);
    }
    return b;
  }

  private coarsen(): void {
    this.widthS *= 2;
    const merge = (a: number[]) => {
      const out: number[] = [];
      for (let i = 0; i < a.length; i += 2) out.push((a[i] ?? 0) + (a[i + 1] ?? 0));
      return out;
    };
    this.tokens = merge(this.tokens);
    this.completions = merge(this.completions);
    for (const [k, g] of this.gauges) {
      const out: (number[] | undefined)[] = [];
      for (let i = 0; i < g.length; i += 2) out.push(g[i + 1] ?? g[i]);
      this.gauges.set(k, out);
    }
  }

  /** Next bucket boundary after tS. */
  nextBoundaryS(tS: number): number {
    return (Math.floor(tS / this.widthS) + 1) * this.widthS;
  }

  addTokens(tS: number, n: number): void {
    const b = this.bucket(tS);
    this.tokens[b] = (this.tokens[b] ?? 0) + n;
  }

  /**
   * addTokens(endsS[i], n) for i in [0, count), in order, one bucket lookup (a division) per
   * bucket met rather than per time: floor(t / w) never decreases as t grows (rounding is
   * monotone), and a t below (b + 1) w (1 - 1e-12) keeps t / w, rounded, below b + 1, so rising
   * times under that bound share bucket b. Counts are integers: their sum is exact in any grouping.
   */
  addTokensAt(endsS: Float64Array, count: number, n: number): void {
    for (let i = 0; i < count; ) {
      let last = endsS[i]!;
      const b = this.bucket(last);
      const belowS = (b + 1) * this.widthS * (1 - 1e-12);
      let k = 1;
      for (i++; i < count; i++, k++) {
        const t = endsS[i]!;
        if (t < last || t >= belowS) break;
        last = t;
      }
      this.tokens[b] = (this.tokens[b] ?? 0) + k * n;
    }
  }

  addCompletion(tS: number): void {
    const b = this.bucket(tS);
    this.completions[b] = (this.completions[b] ?? 0) + 1;
  }

  gauge(source: string, tS: number, values: number[]): void {
    const b = this.bucket(tS);
    let g = this.gauges.get(source);
    if (!g) this.gauges.set(source, (g = []));
    g[b] = values;
  }

  /** Rows for the report: per bucket end time, rates and gauges summed over sources (carried forward). */
  rows(untilS: number): { tS: number; outputTokensPerS: number; requestsCompletedPerS: number; queueLength: number; running: number; kvOccupancy: number }[] {
    const n = Math.min(this.maxBuckets, Math.max(1, Math.ceil(untilS / this.widthS)));
    const last = new Map<string, number[]>();
    const rows = [];
    for (let b = 0; b < n; b++) {
      let running = 0;
      let waiting = 0;
      let used = 0;
      let total = 0;
      for (const [k, g] of this.gauges) {
        const v = g[b] ?? last.get(k);
        if (v) {
          last.set(k, v);
          running += v[0]!;
          waiting += v[1]!;
          used += v[2]!;
          total += v[3]!;
        }
      }
      rows.push({
        tS: (b + 1) * this.widthS,
        outputTokensPerS: (this.tokens[b] ?? 0) / this.widthS,
        requestsCompletedPerS: (this.completions[b] ?? 0) / this.widthS,
        queueLength: waiting,
        running,
        kvOccupancy: total > 0 ? used / total : 0,
      });
    }
    return rows;
  }

  /** Per-source gauges for the report (carried forward like rows()), at most maxBuckets points per source. */
  rowsBySource(untilS: number): { tS: number; instance: string; waiting: number; running: number; kvOccupancy: number }[] {
    const n = Math.min(this.maxBuckets, Math.max(1, Math.ceil(untilS / this.widthS)));
    const out = [];
    for (const [k, g] of [...this.gauges.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      let last: number[] | undefined;
      for (let b = 0; b < n; b++) {
        last = g[b] ?? last;
        if (last) out.push({ tS: (b + 1) * this.widthS, instance: k, waiting: last[1]!, running: last[0]!, kvOccupancy: last[3]! > 0 ? last[2]! / last[3]! : 0 });
      }
    }
    return out;
  }
}
