/** Absolute percentage error summaries: |predicted / measured - 1|, in percent. */

export interface ErrorStats {
  n: number;
  medianPct: number;
  p90Pct: number;
  /** Signed median of predicted / measured - 1, in percent: shows a systematic bias. */
  biasPct: number;
}

/** Linear-interpolated quantile of a sorted array (the same definition as numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Pairs are [predicted, measured]. */
export function errorStats(pairs: readonly (readonly [number, number])[]): ErrorStats {
  const ape = pairs.map(([p, m]) => Math.abs(p / m - 1) * 100).sort((a, b) => a - b);
  const signed = pairs.map(([p, m]) => (p / m - 1) * 100).sort((a, b) => a - b);
  return { n: pairs.length, medianPct: quantile(ape, 0.5), p90Pct: quantile(ape, 0.9), biasPct: quantile(signed, 0.5) };
}
