import { describe, expect, it } from 'vitest';
import { loadGpu, loadLlm } from '../model/catalog.js';
import { eagerExcessMs, eagerStepModel, runsEager, V0_EAGER_LAUNCH_PER_LAYER_MS, V1_EAGER_LAUNCH_PER_LAYER_MS } from './eager-step.js';
import { RooflinePerfModel } from './perf-model.js';

describe('steps without CUDA graphs', () => {
  it('launch time per layer from vLLM PR #10058 (OPT-125M, 12 layers, 128 forward passes)', () => {
    // (0.41 - 0.21) s / 128 / 12 = 0.1302 ms; V0 (0.47 - 0.21) s / 128 / 12 = 0.1693 ms.
    expect(V1_EAGER_LAUNCH_PER_LAYER_MS).toBeCloseTo(0.1302, 4);
    expect(V0_EAGER_LAUNCH_PER_LAYER_MS).toBeCloseTo(0.1693, 4);
  });

  it('V1 captures up to min(2 x max_num_seqs, 512, budget) tokens; only steps with prompt tokens above it run eager; V0 runs every prompt step eager', () => {
    expect(eagerStepModel('v1', 1024, 8192).maxGraphTokens).toBe(512);
    expect(eagerStepModel('v1', 8, 8192).maxGraphTokens).toBe(16);
    expect(eagerStepModel('v1', 256, 256).maxGraphTokens).toBe(256);
    const v1 = eagerStepModel('v1', 1024, 8192);
    expect(runsEager(v1, 512, 1)).toBe(false);
    expect(runsEager(v1, 517, 1)).toBe(true);
    expect(runsEager(v1, 600, 0)).toBe(false);
    const v0 = eagerStepModel('v0', 256, 2048);
    expect(runsEager(v0, 2, 1)).toBe(true);
    expect(runsEager(v0, 64, 0)).toBe(false);
  });

  it('adds only what the launches exceed the layers\' GPU time by: 28 layers x 0.130 ms = 3.65 ms', () => {
    const m = eagerStepModel('v1', 1024, 8192);
    const launch = 28 * V1_EAGER_LAUNCH_PER_LAYER_MS;
    expect(eagerExcessMs(m, 28, 1)).toBeCloseTo(launch - 1, 12);
    expect(eagerExcessMs(m, 28, 10)).toBe(0);
    // The step (layers + excess) never gets cheaper as its GPU work grows.
    let last = 0;
    for (const gpuMs of [0, 1, 2, 3, 3.6, 4, 8]) {
      const step = gpuMs + eagerExcessMs(m, 28, gpuMs);
      expect(step).toBeGreaterThanOrEqual(last);
      last = step;
    }
  });

  it('in the perf model: a 517-token mixed step of Qwen3-0.6B on an H100 pays the excess, the 512-token one does not; iterationMs equals the breakdown', () => {
    const arch = loadLlm('qwen3-0.6b');
    const gpu = loadGpu('h100-sxm');
    const eager = eagerStepModel('v1', 1024, 8192);
    const plain = new RooflinePerfModel(arch, gpu, { tp: 1 });
    const m = new RooflinePerfModel(arch, gpu, { tp: 1, eager });
    const decodes = Array.from({ length: 5 }, () => ({ newTokens: 1, contextTokens: 600 }));
    const over = [{ newTokens: 512, contextTokens: 0 }, ...decodes];
    const at = [{ newTokens: 507, contextTokens: 0 }, ...decodes];
    expect(m.iterationMs(at)).toBe(plain.iterationMs(at));
    const g = m.iteration(over).groups.find((x) => x.name === 'eager_launch')!;
    const layersMs = plain.iteration(over).perLayerMs * arch.numLayers;
    expect(g.ms).toBeCloseTo(Math.max(0, arch.numLayers * V1_EAGER_LAUNCH_PER_LAYER_MS - layersMs), 9);
    expect(m.iterationMs(over)).toBe(m.iteration(over).totalMs);
    expect(m.iterationMs(over)).toBeGreaterThanOrEqual(plain.iterationMs(over));
    // Decode-only steps stay graphed (and affine in context).
    expect(m.iterationMs(decodes)).toBe(plain.iterationMs(decodes));
  });
});
