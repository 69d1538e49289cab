import { describe, expect, it } from 'vitest';
import { formatTpotTerms, tpotTerms } from './tpot-terms.js';
import type { StepRecord } from './step-loop.js';

describe('TPOT terms: the predicted per-token time split and set beside the step log', () => {
  it('weights each iteration by its decode tokens and leaves out prompt-only and last iterations (hand-computed)', () => {
    // Engine fit: 10 ms per pass + 1 ms per sequence; the served profile: that + the cost (1 + 0.5 per sequence) + 0.25 refit.
    const pass = (e: unknown[]) => 10 + e.length;
    const cost = { baseMs: 1, perSeqMs: 0.5, iterations: 100 };
    const served = (e: unknown[]) => pass(e) + 1 + 0.5 * e.length + 0.25;
    const recs: StepRecord[] = [
      // Prompt only: no decode token, left out.
      { atMs: 0, ms: 30, gapMs: null, passes: [{ entries: [[20, 0]], ms: 30 }] },
      // 2 decodes, passes 13 ms, outside 1, post 0.5, next gap 2: server 3.5. Predicted pass 12, server 2, refit 0.25.
      { atMs: 40, ms: 14, gapMs: 1, passes: [{ entries: [[1, 20], [1, 5]], ms: 13 }], postMs: 0.5 },
      // 1 decode then a 9-token chunk: passes 11 + 20 = 31, outside 0, next gap 1: server 1. Predicted passes 11 + 11, server 1.5 + 1.5, refit 0.5.
      { atMs: 60, ms: 31, gapMs: 2, passes: [{ entries: [[1, 21]], ms: 11 }, { entries: [[9, 1]], ms: 20 }] },
      // Last: no next gap, left out.
      { atMs: 100, ms: 12, gapMs: 1, passes: [{ entries: [[1, 22], [1, 10]], ms: 12 }] },
    ];
    const t = tpotTerms(recs, pass, served, cost);
    expect(t.iterations).toBe(2);
    expect(t.tokens).toBe(3);
    expect(t.measured.passMs).toBeCloseTo((2 * 13 + 31) / 3, 10);
    expect(t.measured.serverMs).toBeCloseTo((2 * 3.5 + 1) / 3, 10);
    expect(t.predicted.passMs).toBeCloseTo((2 * 12 + 22) / 3, 10);
    expect(t.predicted.serverMs).toBeCloseTo((2 * 2 + 3) / 3, 10);
    expect(t.predicted.refitMs).toBeCloseTo((2 * 0.25 + 0.5) / 3, 10);
    // Conservation: the terms add up to each total.
    expect(t.predicted.passMs + t.predicted.serverMs + t.predicted.refitMs).toBeCloseTo(t.predicted.totalMs, 10);
    expect(t.measured.passMs + t.measured.serverMs).toBeCloseTo(t.measured.totalMs, 10);
    expect(formatTpotTerms(t, 20, 21)).toContain('scheduling');
  });

  it('no decode iterations: zero tokens, zero terms', () => {
    const t = tpotTerms([{ atMs: 0, ms: 5, gapMs: null, passes: [{ entries: [[8, 0]], ms: 5 }] }], () => 1, () => 1, { baseMs: 0, perSeqMs: 0, iterations: 0 });
    expect(t).toEqual({ iterations: 0, tokens: 0, measured: { passMs: 0, serverMs: 0, totalMs: 0 }, predicted: { passMs: 0, serverMs: 0, refitMs: 0, totalMs: 0 } });
  });
});
