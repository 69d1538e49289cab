import { describe, expect, it } from 'vitest';
import { LinearPerfModel } from '../serving/testing.js';
import { forwardPasses, SplitPassPerfModel, withForwardPasses } from './forward-passes.js';
import type { GpuProfile } from '../model/gpu.js';

describe('forward passes of a llama.cpp step (one KV stream per sequence)', () => {
  it('decodes with a prompt chunk: one token of each, then the chunk rest', () => {
    expect(forwardPasses([{ newTokens: 1, contextTokens: 100 }, { newTokens: 1, contextTokens: 50 }, { newTokens: 64, contextTokens: 32 }])).toEqual([
      [{ newTokens: 1, contextTokens: 100 }, { newTokens: 1, contextTokens: 50 }, { newTokens: 1, contextTokens: 32 }],
      [{ newTokens: 63, contextTokens: 33 }],
    ]);
  });

  it('prompt chunks only: a pass each; decodes only: one pass', () => {
    expect(forwardPasses([{ newTokens: 10, contextTokens: 0 }, { newTokens: 20, contextTokens: 5 }])).toEqual([[{ newTokens: 10, contextTokens: 0 }], [{ newTokens: 20, contextTokens: 5 }]]);
    const dec = [{ newTokens: 1, contextTokens: 9 }, { newTokens: 1, contextTokens: 3 }];
    expect(forwardPasses(dec)).toEqual([dec]);
  });

  it('prices a step as the sum of its passes, conserving tokens and context (hand-computed)', () => {
    // Linear model: 2 ms per pass + 0.5 ms per new token + 0.01 ms per context token.
    const m = new SplitPassPerfModel(new LinearPerfModel(2, 0.5, 0.01));
    const batch = [{ newTokens: 1, contextTokens: 100 }, { newTokens: 64, contextTokens: 32 }];
    // Pass 1: 2 + 2 x 0.5 + (100 + 32) x 0.01 = 4.32; pass 2: 2 + 63 x 0.5 + 33 x 0.01 = 33.83.
    expect(m.iterationMs(batch)).toBeCloseTo(4.32 + 33.83, 10);
    expect(m.iteration(batch).totalMs).toBeCloseTo(m.iterationMs(batch), 10);
    const passes = forwardPasses(batch);
    expect(passes.flat().reduce((a, e) => a + e.newTokens, 0)).toBe(65);
    // One pass per step where nothing is split: the wrapped model's own figure and decode fast path.
    const inner = new LinearPerfModel(2, 0.5, 0.01);
    expect(m.iterationMs([{ newTokens: 300, contextTokens: 0 }])).toBe(inner.iterationMs([{ newTokens: 300, contextTokens: 0 }]));
    expect(m.decodeCoefficients(4)).toEqual(inner.decodeCoefficients(4));
  });

  it('only a profile that asks for it is split', () => {
    const inner = new LinearPerfModel(2, 0.5);
    expect(withForwardPasses(inner, { perf: {} } as unknown as GpuProfile)).toBe(inner);
    expect(withForwardPasses(inner, { perf: { forwardPasses: 'one-token-then-chunks' } } as unknown as GpuProfile)).toBeInstanceOf(SplitPassPerfModel);
  });
});
