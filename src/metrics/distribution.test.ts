import { describe, expect, it } from 'vitest';
import { Distribution, SKETCH_RELATIVE_ACCURACY } from './distribution.js';

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
});
