/**
 * Replicated runs: N seeds derived deterministically from a base seed (the first is the base seed
 * itself, so `--replicates 1` is the plain run), and per-metric mean and 95% interval over the
 * replicates' summaries. Replicates are independent runs (different arrivals and lengths), so the
 * interval is of the metric's mean over workloads drawn from the scenario's distributions.
 */
import type { Summary } from '../metrics/summary.js';
import { meanInterval, type Interval } from './stats.js';

/** A 32-bit integer hash (the mix step of splitmix32 / murmur3's fmix32): decorrelates nearby seeds. */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Seeds of N replicates: the base seed, then hashes of (base, k), all in [1, 2^31 - 1]. */
export function replicateSeeds(baseSeed: number, n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`replicateSeeds: n=${n}`);
  const seeds = [baseSeed];
  for (let k = 1; k < n; k++) seeds.push((mix32(mix32(baseSeed) + Math.imul(k, 0x9e3779b9)) % 0x7ffffffe) + 1);
  return seeds;
}

/** Fraction of all requests (completed or failed) that met every SLO; null without an SLO. */
export function sloAttainment(s: Summary): number | null {
  if (s.request_goodput === null || s.request_goodput === undefined) return null;
  const total = (s.completed as number) + (s.failed as number);
  return total > 0 ? (s.pdsim.goodput_requests as number) / total : 0;
}

/** The top-level numeric figures of a summary (vllm bench serve's keys) plus `slo_attainment`. */
export function numericFigures(s: Summary): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(s)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  const att = sloAttainment(s);
  if (att !== null) out.slo_attainment = att;
  return out;
}

/** Mean and 95% interval per figure, over the replicates (figures missing from any replicate are left out). */
export function replicateIntervals(summaries: readonly Summary[]): Record<string, Interval> {
  const figs = summaries.map(numericFigures);
  const keys = Object.keys(figs[0] ?? {}).filter((k) => figs.every((f) => k in f));
  return Object.fromEntries(keys.map((k) => [k, meanInterval(figs.map((f) => f[k]!))]));
}
