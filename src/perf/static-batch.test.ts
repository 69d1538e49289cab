import { describe, expect, it } from 'vitest';
import type { BatchEntry, PerfModel } from './perf-model.js';
import { staticBatchLatency } from './static-batch.js';

/** A fake model: 1 ms per step plus 0.01 ms per new token, so the schedule can be checked by hand. */
function fakeModel(log: BatchEntry[][]): PerfModel {
  const ms = (b: readonly BatchEntry[]) => {
    log.push(b.map((e) => ({ ...e })));
    return 1 + 0.01 * b.reduce((a, e) => a + e.newTokens, 0);
  };
  return {
    arch: {} as PerfModel['arch'],
    gpu: {} as PerfModel['gpu'],
    tp: 1,
    sizes: {} as PerfModel['sizes'],
    iteration: () => {
      throw new Error('unused');
    },
    iterationMs: ms,
    // Decode-only steps: 1 ms + 0.01 ms per sequence, no context dependence.
    decodeCoefficients: (n: number) => ({ fixedMs: 1 + 0.01 * n, perContextTokenMs: 0 }),
  };
}

describe('staticBatchLatency', () => {
  it('prefills everything in one step when it fits, then O-1 decode steps', () => {
    const log: BatchEntry[][] = [];
    const r = staticBatchLatency(fakeModel(log), { batchSize: 2, inputLen: 4, outputLen: 3, maxNumBatchedTokens: 8, maxNumSeqs: 256 });
    // Step 1: both prompts (8 tokens) -> 1.08 ms, first tokens out. Steps 2-3: decode of 2 -> 1.02 ms each.
    expect(r.steps).toBe(3);
    expect(r.prefillSteps).toBe(1);
    expect(r.prefillS).toBeCloseTo(0.00108, 12);
    expect(r.avgLatencyS).toBeCloseTo(0.00108 + 2 * 0.00102, 12);
    expect(log[0]).toEqual([{ newTokens: 4, contextTokens: 0 }, { newTokens: 4, contextTokens: 0 }]);
  });

  it('chunks prompts to the token budget and mixes decode into prefill steps', () => {
    const log: BatchEntry[][] = [];
    const r = staticBatchLatency(fakeModel(log), { batchSize: 2, inputLen: 4, outputLen: 3, maxNumBatchedTokens: 6, maxNumSeqs: 256 });
    // 1: A 4 tokens + B 2 tokens (A done, emits token 1)
    // 2: A decode (ctx 4) + B last 2 tokens (B done) -> prefill ends here
    // 3: A decode (ctx 5, A done with 3 tokens) + B decode (ctx 4)
    // 4: B decode (ctx 5)
    expect(log[0]).toEqual([{ newTokens: 4, contextTokens: 0 }, { newTokens: 2, contextTokens: 0 }]);
    expect(log[1]).toEqual([{ newTokens: 1, contextTokens: 4 }, { newTokens: 2, contextTokens: 2 }]);
    expect(r.steps).toBe(4);
    expect(r.prefillSteps).toBe(2);
    expect(r.prefillS).toBeCloseTo((1.06 + 1.03) / 1000, 12);
    expect(r.decodeS).toBeCloseTo((1.02 + 1.01) / 1000, 12);
  });

  it('with output length 1, the prefill step is the whole run', () => {
    const r = staticBatchLatency(fakeModel([]), { batchSize: 4, inputLen: 16, outputLen: 1, maxNumBatchedTokens: 8192, maxNumSeqs: 256 });
    expect(r.steps).toBe(1);
    expect(r.decodeS).toBe(0);
  });
});

describe('staticBatchLatency: V0 vs V1 schedule of the same batch (hand-computed)', () => {
  const o = { batchSize: 2, inputLen: 4, outputLen: 3, maxNumBatchedTokens: 6, maxNumSeqs: 256 };
  it('V0 runs prefill-only steps: B waits for its own step and A does not decode in it', () => {
    const log: BatchEntry[][] = [];
    const r = staticBatchLatency(fakeModel(log), { ...o, generation: 'v0' });
    // 1: A's whole prompt (B's 4 tokens exceed the 2 left of the budget) -> 1.04 ms
    // 2: B's whole prompt, no decodes in a step with a prefill          -> 1.04 ms
    // 3, 4: decode A and B                                             -> 1.02 ms each
    expect(log[0]).toEqual([{ newTokens: 4, contextTokens: 0 }]);
    expect(log[1]).toEqual([{ newTokens: 4, contextTokens: 0 }]);
    expect(r.steps).toBe(4);
    expect(r.prefillS).toBeCloseTo(2.08 / 1000, 12);
    expect(r.decodeS).toBeCloseTo(2.04 / 1000, 12);
  });
  it('V1 on the same batch mixes A\'s decode into B\'s chunked prefill (see above: 4 steps, prefill 2.09 ms)', () => {
    const log: BatchEntry[][] = [];
    const r = staticBatchLatency(fakeModel(log), { ...o, generation: 'v1' });
    expect(log[1]).toEqual([{ newTokens: 1, contextTokens: 4 }, { newTokens: 2, contextTokens: 2 }]);
    expect(r.prefillS).toBeCloseTo(2.09 / 1000, 12);
  });
});

describe('staticBatchLatency: a batch that does not fit preempts by recompute (hand-computed)', () => {
  // 2 requests of 4 prompt + 4 output tokens, blocks of 4 tokens, 3 blocks in all.
  // 1: prefill A and B (1 block each, 1 free)                       -> 1.08 ms; each has 1 token
  // 2: A decodes into a 2nd block (0 free); B needs a block: it is the most recent, so B is
  //    preempted (blocks freed, back to waiting, 1 free); no admission in this step -> 1.01
  // 3, 4: A decodes (its 2 blocks hold 8 tokens); B needs 2 blocks for 5 tokens, 1 free: waits; A finishes (3 free)
  // 5: B re-prefills its 4 prompt tokens + its 1 generated token (5 tokens, ctx 0)  -> 1.05
  // 6, 7: B decodes                                                   -> 1.01 each
  for (const generation of ['v1', 'v0'] as const) {
    it(`${generation}: 1 preemption, 7 steps, 7.18 ms`, () => {
      const log: BatchEntry[][] = [];
      const r = staticBatchLatency(fakeModel(log), { batchSize: 2, inputLen: 4, outputLen: 4, maxNumBatchedTokens: 8, maxNumSeqs: 256, generation, numGpuBlocks: 3, blockSize: 4 });
      expect(r.preemptions).toBe(1);
      expect(r.steps).toBe(7);
      expect(r.peakBlocks).toBe(3);
      expect(r.avgLatencyS).toBeCloseTo((1.08 + 5 * 1.01 + 1.05) / 1000, 12);
      expect(log[1]).toEqual([{ newTokens: 5, contextTokens: 0 }]);
      expect(r.prefillS).toBeCloseTo(1.08 / 1000, 12);
    });
  }
  it('with room for both, nothing is preempted', () => {
    const r = staticBatchLatency(fakeModel([]), { batchSize: 2, inputLen: 4, outputLen: 4, maxNumBatchedTokens: 8, maxNumSeqs: 256, numGpuBlocks: 4, blockSize: 4 });
    expect(r.preemptions).toBe(0);
    expect(r.steps).toBe(4);
  });
});
