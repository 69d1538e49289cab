import { describe, expect, it } from 'vitest';
import { loadScenario } from '../scenario/load.js';
import { evaluate } from './evaluate.js';
import { replicateIntervals, replicateSeeds } from './replicates.js';

describe('replicates', () => {
  it('derives distinct, reproducible seeds, the first being the base seed', () => {
    const s = replicateSeeds(7, 50);
    expect(s[0]).toBe(7);
    expect(new Set(s).size).toBe(50);
    expect(replicateSeeds(7, 50)).toEqual(s);
    expect(s.every((x) => Number.isInteger(x) && x >= 1 && x < 2 ** 31)).toBe(true);
  });

  it('intervals over seeds of a tiny simulation cover the mean of many seeds at roughly the stated rate', async () => {
    // Truth: the mean TTFT over 500 seeds of a 30-request run (close to the true mean: its own
    // standard error is about a tenth of one 5-seed interval's half-width). Then 100 disjoint
    // 5-seed intervals; each should cover it with probability ~95%.
    const l = loadScenario('scenarios/quickstart.yaml', ['workload.requests=30', 'workload.arrival.rate=20', 'output.timeline=false']);
    const raw = l.scenario as unknown as Record<string, unknown>;
    const seeds = replicateSeeds(11, 500);
    const summaries = [];
    for (const seed of seeds) summaries.push((await evaluate({ raw, file: l.file, baseDir: l.baseDir, seed })).summary);
    const truth = replicateIntervals(summaries).mean_ttft_ms!.mean;
    let covered = 0;
    for (let k = 0; k < 100; k++) {
      const iv = replicateIntervals(summaries.slice(5 * k, 5 * k + 5)).mean_ttft_ms!;
      if (iv.lo <= truth && truth <= iv.hi) covered++;
    }
    // 95 of 100 expected; the binomial sd is 2.2 and the truth itself is estimated: wide bounds.
    expect(covered).toBeGreaterThanOrEqual(85);
    expect(covered).toBeLessThanOrEqual(99);
  }, 120_000);
});
