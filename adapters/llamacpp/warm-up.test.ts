import { describe, expect, it } from 'vitest';
import type { Engine } from './engine-api.js';
import { serveWarmupShapes } from './serve.js';
import { warmUpEngine } from './warm-up.js';
import { fakeSlotOps } from './fake-engine-testing.js';

/** A fake engine that records each step's shape (batch @ KV length after it, or a prompt of n tokens). */
function recorder(slots: number, contextTokens: number, batchTokens: number): { engine: Engine; kv: number[]; decodes: string[]; prompts: number[] } {
  const kv = new Array<number>(slots).fill(0);
  const decodes: string[] = [];
  const prompts: number[] = [];
  const engine: Engine = {
    slots,
    contextTokens,
    batchTokens,
    async step(items) {
      for (const i of items) {
        kv[i.slot]! += i.tokens.length;
        expect(kv[i.slot]!).toBeLessThanOrEqual(contextTokens);
      }
      if (items.every((i) => i.tokens.length === 1 && i.sample)) decodes.push(`${items.length}@${kv[0]}`);
      else if (items.length === 1 && items[0]!.sample) prompts.push(items[0]!.tokens.length);
      return items.map(() => 1);
    },
    ...fakeSlotOps(kv),
  };
  return { engine, kv, decodes, prompts };
}

describe('warm-up before profiling or serving', () => {
  it('steps every batch size twice at every KV length the engine holds, runs every prompt size that fits, and leaves every slot empty', async () => {
    const r = recorder(4, 300, 64);
    await warmUpEngine(r.engine, 32000, { prefillTokens: [8, 64, 128], decodeBatches: [1, 2, 4, 8], decodeKvLens: [32, 256, 300] }, 1, 0);
    // 128 > the 64-token step budget, batch 8 > 4 slots and KV 300 > the context: skipped.
    expect(r.prompts).toEqual([8, 64]);
    expect(r.decodes).toEqual(['1@32', '1@32', '2@32', '2@32', '4@32', '4@32', '1@256', '1@256', '2@256', '2@256', '4@256', '4@256']);
    expect(r.kv).toEqual([0, 0, 0, 0]);
  });

  it('rounds: 0 does nothing, 2 runs every shape twice', async () => {
    const none = recorder(2, 100, 32);
    await warmUpEngine(none.engine, 32000, { prefillTokens: [8], decodeBatches: [1, 2], decodeKvLens: [32] }, 0, 0);
    expect([...none.decodes, ...none.prompts]).toEqual([]);
    const two = recorder(2, 100, 32);
    await warmUpEngine(two.engine, 32000, { prefillTokens: [8], decodeBatches: [1, 2], decodeKvLens: [32] }, 2, 0);
    expect(two.prompts).toEqual([8, 8]);
    expect(two.decodes).toHaveLength(8);
  });

  it('the server warms up prompts in powers of two up to its step budget, every batch size, KV lengths up to its context (hand-computed)', () => {
    expect(serveWarmupShapes({ slots: 3, contextTokens: 1024, batchTokens: 512 })).toEqual({
      prefillTokens: [8, 16, 32, 64, 128, 256, 512],
      decodeBatches: [1, 2, 3],
      decodeKvLens: [32, 128, 256, 512],
    });
  });
});
