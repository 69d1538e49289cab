/**
 * The `vllm bench serve` summary computed from per-request measurements, with the benchmark's own
 * definitions (vllm/benchmarks/serve.py `calculate_metrics`, reference Part 1.3):
 * - only successful requests count; TTFT and E2EL one value per request;
 * - TPOT = (e2el - ttft) / (output_tokens - 1), only for output_tokens > 1;
 * - ITL pools every inter-chunk gap of every request;
 * - goodput: a request is good if every given SLO >= its value, TPOT counting as 0 when output <= 1;
 * - stats are numpy's: mean, median, population std, linear-interpolated percentiles; empty -> 0.
 * The same function summarizes simulated runs, so both sides share one definition.
 */
import { LATENCY_METRICS, type BenchSummary, type GoodputSlo, type LatencyMetric, type LiveRequestResult } from './types.js';
import { roundDecimals } from '../../src/round.js';

// NaN/Infinity pass through (JSON prints them as null, as the simulator's round6 does).
const round6 = (x: number): number => (Number.isFinite(x) ? roundDecimals(x, 6) : x);

/** numpy.percentile with linear interpolation on ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export function statsOf(values: readonly number[], prefix: string): Record<string, number> {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = n ? sorted.reduce((a, v) => a + v, 0) / n : 0;
  const variance = n ? sorted.reduce((a, v) => a + (v - mean) ** 2, 0) / n : 0;
  return {
    [`mean_${prefix}_ms`]: mean,
    [`median_${prefix}_ms`]: percentile(sorted, 50),
    [`std_${prefix}_ms`]: Math.sqrt(variance),
    [`p90_${prefix}_ms`]: percentile(sorted, 90),
    [`p99_${prefix}_ms`]: percentile(sorted, 99),
  };
}

export interface SummarizeOptions {
  /** Benchmark duration in seconds (first send to last completion, as the bench measures). */
  durationS: number;
  goodput?: GoodputSlo;
}

/** Output tokens of a successful request: usage when present, else what was asked. */
const outputOf = (r: LiveRequestResult): number => r.outputTokens ?? r.requestedOutputTokens;

export function tpotMsOf(r: LiveRequestResult): number | null {
  const out = outputOf(r);
  if (r.e2elMs === null || r.ttftMs === null || out <= 1) return null;
  return (r.e2elMs - r.ttftMs) / (out - 1);
}

export function benchSummary(results: readonly LiveRequestResult[], opts: SummarizeOptions): BenchSummary {
  const ok = results.filter((r) => r.success && r.ttftMs !== null && r.e2elMs !== null);
  const ttft = ok.map((r) => r.ttftMs!);
  const e2el = ok.map((r) => r.e2elMs!);
  const tpot = ok.map(tpotMsOf).filter((v): v is number => v !== null);
  const itl = ok.flatMap((r) => r.itlMs);
  const totalIn = ok.reduce((a, r) => a + r.promptTokens, 0);
  const totalOut = ok.reduce((a, r) => a + outputOf(r), 0);
  const dur = opts.durationS;
  const perS = (x: number): number => (dur > 0 ? x / dur : 0);

  const stats: Record<LatencyMetric, number[]> = { ttft, tpot, itl, e2el };
  // Key order and rounding as the simulator's summary.json (src/metrics/summary.ts), so the two
  // files have the same keys in the same order.
  const summary: BenchSummary = {
    completed: ok.length,
    failed: results.length - ok.length,
    duration: round6(dur),
    total_input_tokens: totalIn,
    total_output_tokens: totalOut,
    request_throughput: round6(perS(ok.length)),
    request_goodput: opts.goodput ? round6(perS(ok.filter((r) => isGood(r, opts.goodput!)).length)) : null,
    output_throughput: round6(perS(totalOut)),
    total_token_throughput: round6(perS(totalIn + totalOut)),
  };
  for (const m of LATENCY_METRICS) {
    for (const [k, v] of Object.entries(statsOf(stats[m], m))) summary[k as `${string}_ms`] = round6(v);
  }
  const reasons: Record<string, number> = {};
  for (const r of results) if (!r.success) reasons[r.error ?? 'unknown'] = (reasons[r.error ?? 'unknown'] ?? 0) + 1;
  summary.pdsim = {
    failures: reasons,
    length_mismatches: results.filter((r) => r.lengthMismatch !== undefined).length,
    max_output_tokens_per_s: maxChunksPerSecond(ok),
    max_concurrent_requests: maxConcurrent(ok),
  };
  return summary;
}

function isGood(r: LiveRequestResult, slo: GoodputSlo): boolean {
  const tpot = tpotMsOf(r) ?? 0;
  return (
    (slo.ttftMs === undefined || slo.ttftMs >= r.ttftMs!) &&
    (slo.tpotMs === undefined || slo.tpotMs >= tpot) &&
    (slo.e2elMs === undefined || slo.e2elMs >= r.e2elMs!)
  );
}

/**
 * Largest count of token chunks in a one-second bucket from the first start (the bench counts
 * chunk timestamps start + ttft + cumulative itl, so do we).
 */
function maxChunksPerSecond(ok: readonly LiveRequestResult[]): number | null {
  if (ok.length === 0) return null;
  const t0 = Math.min(...ok.map((r) => r.startS));
  const buckets = new Map<number, number>();
  for (const r of ok) {
    let t = r.startS + r.ttftMs! / 1000;
    const bump = (): void => {
      const b = Math.floor(t - t0);
      buckets.set(b, (buckets.get(b) ?? 0) + 1);
    };
    bump();
    for (const gap of r.itlMs) {
      t += gap / 1000;
      bump();
    }
  }
  return Math.max(...buckets.values());
}

/** Exact peak of requests in flight over [start, start + e2el), by a sweep line. */
function maxConcurrent(ok: readonly LiveRequestResult[]): number | null {
  if (ok.length === 0) return null;
  const edges: [number, number][] = [];
  for (const r of ok) edges.push([r.startS, 1], [r.startS + r.e2elMs! / 1000, -1]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // ends before starts at the same instant
  let cur = 0;
  let peak = 0;
  for (const [, d] of edges) {
    cur += d;
    peak = Math.max(peak, cur);
  }
  return peak;
}
