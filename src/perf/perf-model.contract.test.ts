/**
 * Contract suite for every PerfModel implementation the engine is driven by (the roofline model on
 * every GPU profile at TP 1 and 2, and the linear test double of src/serving/testing.ts): the fast
 * `iterationMs` equals the detailed breakdown's total bit for bit, times are positive and finite,
 * more tokens never cost less, and a decode-only batch is exactly affine in total context (the
 * engine's decode fast path prices whole segments with `decodeCoefficients`).
 */
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../kernel/random.js';
import { listIds, loadGpu, loadLlm } from '../model/catalog.js';
import { LinearPerfModel } from '../serving/testing.js';
import { eagerStepModel } from './eager-step.js';
import { RooflinePerfModel, type BatchEntry, type PerfModel } from './perf-model.js';
import { samplerCost, samplerWork } from './sampler.js';

const arch = loadLlm('llama-3.1-8b');
const implementations: [string, () => PerfModel][] = [
  ...listIds('gpu').flatMap((id) => [1, 2].map((tp) => [`roofline ${id} tp${tp}`, () => new RooflinePerfModel(arch, loadGpu(id), { tp })] as [string, () => PerfModel])),
  // The sampler and steps without CUDA graphs (V1 above 512 tokens, V0 every prompt step) keep the contract.
  ...(['t4', 'h100-sxm'] as const).flatMap((id) => (['v0', 'v1'] as const).map((gen) => [`roofline ${id} ${gen} sampler + eager steps`, () => new RooflinePerfModel(arch, loadGpu(id), { tp: 1, sampler: samplerCost(samplerWork({ temperature: 0.7, topK: 20, repetitionPenalty: 1.1 })), eager: eagerStepModel(gen, 256, 2048) })] as [string, () => PerfModel])),
  ['linear test double', () => new LinearPerfModel(1, 0.02)],
];

describe.each(implementations)('PerfModel contract: %s', (_name, make) => {
  const m = make();
  const rng = new RandomStreams(3).stream('perf-contract');
  const batch = (): BatchEntry[] =>
    Array.from({ length: rng.intBetween(1, 10) }, () => (rng.next() < 0.6 ? { newTokens: 1, contextTokens: rng.intBetween(1, 6000) } : { newTokens: rng.intBetween(2, 2000), contextTokens: rng.intBetween(0, 3000) }));

  it('iterationMs equals iteration().totalMs, positive and finite', () => {
    for (let k = 0; k < 25; k++) {
      const b = batch();
      const ms = m.iterationMs(b);
      expect(ms).toBe(m.iteration(b).totalMs);
      expect(Number.isFinite(ms) && ms > 0).toBe(true);
    }
  });
  it('more new tokens or more context never cost less', () => {
    for (let k = 0; k < 25; k++) {
      const b = batch();
      const i = rng.intBetween(0, b.length - 1);
      const moreNew = b.map((e, j) => (j === i ? { ...e, newTokens: e.newTokens + rng.intBetween(1, 500) } : e));
      const moreCtx = b.map((e, j) => (j === i ? { ...e, contextTokens: e.contextTokens + rng.intBetween(1, 2000) } : e));
      expect(m.iterationMs(moreNew)).toBeGreaterThanOrEqual(m.iterationMs(b));
      expect(m.iterationMs(moreCtx)).toBeGreaterThanOrEqual(m.iterationMs(b));
    }
  });
  it('a decode-only batch costs fixedMs + perContextTokenMs x total context, whatever the split', () => {
    for (const size of [1, 3, 16, 64]) {
      const c = m.decodeCoefficients(size);
      const ctx = Array.from({ length: size }, () => rng.intBetween(1, 4000));
      const total = ctx.reduce((a, x) => a + x, 0);
      const got = m.iterationMs(ctx.map((x) => ({ newTokens: 1, contextTokens: x })));
      expect(got).toBeCloseTo(c.fixedMs + c.perContextTokenMs * total, 9);
      expect(c.fixedMs).toBeGreaterThan(0);
      expect(c.perContextTokenMs).toBeGreaterThanOrEqual(0);
    }
  });
});
