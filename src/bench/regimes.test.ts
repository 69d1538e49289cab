import { describe, expect, it } from 'vitest';
import { median, medianOf, REGIMES, rssAt1M, verdict } from './regimes.js';
import { existsSync } from 'node:fs';
import { loadScenario } from '../scenario/load.js';

describe('bench arithmetic', () => {
  it('median of odd and even counts', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
    expect(medianOf([
      { wallS: 3, cpuS: 2, events: 10, requests: 100, maxRssMB: 50 },
      { wallS: 1, cpuS: 1, events: 30, requests: 100, maxRssMB: 70 },
      { wallS: 2, cpuS: 3, events: 20, requests: 100, maxRssMB: 60 },
    ])).toEqual({ wallS: 2, cpuS: 2, events: 20, requests: 100, maxRssMB: 60 });
    // The main thread's CPU: a median when every run has it, absent (an older bundle) otherwise.
    const m = { wallS: 1, cpuS: 1, events: 1, requests: 1, maxRssMB: 1 };
    expect(medianOf([{ ...m, mainCpuS: 0.9 }, { ...m, mainCpuS: 0.5 }, { ...m, mainCpuS: 0.7 }]).mainCpuS).toBe(0.7);
    expect('mainCpuS' in medianOf([{ ...m, mainCpuS: 0.9 }, m])).toBe(false);
  });

  it('extrapolates RSS linearly to 1M requests, never below the measured peak', () => {
    // 100 MB at 50k, 110 MB at 100k: 10 MB per 50k requests, so +180 MB over the 900k requests to 1M.
    expect(rssAt1M({ requests: 50_000, maxRssMB: 100 }, { requests: 100_000, maxRssMB: 110 })).toBeCloseTo(290, 9);
    expect(rssAt1M({ requests: 50_000, maxRssMB: 120 }, { requests: 100_000, maxRssMB: 110 })).toBe(110);
  });

  it('says by how much a target is missed', () => {
    const parity = REGIMES.find((r) => r.parity)!;
    const v = verdict(parity, { wallS: 0.72, cpuS: 0.7, events: 350_000, requests: 100_000, maxRssMB: 120 }, 150, false);
    expect(v.ok).toBe(false);
    expect(v.text).toContain('2.0x over');
    expect(v.text).toContain('249x Vidur');
    const w = verdict(REGIMES.find((r) => !r.parity)!, { wallS: 1, cpuS: 1, events: 1, requests: 60_000, maxRssMB: 100 }, 100, true);
    expect(w.ok).toBe(true);
  });

  it('every regime names a scenario that exists and validates', () => {
    for (const r of REGIMES) {
      expect(existsSync(r.scenario), r.scenario).toBe(true);
      expect(() => loadScenario(r.scenario), r.scenario).not.toThrow();
    }
  });
});
