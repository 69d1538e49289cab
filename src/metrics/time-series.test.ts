import { describe, expect, it } from 'vitest';
import { BenchPeaks } from './bench-peaks.js';
import { TimeSeries } from './time-series.js';
import { ulpsAway } from './ulps-testing.js';

/** Times at, just below and just above bucket edges of width w, with a step back in the middle. */
function edgeTimes(w: number, buckets: number): Float64Array {
  const out: number[] = [];
  for (let b = 1; b <= buckets; b++) for (const u of [-2, -1, 0, 1, 2]) out.push(ulpsAway(b * w, u));
  out.splice(out.length >> 1, 0, w * 0.5); // not rising: the run must look the bucket up again
  return Float64Array.from(out);
}

describe('TimeSeries.addTokensAt', () => {
  it('counts each time in the bucket floor(t / width) gives, at bucket edges and across coarsening', () => {
    for (const w of [0.1, 0.05, 1 / 3]) {
      const times = edgeTimes(w, 700);
      const a = new TimeSeries(w);
      const b = new TimeSeries(w);
      a.addTokensAt(times, times.length, 7);
      for (const t of times) b.addTokens(t, 7);
      expect(a.widthS).toBe(b.widthS);
      expect(a.widthS).toBeGreaterThan(w); // 700 buckets of w outgrow the 400 kept: coarsened
      const until = 701 * w;
      expect(a.rows(until)).toEqual(b.rows(until));
      expect(a.rows(until).reduce((s, r) => s + r.outputTokensPerS * a.widthS, 0)).toBeCloseTo(7 * times.length, 6);
    }
  });
});

describe('BenchPeaks.tokensAt', () => {
  it('counts each time in its 1-second bucket from the first send, at the edges', () => {
    const times = edgeTimes(1, 50).map((t) => t + 0.25);
    const a = new BenchPeaks();
    const b = new BenchPeaks();
    a.sent(0.25);
    b.sent(0.25);
    a.tokensAt(times, times.length, 3);
    for (const t of times) b.tokens(t, 3);
    expect((a as unknown as { perSecond: number[] }).perSecond).toEqual((b as unknown as { perSecond: number[] }).perSecond);
    // Five times per edge, two of them below it: a second holds 2 + 3 of its edges' times, plus the step back.
    expect(a.maxOutputTokensPerS).toBe(3 * 6);
  });
});
