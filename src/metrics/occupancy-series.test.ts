import { describe, expect, it } from 'vitest';
import { OccupancySeries } from './occupancy-series.js';

describe('OccupancySeries', () => {
  it('keeps every sample up to maxRows', () => {
    const s = new OccupancySeries('cpu staging node0', 10);
    for (let i = 0; i < 10; i++) s.add(i, i / 10);
    expect(s.rows()).toEqual(Array.from({ length: 10 }, (_, i) => ({ tS: i, tier: 'cpu staging node0', occupancy: i / 10 })));
  });

  it('beyond maxRows keeps exactly the samples whose index is a multiple of a power-of-two stride, never more than maxRows', () => {
    const max = 8;
    const s = new OccupancySeries('x', max);
    for (let n = 1; n <= 1000; n++) {
      s.add(n - 1, 0);
      const kept = s.rows().map((r) => r.tS);
      expect(kept.length).toBeLessThanOrEqual(max);
      // Stride: the smallest power of two that leaves at most `max` multiples below n.
      let stride = 1;
      while (Math.ceil(n / stride) > max) stride *= 2;
      expect(kept).toEqual(Array.from({ length: Math.ceil(n / stride) }, (_, i) => i * stride));
    }
    expect(s.samples).toBe(1000);
  });

  it('memory does not grow with the number of samples', () => {
    const s = new OccupancySeries('x', 100);
    for (let i = 0; i < 1_000_000; i++) s.add(i, (i % 7) / 7);
    const rows = s.rows();
    expect(rows.length).toBeGreaterThan(50);
    expect(rows.length).toBeLessThanOrEqual(100);
    expect(rows[0]).toEqual({ tS: 0, tier: 'x', occupancy: 0 });
  });
});
