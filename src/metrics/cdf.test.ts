import { describe, expect, it } from 'vitest';
import { cdfFromQuantiles, cdfFromSorted, probabilityGrid } from './cdf.js';
import type { CdfPoint } from './run-series.js';

function expectMonotoneEndingAtOne(points: CdfPoint[]) {
  for (let i = 1; i < points.length; i++) {
    expect(points[i]!.p).toBeGreaterThan(points[i - 1]!.p);
    expect(points[i]!.valueMs).toBeGreaterThanOrEqual(points[i - 1]!.valueMs);
  }
  expect(points.at(-1)!.p).toBe(1);
}

describe('cdfFromSorted', () => {
  it('keeps every sample of a small input (hand-checked)', () => {
    expect(cdfFromSorted([10, 20, 30, 40])).toEqual([
      { valueMs: 10, p: 0.25 },
      { valueMs: 20, p: 0.5 },
      { valueMs: 30, p: 0.75 },
      { valueMs: 40, p: 1 },
    ]);
  });

  it('collapses ties to their highest p', () => {
    expect(cdfFromSorted([1, 1, 2, 2, 2])).toEqual([
      { valueMs: 1, p: 0.4 },
      { valueMs: 2, p: 1 },
    ]);
  });

  it('down-samples to maxPoints at exact samples (hand-checked)', () => {
    // 2 points, no tail grid: p = 0.5 -> 2nd sample, p = 1 -> last.
    expect(cdfFromSorted([1, 2, 3, 4], 2)).toEqual([
      { valueMs: 2, p: 0.5 },
      { valueMs: 4, p: 1 },
    ]);
  });

  it('is monotone, bounded in size, ends at (max, 1) and resolves the tail', () => {
    const values = Array.from({ length: 100_000 }, (_, i) => Math.sqrt(i));
    const points = cdfFromSorted(values, 200);
    expect(points.length).toBeLessThanOrEqual(200);
    expectMonotoneEndingAtOne(points);
    expect(points.at(-1)!.valueMs).toBe(values.at(-1));
    expect(points.filter((pt) => pt.p > 0.99 && pt.p < 1).length).toBeGreaterThan(10);
  });

  it('returns no points for no samples', () => {
    expect(cdfFromSorted([])).toEqual([]);
  });
});

describe('cdfFromQuantiles', () => {
  it('samples a quantile function and ends at p = 1', () => {
    const uniform = (p: number) => 1000 * p; // U(0, 1000 ms)
    const points = cdfFromQuantiles(uniform, 100);
    expect(points.length).toBeLessThanOrEqual(100);
    expectMonotoneEndingAtOne(points);
    expect(points.at(-1)!.valueMs).toBe(1000);
    for (const pt of points) expect(pt.valueMs).toBeCloseTo(1000 * pt.p, 9);
    expect(points.some((pt) => pt.p > 0.999 && pt.p < 1)).toBe(true);
  });

  it('keeps a slightly non-monotone sketch monotone', () => {
    const wobbly = (p: number) => 100 * p + (p > 0.5 && p < 0.6 ? -5 : 0);
    expectMonotoneEndingAtOne(cdfFromQuantiles(wobbly, 50));
  });

  it('returns no points for an empty sketch', () => {
    expect(cdfFromQuantiles(() => NaN)).toEqual([]);
  });
});

describe('probabilityGrid', () => {
  it('rejects a non-positive point count', () => {
    expect(() => probabilityGrid(0, 3)).toThrow(/maxPoints/);
  });
});
