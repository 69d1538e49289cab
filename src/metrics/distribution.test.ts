import { describe, expect, it } from 'vitest';
import { Distribution, SKETCH_RELATIVE_ACCURACY } from './distribution.js';
import { ulpsAway } from './ulps-testing.js';

describe('Distribution', () => {
  it('gives numpy-style percentiles (linear interpolation) when exact', () => {
    const d = new Distribution();
    for (const v of [1, 2, 3, 4, 10]) d.add(v);
    // numpy.percentile([1,2,3,4,10], [50, 90, 99]) = 3, 7.6, 9.76
    expect(d.percentile(50)).toBe(3);
    expect(d.percentile(90)).toBeCloseTo(7.6, 12);
    expect(d.percentile(99)).toBeCloseTo(9.76, 12);
    expect(d.mean()).toBe(4);
    expect(d.std()).toBeCloseTo(Math.sqrt(10), 12); // population std of [1,2,3,4,10]
  });

  it('treats a weight as that many identical samples', () => {
    const a = new Distribution();
    const b = new Distribution();
    a.add(5, 3);
    a.add(1);
    for (const v of [5, 5, 5, 1]) b.add(v);
    for (const p of [0, 25, 50, 90, 100]) expect(a.percentile(p)).toBe(b.percentile(p));
  });

  it('stays within the stated relative accuracy once it switches to the sketch', () => {
    const d = new Distribution(1000);
    const values: number[] = [];
    for (let i = 1; i <= 100000; i++) {
      const v = 0.5 + ((i * 7919) % 100000) / 1000; // 0.5 .. 100.5 ms, scrambled order
      values.push(v);
      d.add(v);
    }
    expect(d.isExact).toBe(false);
    values.sort((x, y) => x - y);
    for (const p of [10, 50, 90, 99]) {
      const exact = values[Math.round((p / 100) * (values.length - 1))]!;
      expect(Math.abs(d.percentile(p) - exact) / exact).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY * 1.01);
    }
  });

  it('puts every value past the cap in the bucket ceil(log(v) / log(gamma)) gives, bucket edges included', () => {
    // The reference: DDSketch's bucket of each value by the formula, and the quantile rule of
    // percentile() (first bucket whose cumulative count exceeds the rank, at its midpoint 2g^i/(g+1)).
    const gamma = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
    const lg = Math.log(gamma);
    const values: number[] = [];
    // Slowly rising gaps (as a decode run's), then each side of many bucket edges, a few ulps out.
    for (let i = 0; i < 20000; i++) values.push(23 + i * 1e-3);
    for (let k = -200; k < 900; k += 7) {
      const edge = Math.exp(k * lg);
      for (const u of [-3, -2, -1, 0, 1, 2, 3]) values.push(ulpsAway(edge, u));
    }
    const d = new Distribution(10);
    for (const v of values) d.add(v, 2);
    expect(d.isExact).toBe(false);
    const counts = new Map<number, number>();
    for (const v of values) {
      const b = Math.ceil(Math.log(v) / lg);
      counts.set(b, (counts.get(b) ?? 0) + 2);
    }
    const buckets = [...counts].sort((a, b) => a[0] - b[0]);
    const total = 2 * values.length;
    const min = Math.min(...values);
    const max = Math.max(...values);
    for (const p of [0, 1, 5, 10, 25, 50, 75, 90, 99, 100]) {
      expect(d.percentile(p)).toBe(sketchPercentile(buckets, total, min, max, gamma, p));
    }
  });

  it('keeps the formula\'s buckets when values alternate between cached buckets (two entries) and edges', () => {
    // Decode gaps, the longer gap across a prefill iteration and values a few ulps around bucket
    // edges, interleaved, so both cache entries are hit, swapped and replaced; every bucket count
    // must be the one ceil(log(v) / log(gamma)) gives (checked through all percentiles' buckets).
    const gamma = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
    const lg = Math.log(gamma);
    const values: number[] = [];
    for (let i = 0; i < 30000; i++) {
      values.push(23 + i * 2e-4);
      if (i % 3 === 0) values.push(260 + (i % 50) * 0.01);
      if (i % 7 === 0) values.push(ulpsAway(Math.exp(((i % 40) + 620) * lg), (i % 7) - 3));
      if (i % 11 === 0) values.push(23 + i * 2e-4 + 0.5);
    }
    const d = new Distribution(10);
    for (const v of values) d.add(v);
    expect(d.isExact).toBe(false);
    const counts = new Map<number, number>();
    for (const v of values) {
      const b = Math.ceil(Math.log(v) / lg);
      counts.set(b, (counts.get(b) ?? 0) + 1);
    }
    const buckets = [...counts].sort((a, b) => a[0] - b[0]);
    const min = Math.min(...values);
    const max = Math.max(...values);
    for (let p = 0; p <= 100; p += 0.5) {
      expect(d.percentile(p)).toBe(sketchPercentile(buckets, values.length, min, max, gamma, p));
    }
  });

  it('addGapsMs adds each gap as add() would', () => {
    const a = new Distribution(5);
    const b = new Distribution(5);
    const ends = Float64Array.of(0.1, 0.13, 0.17, 0.2, 0.26, 0.3, 0.31, 0.4);
    a.addGapsMs(0.05, ends, 7, 3);
    let start = 0.05;
    for (let i = 0; i < 7; i++) {
      b.add((ends[i]! - start) * 1000, 3);
      start = ends[i]!;
    }
    expect([a.count, a.sum, a.sumSq, a.min, a.max]).toEqual([b.count, b.sum, b.sumSq, b.min, b.max]);
    expect(a.count).toBe(21);
    for (const p of [0, 50, 90, 100]) expect(a.percentile(p)).toBe(b.percentile(p));
  });

  it('addGapsMs in sketch mode (runs of gaps within one bucket, and across buckets) equals add() gap by gap', () => {
    // Decode-like runs: slowly rising gaps that mostly share a bucket, jumps between runs, a few
    // zero and repeated gaps, weights integer and not.
    for (const weight of [1, 7, 2.5]) {
      const a = new Distribution(50);
      const b = new Distribution(50);
      let t = 0;
      for (let run = 0; run < 300; run++) {
        const n = 1 + (run % 37);
        const ends = new Float64Array(n);
        const startS = t;
        const base = run % 5 === 0 ? 0.2 : 0.023 + (run % 11) * 1e-4;
        for (let i = 0; i < n; i++) {
          t += run % 13 === 0 && i === 2 ? 0 : base + i * 1e-7;
          ends[i] = t;
        }
        a.addGapsMs(startS, ends, n, weight);
        let s = startS;
        for (let i = 0; i < n; i++) {
          b.add((ends[i]! - s) * 1000, weight);
          s = ends[i]!;
        }
      }
      expect(a.isExact).toBe(false);
      expect([a.count, a.sum, a.sumSq, a.min, a.max]).toEqual([b.count, b.sum, b.sumSq, b.min, b.max]);
      for (const p of [0, 1, 10, 25, 50, 75, 90, 99, 100]) expect(a.percentile(p)).toBe(b.percentile(p));
    }
  });
});

/** The sketch's percentile by its definition: the bucket holding the rank, its midpoint 2 gamma^b / (gamma + 1), clamped to [min, max]. */
function sketchPercentile(buckets: readonly (readonly [number, number])[], total: number, min: number, max: number, gamma: number, p: number): number {
  const rank = (p / 100) * (total - 1);
  let cum = 0;
  for (const [b, c] of buckets) {
    cum += c;
    if (rank < cum) return Math.min(max, Math.max(min, (2 * Math.pow(gamma, b)) / (gamma + 1)));
  }
  return max;
}
