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
