import { describe, expect, it } from 'vitest';
import { medianRate, SpeedProbe } from './speed-probe.js';

describe('host speed probe', () => {
  it('median rate over a wall-clock window, ends included (hand-computed)', () => {
    const s = [
      { atMs: 1000, rate: 5 },
      { atMs: 2000, rate: 9 },
      { atMs: 3000, rate: 7 },
      { atMs: 4000, rate: 1 },
    ];
    expect(medianRate(s, 1000, 3000)).toBe(7);
    expect(medianRate(s, 1500, 4000)).toBe(7);
    // An even count: (5 + 7) / 2.
    expect(medianRate(s, 1000, 4000)).toBe(6);
    expect(medianRate(s, 5000, 6000)).toBeNull();
  });

  it('median copy bandwidth over a window, samples without one left out (hand-computed)', () => {
    const s = [
      { atMs: 1000, rate: 5, copyGBps: 10 },
      { atMs: 2000, rate: 9 },
      { atMs: 3000, rate: 7, copyGBps: 6 },
      { atMs: 4000, rate: 1, copyGBps: 7 },
    ];
    expect(medianRate(s, 1000, 4000, 'copyGBps')).toBe(7);
    expect(medianRate(s, 1000, 3000, 'copyGBps')).toBe(8);
    expect(medianRate(s, 2000, 2500, 'copyGBps')).toBeNull();
  });

  it('a worker samples the loop rate periodically until stopped', { timeout: 20_000 }, async () => {
    const p = new SpeedProbe(20);
    const t = Date.now();
    while (p.samples.length < 3 && Date.now() - t < 15_000) await new Promise((r) => setTimeout(r, 20));
    await p.stop();
    expect(p.samples.length).toBeGreaterThanOrEqual(3);
    expect(p.samples.every((x) => Number.isFinite(x.rate) && x.rate > 0)).toBe(true);
    expect(p.samples.every((x) => Number.isFinite(x.copyGBps) && x.copyGBps! > 0)).toBe(true);
    const n = p.samples.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(p.samples.length).toBe(n);
  });
});
