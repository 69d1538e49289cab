import { describe, expect, it } from 'vitest';
import { checkSteps } from './step-check.js';
import type { StepRecord } from './step-loop.js';

describe('step check: logged passes against the model that priced them', () => {
  it('ratios, gaps and counts (hand-computed)', () => {
    // Price: 10 ms per pass + 1 ms per new token.
    const price = (e: { newTokens: number }[]) => 10 + e.reduce((a, x) => a + x.newTokens, 0);
    const recs: StepRecord[] = [
      // Prompt pass of 20 tokens: predicted 30, measured 33 (1.1).
      { atMs: 0, ms: 33, gapMs: null, passes: [{ entries: [[20, 0]], ms: 33 }] },
      // Decode pass of 2 sequences: predicted 12, measured 18 (1.5); then a 9-token rest: predicted 19, measured 19 (1.0).
      { atMs: 40, ms: 37, gapMs: 2, passes: [{ entries: [[1, 20], [1, 0]], ms: 18 }, { entries: [[9, 1]], ms: 19 }] },
      { atMs: 80, ms: 12, gapMs: 4, passes: [{ entries: [[1, 21], [1, 10]], ms: 12 }] },
    ];
    const c = checkSteps(recs, price);
    expect(c.iterations).toBe(3);
    expect(c.passes).toBe(4);
    expect(c.decodeRatio).toBeCloseTo((1.5 + 1) / 2, 10);
    expect(c.prefillRatio).toBeCloseTo((1.1 + 1) / 2, 10);
    expect(c.totalRatio).toBeCloseTo((33 + 18 + 19 + 12) / (30 + 12 + 19 + 12), 10);
    expect(c.meanGapMs).toBe(3);
    expect(c.gapShare).toBeCloseTo(6 / 82, 10);
    // Only the last record is a decode-only step (2 sequences: 12 / 12); no padding, no delivery time logged.
    expect(c.decodeByBatch).toEqual([{ batch: 2, n: 1, ratio: 1, padded: 0 }]);
    expect(c.paddedPasses).toBe(0);
    expect(c.paddedRatio).toBeNull();
    expect(c.postShare).toBe(0);
    // No pass recorded its CPU time (a step log from before cpuMs).
    expect(c.cpuShare).toBeNull();
  });

  it('CPU / wall over the passes that record CPU time (hand-computed)', () => {
    const recs: StepRecord[] = [
      { atMs: 0, ms: 20, gapMs: null, passes: [{ entries: [[1, 5]], ms: 20, cpuMs: 15 }] },
      { atMs: 30, ms: 10, gapMs: 1, passes: [{ entries: [[1, 6]], ms: 10, cpuMs: 10 }, { entries: [[4, 6]], ms: 7 }] },
    ];
    // (15 + 10) / (20 + 10): the pass without cpuMs is left out.
    expect(checkSteps(recs, () => 10).cpuShare).toBeCloseTo(25 / 30, 10);
  });

  it('decode steps by batch size, padded passes and delivery time (hand-computed)', () => {
    const price = (e: { newTokens: number }[]) => 10 + e.length;
    const recs: StepRecord[] = [
      // b1: predicted 11, measured 11 and 13.2 (sum 24.2 / 22 = 1.1).
      { atMs: 0, ms: 11, gapMs: null, passes: [{ entries: [[1, 5]], ms: 11 }], postMs: 1 },
      { atMs: 20, ms: 13.2, gapMs: 0.5, passes: [{ entries: [[1, 6]], ms: 13.2 }], postMs: 0.5 },
      // b3 with one pad token (slots 0-3): predicted 13, measured 19.5 (1.5).
      { atMs: 40, ms: 19.5, gapMs: 0.5, passes: [{ entries: [[1, 5], [1, 7], [1, 9]], ms: 19.5, pad: 1 }], postMs: 0.2 },
    ];
    const c = checkSteps(recs, price);
    expect(c.decodeByBatch).toEqual([
      { batch: 1, n: 2, ratio: expect.closeTo(24.2 / 22, 10), padded: 0 },
      { batch: 3, n: 1, ratio: 1.5, padded: 1 },
    ]);
    expect(c.paddedPasses).toBe(1);
    expect(c.paddedRatio).toBe(1.5);
    expect(c.postShare).toBeCloseTo(1.7 / 43.7, 10);
    // All three records start within the first 10 s: one window, the run's total ratio.
    expect(c.windowRatios).toHaveLength(1);
    expect(c.windowRatios[0]).toBeCloseTo(c.totalRatio!, 10);
  });

  it('decode steps by batch against a second price, the profile rows, over the passes it covers (hand-computed)', () => {
    const price = () => 10;
    // The rows price batch 1 at 8 ms and leave batch 2 unpriced (null).
    const rows = (e: { newTokens: number }[]) => (e.length === 1 ? 8 : null);
    const recs: StepRecord[] = [
      { atMs: 0, ms: 12, gapMs: null, passes: [{ entries: [[1, 5]], ms: 12 }] },
      { atMs: 20, ms: 8, gapMs: 0.5, passes: [{ entries: [[1, 6]], ms: 8 }] },
      { atMs: 40, ms: 15, gapMs: 0.5, passes: [{ entries: [[1, 5], [1, 7]], ms: 15 }] },
    ];
    const c = checkSteps(recs, price, rows);
    // Batch 1: 20 / 20 by the fit, 20 / 16 by the rows; batch 2 has no row price, so no `rows` figure.
    expect(c.decodeByBatch).toEqual([
      { batch: 1, n: 2, ratio: 1, padded: 0, rows: 1.25 },
      { batch: 2, n: 1, ratio: 1.5, padded: 0 },
    ]);
  });

  it('drift windows: measured / predicted per 10 s of wall time, empty windows skipped (hand-computed)', () => {
    const price = () => 10;
    const rec = (atMs: number, ms: number): StepRecord => ({ atMs, ms, gapMs: null, passes: [{ entries: [[1, 5]], ms }] });
    // Window 0: 9 + 11 over 20 -> 1.0; window 1 empty; window 2: 12 over 10 -> 1.2.
    const c = checkSteps([rec(1_000, 9), rec(9_000, 11), rec(25_000, 12)], price);
    expect(c.windowRatios.map((x) => Number(x.toFixed(10)))).toEqual([1, 1.2]);
  });

  it('prompt passes after the loop idled against those of a running loop; their system CPU and page faults (hand-computed)', () => {
    const price = (e: { newTokens: number }[]) => 10 + e.reduce((a, x) => a + x.newTokens, 0);
    const recs: StepRecord[] = [
      // The loop restarts for a lone prompt of 20 tokens: predicted 30, measured 39 (1.3).
      { atMs: 0, ms: 39, gapMs: null, passes: [{ entries: [[20, 0]], ms: 39, cpuMs: 38, sysMs: 2, faults: 30 }] },
      // Running on: a decode pass, then a 9-token chunk rest: predicted 19, measured 20.9 (1.1).
      { atMs: 45, ms: 33, gapMs: 0.4, passes: [{ entries: [[1, 21], [1, 0]], ms: 12 }, { entries: [[9, 1]], ms: 20.9, cpuMs: 20, sysMs: 0, faults: 10 }] },
      // A restart with a decode in it (a request in flight through an idle moment) is not a lone prompt: 1.2.
      { atMs: 90, ms: 36, gapMs: null, passes: [{ entries: [[1, 30]], ms: 12 }, { entries: [[20, 0]], ms: 36 }] },
    ];
    const c = checkSteps(recs, price);
    expect(c.promptAfterIdle).toEqual({ n: 1, ratio: 1.3 });
    expect(c.promptInRunningLoop.n).toBe(2);
    expect(c.promptInRunningLoop.ratio).toBeCloseTo((1.1 + 1.2) / 2, 10);
    // Over the two prompt passes that record them: (2 + 0) / (38 + 20) system CPU, (30 + 10) / 2 faults.
    expect(c.promptSysShare).toBeCloseTo(2 / 58, 10);
    expect(c.promptFaultsPerPass).toBe(20);
  });

  it('an empty log gives no ratios', () => {
    expect(checkSteps([], () => 1)).toMatchObject({ iterations: 0, passes: 0, decodeRatio: null, totalRatio: null, meanGapMs: null });
  });
});
