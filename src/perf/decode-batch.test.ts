import { describe, expect, it } from 'vitest';
import { Catalog } from '../model/catalog.js';
import type { GpuProfile } from '../model/gpu.js';
import { decodeBatchMs } from './decode-batch.js';
import { SplitPassPerfModel } from './forward-passes.js';
import { RooflinePerfModel, type BatchEntry } from './perf-model.js';

const catalog = new Catalog();
const gpu = catalog.loadGpu('llamacpp-cpu-1t');
const arch = catalog.loadLlm('llama-test-6l-512');
const overhead = { baseMs: gpu.perf.cpuOverhead.baseMs, perSeqMs: gpu.perf.cpuOverhead.perSeqMs, tpMs: 0 };
const TABLE = [-1.5, 0.25, 0, 2, 0.5];
const withTable: GpuProfile = { ...gpu, perf: { ...gpu.perf, decodeBatchMs: TABLE } };
const model = (g: GpuProfile) => new RooflinePerfModel(arch, g, { tp: 1, overhead });
const decodes = (ctx: number[]): BatchEntry[] => ctx.map((c) => ({ newTokens: 1, contextTokens: c }));

describe('the decode batch-shape term (perf.decodeBatchMs)', () => {
  it('looks up entry b - 1; nothing without a table, for no decodes, or beyond it', () => {
    expect(decodeBatchMs(TABLE, 1)).toBe(-1.5);
    expect(decodeBatchMs(TABLE, 4)).toBe(2);
    expect(decodeBatchMs(TABLE, 6)).toBe(0);
    expect(decodeBatchMs(TABLE, 0)).toBe(0);
    expect(decodeBatchMs(undefined, 3)).toBe(0);
  });

  it('adds its entry to a pass, once, by the count of one-token sequences (prompt chunks do not count)', () => {
    const old = model(gpu);
    const neu = model(withTable);
    for (const batch of [decodes([10]), decodes([100, 30, 7, 500]), decodes([1, 2, 3, 4, 5, 6, 7]), [{ newTokens: 64, contextTokens: 0 }]]) {
      const seqs = batch.filter((e) => e.newTokens === 1).length;
      expect(neu.iterationMs(batch) - old.iterationMs(batch)).toBeCloseTo(decodeBatchMs(TABLE, seqs), 9);
      // The breakdown and the fast price agree bit for bit, and the breakdown names the term.
      expect(neu.iteration(batch).totalMs).toBe(neu.iterationMs(batch));
      expect(neu.iteration(batch).groups.some((g) => g.name === 'decode_batch')).toBe(seqs > 0);
    }
    // A mixed fused pass (vLLM): priced by its 4 decodes.
    const mixed = [...decodes([5, 6, 7, 8]), { newTokens: 40, contextTokens: 0 }];
    expect(neu.iterationMs(mixed) - old.iterationMs(mixed)).toBeCloseTo(2, 9);
  });

  it('keeps a decode step affine in its total context (the engine fast path), shifted by the entry', () => {
    const old = model(gpu);
    const neu = model(withTable);
    for (const b of [1, 4, 8]) {
      const c0 = old.decodeCoefficients(b);
      const c1 = neu.decodeCoefficients(b);
      expect(c1.perContextTokenMs).toBe(c0.perContextTokenMs);
      expect(c1.fixedMs - c0.fixedMs).toBeCloseTo(decodeBatchMs(TABLE, b), 9);
      const batch = decodes(Array.from({ length: b }, (_, i) => 50 * i + 3));
      const ctx = batch.reduce((a, e) => a + e.contextTokens, 0);
      expect(c1.fixedMs + c1.perContextTokenMs * ctx).toBeCloseTo(neu.iterationMs(batch), 9);
    }
  });

  it("a llama.cpp step: pass 1 (decodes and each chunk's first token) pays the entry of its size, chunk passes none", () => {
    const old = new SplitPassPerfModel(model(gpu));
    const neu = new SplitPassPerfModel(model(withTable));
    const step = [...decodes([100, 200]), { newTokens: 64, contextTokens: 0 }];
    expect(neu.iterationMs(step) - old.iterationMs(step)).toBeCloseTo(decodeBatchMs(TABLE, 3), 9);
    expect(neu.iteration(step).totalMs).toBeCloseTo(neu.iterationMs(step), 9);
  });

  it('absent, the price is the model without it, exactly (every other profile)', () => {
    const { decodeBatchMs: _t, ...perf } = withTable.perf;
    const a = model(gpu);
    const b = model({ ...gpu, perf });
    for (const batch of [decodes([10, 20, 30]), [{ newTokens: 128, contextTokens: 16 }], [...decodes([9]), { newTokens: 7, contextTokens: 3 }]]) {
      expect(b.iterationMs(batch)).toBe(a.iterationMs(batch));
      expect(b.iteration(batch)).toEqual(a.iteration(batch));
    }
  });
});
