/**
 * The `vllm bench serve` summary of a measured run, from per-request measurements, with the
 * definitions simulate uses too (src/metrics/bench-definitions.ts: TPOT, pooled ITL, goodput,
 * throughputs, numpy stats), so predicted and measured summaries differ only in what was measured.
 * Key order as the simulator's summary.json.
 */
import { LATENCY_METRICS, type BenchSummary, type GoodputSlo, type LatencyMetric, type LiveRequestResult } from './types.js';
import { ExactSamples, latencyKeys, meetsSlo, throughputKeys, tpotMs } from '../../src/metrics/bench-definitions.js';

export interface SummarizeOptions {
  /** Benchmark duration in seconds (first send to last completion, as the bench measures). */
  durationS: number;
  goodput?: GoodputSlo;
}

/** Output tokens of a successful request: usage when present, else what was asked. */
const outputOf = (r: LiveRequestResult): number => r.outputTokens ?? r.requestedOutputTokens;

export function tpotMsOf(r: LiveRequestResult): number | null {
  if (r.e2elMs === null || r.ttftMs === null) return null;
  return tpotMs(r.e2elMs, r.ttftMs, outputOf(r));
}

export function benchSummary(results: readonly LiveRequestResult[], opts: SummarizeOptions): BenchSummary {
  const ok = results.filter((r) => r.success && r.ttftMs !== null && r.e2elMs !== null);
  const samples: Record<LatencyMetric, number[]> = {
    ttft: ok.map((r) => r.ttftMs!),
    tpot: ok.map(tpotMsOf).filter((v): v is number => v !== null),
    itl: ok.flatMap((r) => r.itlMs),
    e2el: ok.map((r) => r.e2elMs!),
  };
  const slo = opts.goodput;
  const summary: BenchSummary = throughputKeys({
    completed: ok.length,
    failed: results.length - ok.length,
    good: slo ? ok.filter((r) => meetsSlo(slo, r.ttftMs!, tpotMsOf(r), r.e2elMs!)).length : null,
    totalInputTokens: ok.reduce((a, r) => a + r.promptTokens, 0),
    totalOutputTokens: ok.reduce((a, r) => a + outputOf(r), 0),
    durationS: opts.durationS,
  });
  for (const m of LATENCY_METRICS) Object.assign(summary, latencyKeys(m, new ExactSamples(samples[m])));
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
