import { describe, expect, it } from 'vitest';
import { loadGpu, loadLlm } from '../model/catalog.js';
import { RooflinePerfModel } from './perf-model.js';
import { FLASHINFER_TOPK_TOPP_PEAK_BYTES, samplerCost, samplerMs, samplerWork } from './sampler.js';

// Round rates: 1000 GB/s = 1e9 B/ms, elementwise efficiency 0.5, 2 us per kernel.
const rates = { hbmBytesPerMs: 1e9, elementwiseEfficiency: 0.5, launchUs: 2 };

describe('sampler cost', () => {
  it('reads vLLM SamplingParams as vLLM does: temperature 0 is greedy and drops top-k/top-p; neutral penalties are skipped', () => {
    expect(samplerWork({ temperature: 0, topK: 20, topP: 0.8 })).toEqual({ random: false, topKTopP: false, penalties: false });
    expect(samplerWork({ temperature: 0.7, topK: 20 })).toEqual({ random: true, topKTopP: true, penalties: false });
    expect(samplerWork({ temperature: 0.7, topK: -1, topP: 1 })).toEqual({ random: true, topKTopP: false, penalties: false });
    expect(samplerWork({ temperature: 0, repetitionPenalty: 1.1 })).toEqual({ random: false, topKTopP: false, penalties: true });
    expect(samplerWork({ repetitionPenalty: 1, frequencyPenalty: 0, presencePenalty: 0.5 }).penalties).toBe(true);
  });

  it('greedy: fp32 cast (6 B) + argmax (4 B) per logit, 2 kernels; by hand for 4 rows of 1000 logits', () => {
    const c = samplerCost({ random: false, topKTopP: false, penalties: false });
    expect(c).toEqual({ bytesPerLogit: 10, peakBytesPerLogit: 0, kernels: 2 });
    // 4000 logits x 10 B / (1e9 x 0.5) = 8e-5 ms, + 2 x 2 us = 0.004 ms.
    expect(samplerMs(c, rates, 4, 1000)).toBeCloseTo(8e-5 + 0.004, 12);
  });

  it('penalties add 81 B and 11 kernels; FlashInfer top-k/top-p adds its measured 65 B at the datasheet bandwidth', () => {
    const greedyPen = samplerCost({ random: false, topKTopP: false, penalties: true });
    expect(greedyPen).toEqual({ bytesPerLogit: 91, peakBytesPerLogit: 0, kernels: 13 });
    // PR #40376: (0.267 - 0.199) ms / (64 x 131072) logits x 8e9 B/ms = 64.85 B.
    expect(FLASHINFER_TOPK_TOPP_PEAK_BYTES).toBeCloseTo(64.85, 2);
    const guidellm = samplerCost(samplerWork({ temperature: 0.7, topK: 20, topP: 0.8, repetitionPenalty: 1.1 }));
    expect(guidellm.bytesPerLogit).toBe(6 + 81 + 8);
    expect(guidellm.peakBytesPerLogit).toBeCloseTo(64.85, 2);
    expect(guidellm.kernels).toBe(1 + 11 + 1 + 3);
    // 2 rows of 1e6 logits: 2e6 x 95 / 5e8 + 2e6 x 64.85 / 1e9 + 16 x 0.002 ms.
    expect(samplerMs(guidellm, rates, 2, 1e6)).toBeCloseTo((2e6 * 95) / 5e8 + (2e6 * FLASHINFER_TOPK_TOPP_PEAK_BYTES) / 1e9 + 0.032, 9);
    const plainRandom = samplerCost({ random: true, topKTopP: false, penalties: false });
    expect(plainRandom).toEqual({ bytesPerLogit: 6 + 8 + 36, peakBytesPerLogit: 0, kernels: 1 + 1 + 4 });
  });

  it('affine and increasing in the sampled rows; nothing without rows', () => {
    const c = samplerCost(samplerWork({ temperature: 0.7, topK: 20, repetitionPenalty: 1.1 }));
    expect(samplerMs(c, rates, 0, 151936)).toBe(0);
    const t = [1, 2, 3, 64].map((b) => samplerMs(c, rates, b, 151936));
    expect(t[1]! - t[0]!).toBeCloseTo(t[2]! - t[1]!, 12);
    for (let i = 1; i < t.length; i++) expect(t[i]!).toBeGreaterThan(t[i - 1]!);
  });

  it('the perf model adds it once per step over the full vocabulary, and a decode step stays affine in context', () => {
    const arch = loadLlm('qwen2.5-0.5b-instruct');
    const gpu = loadGpu('t4');
    const cost = samplerCost(samplerWork({ temperature: 0.7, topK: 20, topP: 0.8, repetitionPenalty: 1.1 }));
    const plain = new RooflinePerfModel(arch, gpu, { tp: 1 });
    const sampled = new RooflinePerfModel(arch, gpu, { tp: 1, sampler: cost });
    const batch = Array.from({ length: 8 }, (_, i) => ({ newTokens: 1, contextTokens: 300 + i }));
    const r = { hbmBytesPerMs: gpu.hbmBandwidthGBps * 1e6, elementwiseEfficiency: gpu.perf.elementwise.memoryEfficiency, launchUs: gpu.perf.elementwise.launchUs };
    expect(sampled.iterationMs(batch) - plain.iterationMs(batch)).toBeCloseTo(samplerMs(cost, r, 8, 151936), 9);
    expect(sampled.iteration(batch).groups.find((g) => g.name === 'sampler')!.ms).toBe(samplerMs(cost, r, 8, 151936));
    expect(sampled.iterationMs(batch)).toBe(sampled.iteration(batch).totalMs);
    const c = sampled.decodeCoefficients(8);
    expect(sampled.iterationMs(batch)).toBeCloseTo(c.fixedMs + c.perContextTokenMs * batch.reduce((a, e) => a + e.contextTokens, 0), 9);
  });
});
