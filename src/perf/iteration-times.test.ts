/**
 * PerfModel.iterationTimes (what a P/D prefill engine's hook reads every priced step) equals
 * iteration()'s totalMs, perLayerMs and outsideLayersMs bit for bit: the roofline model on every
 * GPU profile at TP 1 and 2, with a sampler and eager steps, and split into forward passes.
 */
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../kernel/random.js';
import { listIds, loadGpu, loadLlm } from '../model/catalog.js';
import { LinearPerfModel } from '../serving/testing.js';
import { eagerStepModel } from './eager-step.js';
import { SplitPassPerfModel } from './forward-passes.js';
import { RooflinePerfModel, type BatchEntry, type IterationTimes, type PerfModel } from './perf-model.js';
import { samplerCost, samplerWork } from './sampler.js';

const arch = loadLlm('llama-3.1-8b');
const models: [string, () => PerfModel][] = [
  ...listIds('gpu').flatMap((id) => [1, 2].map((tp) => [`roofline ${id} tp${tp}`, () => new RooflinePerfModel(arch, loadGpu(id), { tp })] as [string, () => PerfModel])),
  ...(['t4', 'h100-sxm'] as const).flatMap((id) => (['v0', 'v1'] as const).map((gen) => [`roofline ${id} ${gen} sampler + eager`, () => new RooflinePerfModel(arch, loadGpu(id), { tp: 1, sampler: samplerCost(samplerWork({ temperature: 0.7, topK: 20 })), eager: eagerStepModel(gen, 256, 2048) })] as [string, () => PerfModel])),
  ['split passes over roofline l4', () => new SplitPassPerfModel(new RooflinePerfModel(arch, loadGpu('l4'), { tp: 1 }))],
  ['split passes over the linear double (no iterationTimes)', () => new SplitPassPerfModel(new LinearPerfModel(2, 0.5, 0.01))],
];

describe.each(models)('iterationTimes: %s', (_name, make) => {
  it('equals iteration()\'s three times bit for bit, in the object it is given', () => {
    const m = make();
    const rng = new RandomStreams(11).stream('iteration-times');
    const out: IterationTimes = { totalMs: -1, perLayerMs: -1, outsideLayersMs: -1 };
    for (let k = 0; k < 40; k++) {
      const b: BatchEntry[] = Array.from({ length: rng.intBetween(1, 8) }, () =>
        rng.next() < 0.5 ? { newTokens: 1, contextTokens: rng.intBetween(1, 6000) } : { newTokens: rng.intBetween(2, 4000), contextTokens: rng.intBetween(0, 3000) });
      // Interleaved with the fast path the engine also calls (its caches must not leak between the two).
      m.iterationMs([{ newTokens: rng.intBetween(1, 300), contextTokens: rng.intBetween(0, 100) }]);
      const bd = m.iteration(b);
      expect(m.iterationTimes!(b, out)).toBe(out);
      expect(out.totalMs).toBe(bd.totalMs);
      expect(out.perLayerMs).toBe(bd.perLayerMs);
      expect(out.outsideLayersMs).toBe(bd.outsideLayersMs);
      expect(out.totalMs).toBe(m.iterationMs(b));
    }
  });
});
