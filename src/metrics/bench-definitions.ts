/**
 * The metric definitions of `vllm bench serve` (vllm/benchmarks/serve.py `calculate_metrics`,
 * reference Part 1.3), in one place for both sides: `simulate` (collector.ts, summary.ts) and
 * `validate` (adapters/vllm/bench-metrics.ts) build their summaries with these functions, so a
 * predicted and a measured summary.json differ only in the measurements, never in the formulas.
 * - only successful requests count; TTFT and E2EL are one value per request;
 * - TPOT = (e2el - ttft) / (output_tokens - 1), only for output_tokens > 1;
 * - ITL pools every inter-token gap of every request;
 * - goodput: a request is good when every given SLO >= its value, TPOT counting as 0 when output <= 1;
 * - throughputs divide by the benchmark duration (0 when the duration is 0);
 * - stats are numpy's: mean, median, population std, percentiles with linear interpolation.
 * Samples come through `SampleStats`: `ExactSamples` here (every value kept, as the bench does;
 * empty gives 0, as serve.py's `np.mean(x or 0)`), or the simulator's bounded `Distribution`
 * (empty gives NaN, written null: a simulated run says "no data" rather than 0 ms).
 */
import { round6, roundDecimals } from '../round.js';
import { LATENCY_STATS, type LatencyMetric, type LatencyStat } from './latency-keys.js';

/** What the stats keys read of a set of samples. */
export interface SampleStats {
  readonly count: number;
  mean(): number;
  /** Population standard deviation (numpy's default). */
  std(): number;
  /** p in [0, 100]. */
  percentile(p: number): number;
}

/** TPOT of one request, ms; null for a single-token output (the bench leaves it out). */
export function tpotMs(e2elMs: number, ttftMs: number, outputTokens: number): number | null {
  return outputTokens > 1 ? (e2elMs - ttftMs) / (outputTokens - 1) : null;
}

export interface Slo {
  ttftMs?: number;
  tpotMs?: number;
  e2elMs?: number;
}

/** The bench's goodput test of one successful request (`tpot` null counts as 0). */
export function meetsSlo(slo: Slo, ttft: number, tpot: number | null, e2el: number): boolean {
  return (slo.ttftMs === undefined || slo.ttftMs >= ttft) && (slo.tpotMs === undefined || slo.tpotMs >= (tpot ?? 0)) && (slo.e2elMs === undefined || slo.e2elMs >= e2el);
}

/** numpy.percentile (linear interpolation) of ascending `sorted`; 0 when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** Every sample kept (a measured run): two-pass mean and variance, as numpy. */
export class ExactSamples implements SampleStats {
  private readonly sorted: number[];
  private readonly m: number;

  constructor(values: readonly number[]) {
    this.sorted = [...values].sort((a, b) => a - b);
    const n = this.sorted.length;
    this.m = n ? this.sorted.reduce((a, v) => a + v, 0) / n : 0;
  }

  get count(): number {
    return this.sorted.length;
  }

  mean(): number {
    return this.m;
  }

  std(): number {
    const n = this.sorted.length;
    return n ? Math.sqrt(this.sorted.reduce((a, v) => a + (v - this.m) ** 2, 0) / n) : 0;
  }

  percentile(p: number): number {
    return percentile(this.sorted, p);
  }
}

const STAT_PERCENTILE: Record<Exclude<LatencyStat, 'mean' | 'std'>, number> = { median: 50, p90: 90, p99: 99 };

/**
 * The five `{mean,median,std,p90,p99}_<metric>_ms` keys, in the bench's order, rounded by round6.
 * `meanMs` replaces the samples' mean where the caller knows it exactly (the simulator's pooled ITL).
 */
export function latencyKeys<M extends LatencyMetric>(metric: M, d: SampleStats, meanMs?: number): Record<`${LatencyStat}_${M}_ms`, number | null> {
  const out: Record<string, number | null> = {};
  for (const s of LATENCY_STATS) {
    const v = s === 'mean' ? (meanMs ?? d.mean()) : s === 'std' ? d.std() : d.percentile(STAT_PERCENTILE[s]);
    out[`${s}_${metric}_ms`] = round6(v);
  }
  return out as Record<`${LatencyStat}_${M}_ms`, number | null>;
}

export interface Totals {
  completed: number;
  failed: number;
  /** Good requests, or null without an SLO (request_goodput is then null). */
  good: number | null;
  totalInputTokens: number;
  totalOutputTokens: number;
  durationS: number;
}

/** The bench's count and throughput keys, in its order (finite by construction: 0 for a zero duration). */
export function throughputKeys(t: Totals) {
  const perS = (x: number): number => roundDecimals(t.durationS > 0 ? x / t.durationS : 0, 6);
  return {
    completed: t.completed,
    failed: t.failed,
    duration: roundDecimals(t.durationS, 6),
    total_input_tokens: t.totalInputTokens,
    total_output_tokens: t.totalOutputTokens,
    request_throughput: perS(t.completed),
    request_goodput: t.good === null ? null : perS(t.good),
    output_throughput: perS(t.totalOutputTokens),
    total_token_throughput: perS(t.totalInputTokens + t.totalOutputTokens),
  };
}
