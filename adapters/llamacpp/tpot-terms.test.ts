import { describe, expect, it } from 'vitest';
import { decodeTokens, formatTpotTerms, tpotTerms } from './tpot-terms.js';
import type { StepRecord } from './step-loop.js';

describe('TPOT terms: the predicted per-token time split and set beside the step log', () => {
  it('weights each iteration by its decode tokens, with the gap before it, and leaves out prompt-only iterations and a restart after idling (hand-computed)', () => {
    // Engine fit: 10 ms per pass + 1 ms per sequence; the served profile: that + the cost (1 + 0.5 per sequence) + 0.25 refit per pass.
    const pass = (e: unknown[]) => 10 + e.length;
    const cost = { baseMs: 1, perSeqMs: 0.5, iterations: 100 };
    const served = (e: unknown[]) => pass(e) + 1 + 0.5 * e.length + 0.25;
    const recs: StepRecord[] = [
      // Prompt only: no decode token, left out.
      { atMs: 0, ms: 30, gapMs: null, passes: [{ entries: [[20, 0]], ms: 30 }] },
      // 2 decodes, passes 13 ms, outside 1, post 0.5, gap before 1: server 2.5. Predicted pass 12, server 2, refit 0.25.
      { atMs: 40, ms: 14, gapMs: 1, passes: [{ entries: [[1, 20], [1, 5]], ms: 13 }], postMs: 0.5 },
      // 1 decode beside a 10-token chunk (as step-loop.ts runs it: the chunk's first token in pass 1, its 9 others in pass 2): 1 decode token.
      // Passes 11 + 20 = 31, outside 0, gap before 2: server 2. Predicted passes 12 + 11, server 2 + 1.5, refit 0.5.
      { atMs: 60, ms: 31, gapMs: 2, passes: [{ entries: [[1, 21], [1, 0]], ms: 11 }, { entries: [[9, 1]], ms: 20 }] },
      // 2 decodes, no post, gap before 1: server 1. Predicted pass 12, server 2, refit 0.25.
      { atMs: 100, ms: 12, gapMs: 1, passes: [{ entries: [[1, 22], [1, 10]], ms: 12 }] },
      // A restart after idling (no gap): left out.
      { atMs: 200, ms: 12, gapMs: null, passes: [{ entries: [[1, 23]], ms: 12 }] },
    ];
    const t = tpotTerms(recs, pass, served, cost);
    expect(t.iterations).toBe(3);
    expect(t.tokens).toBe(5);
    expect(t.measured.passMs).toBeCloseTo((2 * 13 + 31 + 2 * 12) / 5, 10);
    expect(t.measured.serverMs).toBeCloseTo((2 * 2.5 + 2 + 2 * 1) / 5, 10);
    expect(t.predicted.passMs).toBeCloseTo((2 * 12 + 23 + 2 * 12) / 5, 10);
    expect(t.predicted.serverMs).toBeCloseTo((2 * 2 + 3.5 + 2 * 2) / 5, 10);
    expect(t.predicted.refitMs).toBeCloseTo((2 * 0.25 + 0.5 + 2 * 0.25) / 5, 10);
    // Conservation: the terms add up to each total.
    expect(t.predicted.passMs + t.predicted.serverMs + t.predicted.refitMs).toBeCloseTo(t.predicted.totalMs, 10);
    expect(t.measured.passMs + t.measured.serverMs).toBeCloseTo(t.measured.totalMs, 10);
    expect(formatTpotTerms(t, 20, 21)).toContain('scheduling');
  });

  it('a prompt chunk\'s first token in pass 1 is not a decode token', () => {
    const rec = (passes: StepRecord['passes']): StepRecord => ({ atMs: 0, ms: 1, gapMs: 0, passes });
    expect(decodeTokens(rec([{ entries: [[1, 5], [1, 9], [1, 30]], ms: 1 }]))).toBe(3);
    // 2 decodes and 2 chunks: pass 1 holds 4 one-token entries, 2 of them the chunks' first tokens.
    expect(decodeTokens(rec([{ entries: [[1, 5], [1, 0], [1, 9], [1, 0]], ms: 1 }, { entries: [[63, 1]], ms: 1 }, { entries: [[31, 1]], ms: 1 }]))).toBe(2);
    // Prompt chunks only: a pass each, no decode.
    expect(decodeTokens(rec([{ entries: [[64, 0]], ms: 1 }, { entries: [[32, 0]], ms: 1 }]))).toBe(0);
  });

  it('no decode iterations: zero tokens, zero terms', () => {
    const t = tpotTerms([{ atMs: 0, ms: 5, gapMs: null, passes: [{ entries: [[8, 0]], ms: 5 }] }], () => 1, () => 1, { baseMs: 0, perSeqMs: 0, iterations: 0 });
    expect(t).toEqual({ iterations: 0, tokens: 0, measured: { passMs: 0, serverMs: 0, totalMs: 0 }, predicted: { passMs: 0, serverMs: 0, refitMs: 0, totalMs: 0 } });
  });
});
