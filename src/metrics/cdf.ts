/**
 * Down-sampling of latency distributions into CDF points for the charts. Plain uniform steps in p
 * would spend all points on the body and draw the tail (p99, p99.9, where serving SLOs live) with
 * one or two points, so a quarter of the points are spaced logarithmically in 1 - p.
 */
import type { CdfPoint } from './run-series.js';

/** Share of the points spent uniformly in p; the rest go to the tail. */
const UNIFORM_SHARE = 0.75;
/** The tail grid starts at p = 0.99 (1 - 10^-2); the uniform grid already covers the body well. */
const TAIL_START_DECADES = 2;
/** A quantile sketch has no sample count; resolve its tail down to p = 0.9999. */
const SKETCH_TAIL_DECADES = 4;

/**
 * Probabilities in (0, 1], ascending, unique, ending at exactly 1, at most `maxPoints` of them:
 * a uniform grid plus a log-spaced tail grid reaching 1 - 10^-tailDecades.
 */
export function probabilityGrid(maxPoints: number, tailDecades: number): number[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 1) {
    throw new RangeError(`maxPoints must be an integer >= 1, got ${maxPoints}`);
  }
  const uniformCount = Math.ceil(maxPoints * UNIFORM_SHARE);
  const tailCount = tailDecades > TAIL_START_DECADES ? maxPoints - uniformCount : 0;
  const ps: number[] = [];
  for (let k = 1; k <= uniformCount; k++) ps.push(k / uniformCount);
  for (let j = 1; j <= tailCount; j++) {
    const decades = TAIL_START_DECADES + (j / tailCount) * (tailDecades - TAIL_START_DECADES);
    ps.push(1 - 10 ** -decades);
  }
  ps.sort((a, b) => a - b);
  return ps.filter((p, i) => i === 0 || p !== ps[i - 1]);
}

/**
 * Empirical CDF of ascending values, down-sampled to at most `maxPoints` points. Each point is an
 * exact sample: (sorted[i], (i + 1) / n). Ties collapse to their highest p, so the result is
 * strictly increasing in valueMs and in p, and the last point is (max, 1).
 */
export function cdfFromSorted(sortedValuesMs: readonly number[], maxPoints = 200): CdfPoint[] {
  const n = sortedValuesMs.length;
  if (n === 0) return [];
  let indices: number[];
  if (n <= maxPoints) {
    indices = sortedValuesMs.map((_, i) => i);
  } else {
    const grid = probabilityGrid(maxPoints, Math.log10(n));
    indices = grid.map((p) => Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1)));
  }
  const out: CdfPoint[] = [];
  for (const i of indices) {
    const point = { valueMs: sortedValuesMs[i]!, p: (i + 1) / n };
    const last = out[out.length - 1];
    if (last !== undefined && last.valueMs === point.valueMs) out[out.length - 1] = point;
    else if (last === undefined || point.p > last.p) out.push(point);
  }
  return out;
}

/**
 * CDF points from a quantile function (e.g. a metrics sketch), at most `maxPoints`, ending at p = 1.
 * Sketches can be slightly non-monotone between neighbouring quantiles; a running maximum keeps
 * the drawn CDF monotone, and points that do not advance valueMs are merged as in cdfFromSorted.
 */
export function cdfFromQuantiles(quantileFn: (p: number) => number, maxPoints = 200): CdfPoint[] {
  const out: CdfPoint[] = [];
  let runningMaxMs = -Infinity;
  for (const p of probabilityGrid(maxPoints, SKETCH_TAIL_DECADES)) {
    const q = quantileFn(p);
    if (!Number.isFinite(q)) continue; // an empty sketch answers NaN
    runningMaxMs = Math.max(runningMaxMs, q);
    const last = out[out.length - 1];
    if (last !== undefined && last.valueMs === runningMaxMs) last.p = p;
    else out.push({ valueMs: runningMaxMs, p });
  }
  return out;
}
