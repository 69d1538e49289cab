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
  });

  it('an empty log gives no ratios', () => {
    expect(checkSteps([], () => 1)).toMatchObject({ iterations: 0, passes: 0, decodeRatio: null, totalRatio: null, meanGapMs: null });
  });
});
