import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { meanInterval, studentTCdf, studentTQuantile, welchInterval } from './stats.js';

/** Standard normal deviates (Box-Muller) from a seeded generator. */
function normals(seed: string): () => number {
  const rng = seedrandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

describe('Student t', () => {
  it('matches published 97.5% quantiles (e.g. NIST/SEMATECH e-Handbook, Table 1.3.6.7.2)', () => {
    const table: [number, number][] = [[1, 12.706], [2, 4.303], [4, 2.776], [9, 2.262], [29, 2.045], [100, 1.984]];
    for (const [df, t] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 3);
    // df = 1 is the Cauchy distribution: CDF(t) = 1/2 + atan(t)/pi.
    expect(studentTCdf(2.5, 1)).toBeCloseTo(0.5 + Math.atan(2.5) / Math.PI, 10);
    // Large df tends to the normal: 1.959964.
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959964, 4);
  });

  it('a 95% interval from n = 5 samples covers the true mean at about the stated rate', () => {
    const z = normals('coverage');
    const trials = 2000;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const xs = Array.from({ length: 5 }, () => 10 + 3 * z());
      const iv = meanInterval(xs);
      if (iv.lo <= 10 && 10 <= iv.hi) covered++;
    }
    // Binomial sd at p = 0.95, n = 2000 is 0.5%: these bounds are 4 sd wide.
    expect(covered / trials).toBeGreaterThan(0.93);
    expect(covered / trials).toBeLessThan(0.97);
  });

  it("Welch's interval excludes 0 for a real difference and rarely for none", () => {
    const z = normals('welch');
    let falseAlarms = 0;
    for (let t = 0; t < 1000; t++) {
      const a = Array.from({ length: 4 }, () => z());
      const b = Array.from({ length: 6 }, () => 3 * z());
      if (welchInterval(a, b).significant) falseAlarms++;
    }
    expect(falseAlarms / 1000).toBeLessThan(0.08);
    expect(falseAlarms / 1000).toBeGreaterThan(0.02);
    const shifted = welchInterval([1, 1.1, 0.9, 1.05], [2, 2.1, 1.9, 2.05]);
    expect(shifted.significant).toBe(true);
    expect(shifted.lo).toBeLessThan(1);
    expect(shifted.hi).toBeGreaterThan(1);
  });
});
