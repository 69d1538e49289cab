import { describe, expect, it } from 'vitest';
import type { LlmArchitecture } from '../model/architecture.js';
import type { GpuProfile } from '../model/gpu.js';
import { efficiency } from '../model/gpu.js';
import { RooflinePerfModel } from './perf-model.js';
import { listIds, loadGpu, loadLlm } from '../model/catalog.js';
import { RandomStreams } from '../kernel/random.js';
import { eagerStepModel } from './eager-step.js';
import { samplerCost, samplerWork } from './sampler.js';

// Round numbers so every step can be checked by hand: peak 100 TFLOPS = 1e11 FLOP/ms,
// HBM 1000 GB/s = 1e9 B/ms, every efficiency a constant 0.5, no launch latency, CPU 1 ms.
const gpu: GpuProfile = {
  id: 'toy',
  name: 'toy',
  memGiB: 80,
  hbmBandwidthGBps: 1000,
  fp16Tflops: 100,
  fp8Tflops: null,
  computeCapability: '8.0',
  hostLink: 'pcie-gen4-x16',
  nvlink: null,
  tdpW: 300,
  flashAttention: true,
  bf16: true,
  calibrated: false,
  sources: [],
  perf: {
    gemm: { compute: { max: 0.5, halfAt: 0, exponent: 1 }, memoryEfficiency: 0.5, launchUs: 0 },
    attentionPrefill: { compute: { max: 0.5, halfAt: 0, exponent: 1 }, memoryEfficiency: 0.5, launchUs: 0 },
    attentionDecode: { memoryEfficiency: 0.5, launchUs: 0 },
    elementwise: { memoryEfficiency: 0.5, launchUs: 0 },
    allReduce: { latencyUs: 10, busBandwidthGBps: 100 },
    cpuOverhead: { baseMs: 1, perSeqMs: 0 },
  },
};

// 2 layers, hidden 1024, 8 query heads and 2 KV heads of 128 (qDim 1024, kvDim 256), gated MLP 4096.
const arch: LlmArchitecture = {
  id: 'toy',
  name: 'toy',
  hfId: 'toy',
  source: 'test',
  numLayers: 2,
  hiddenSize: 1024,
  numHeads: 8,
  numKvHeads: 2,
  headDim: 128,
  intermediateSize: 4096,
  vocabSize: 32000,
  tiedEmbeddings: false,
  qkvBias: false,
  gatedMlp: true,
  maxPositionEmbeddings: 4096,
  dtype: 'bfloat16',
};

describe('RooflinePerfModel', () => {
  // CPU 1 ms per step, whatever the batch (the engine overhead model is tested in step-overhead.test.ts).
  const m = new RooflinePerfModel(arch, gpu, { tp: 1, overhead: { baseMs: 1, perSeqMs: 0, tpMs: 0 } });

  it('prices one 1000-token prefill by hand', () => {
    // Per layer, compute ms = FLOPs / (1e11 x 0.5), memory ms = bytes / (1e9 x 0.5):
    //  qkv  2*1000*1536*1024 = 3.145728e9 FLOP -> 0.06291456 (memory 8,265,728 B -> 0.0165): compute
    //  o    2*1000*1024*1024 = 2.097152e9      -> 0.04194304 compute
    //  up   2*1000*8192*1024 = 1.6777216e10    -> 0.33554432 compute
    //  down 2*1000*1024*4096 = 8.388608e9      -> 0.16777216 compute          (mlp 0.50331648)
    //  attention 4*1024*1000*(0 + 1001/2) = 2.050048e9 FLOP -> 0.04100096 (memory 5.12e6 B -> 0.01024)
    //  elementwise bytes/token: 2 norms 4096 each + RoPE 5120 + act 24576 + 2 adds 6144 each = 50176
    //              x 1000 tokens = 50,176,000 B -> 0.100352
    //  layer = 0.74952704 ms, x 2 layers = 1.49905408
    // LM head for 1 row: 65,536,000 FLOP -> 0.00131 vs (1024 + 32,768,000 + 32,000) x 2 B -> 0.131204096 (memory)
    // CPU 1 ms. Total 2.630258176 ms.
    const it = m.iteration([{ newTokens: 1000, contextTokens: 0 }]);
    expect(it.perLayerMs).toBeCloseTo(0.74952704, 9);
    expect(it.totalMs).toBeCloseTo(2.630258176, 9);
    const g = Object.fromEntries(it.groups.map((x) => [x.name, x]));
    expect(g.mlp!.ms).toBeCloseTo(2 * 0.50331648, 9);
    expect(g.mlp!.bound).toBe('compute');
    expect(g.attn_prefill!.ms).toBeCloseTo(2 * 0.04100096, 9);
    expect(g.lm_head!.bound).toBe('memory');
  });

  it('prices one decode step of 4 sequences at context 99 by hand', () => {
    // Per layer (4 rows: every GEMM is memory-bound, bytes / 0.5e9):
    //  qkv  (4*1024 + 1024*1536 + 4*1536) x 2 = 3,166,208 B -> 0.006332416
    //  o    (4096 + 1,048,576 + 4096) x 2     = 2,113,536 B -> 0.004227072
    //  up   (4096 + 8,388,608 + 32,768) x 2   = 16,850,944 B -> 0.033701888
    //  down (16,384 + 4,194,304 + 4096) x 2   = 8,429,568 B -> 0.016859136
    //  attention: KV length 100 each (99 cached + the new token): 400 x 1024 B + q/o 4 x 2 x 1024 x 2
    //             = 425,984 B -> 0.000851968
    //  elementwise 4 x 50176 B -> 0.000401408
    //  layer 0.062373888, x 2 = 0.124747776
    // LM head 4 rows: (4096 + 32,768,000 + 128,000) x 2 B -> 0.131600384; CPU 1. Total 1.25634816 ms.
    const batch = Array.from({ length: 4 }, () => ({ newTokens: 1, contextTokens: 99 }));
    const it = m.iteration(batch);
    expect(it.perLayerMs).toBeCloseTo(0.062373888, 9);
    expect(it.totalMs).toBeCloseTo(1.25634816, 9);
    expect(it.groups.every((g) => g.bound !== 'compute')).toBe(true);
  });

  it('keeps a decode-only iteration exactly affine in total context', () => {
    const c = m.decodeCoefficients(4);
    // d/dctx = 2 layers x 1024 B / 0.5e9 B/ms.
    expect(c.perContextTokenMs).toBeCloseTo(4.096e-6, 15);
    const ctx = [10, 200, 3000, 7];
    const it = m.iterationMs(ctx.map((x) => ({ newTokens: 1, contextTokens: x })));
    expect(it).toBeCloseTo(c.fixedMs + c.perContextTokenMs * 3217, 9);
  });

  it('adds two all-reduces per layer under TP', () => {
    const m2 = new RooflinePerfModel(arch, gpu, { tp: 2 });
    const it = m2.iteration([{ newTokens: 1000, contextTokens: 0 }]);
    const ar = it.groups.find((g) => g.name === 'allreduce')!;
    // 2 layers x 2 x (10 us + 2(1)/2 x 2,048,000 B / 100 GB/s) = 4 x (0.01 + 0.02048) ms
    expect(ar.ms).toBeCloseTo(4 * (0.01 + 0.02048), 9);
  });

  it('efficiency curves are in (0, max] and increasing', () => {
    const c = { max: 0.74, halfAt: 90, exponent: 1.1 };
    let prev = 0;
    for (const x of [1, 8, 64, 512, 4096, 32768]) {
      const e = efficiency(c, x);
      expect(e).toBeGreaterThan(prev);
      expect(e).toBeLessThanOrEqual(0.74);
      prev = e;
    }
  });
});

describe('decode occupancy keeps a decode iteration affine in total context', () => {
  const occGpu: GpuProfile = {
    ...gpu,
    numSms: 108,
    perf: { ...gpu.perf, attentionDecode: { memoryEfficiency: 0.5, launchUs: 0, occupancy: { mhaItemsPerSm: 0.5, gqaItemsPerSm: 0.05 } } },
  };
  const m = new RooflinePerfModel(arch, occGpu, { tp: 1 });
  it('matches decodeCoefficients for uneven contexts', () => {
    for (const ctx of [[10, 200, 3000, 7], [1, 1], [50000, 2, 9, 77, 1024, 65536, 3]]) {
      const c = m.decodeCoefficients(ctx.length);
      const total = ctx.reduce((a, b) => a + b, 0);
      expect(m.iterationMs(ctx.map((x) => ({ newTokens: 1, contextTokens: x })))).toBeCloseTo(c.fixedMs + c.perContextTokenMs * total, 9);
    }
    // Fewer sequences than the SMs can hold: each context token costs more than at full occupancy.
    expect(m.decodeCoefficients(1).perContextTokenMs).toBeGreaterThan(m.decodeCoefficients(512).perContextTokenMs);
  });
});

describe('iterationMs', () => {
  it('equals iteration().totalMs bit for bit on random mixed batches (every GPU profile, TP 1 and 2)', () => {
    const rng = new RandomStreams(9).stream('batches');
    const arch = loadLlm('llama-3.1-8b');
    for (const id of listIds('gpu')) {
      for (const tp of [1, 2]) {
        const m = new RooflinePerfModel(arch, loadGpu(id), { tp });
        for (let k = 0; k < 40; k++) {
          const batch = Array.from({ length: rng.intBetween(1, 12) }, () =>
            rng.next() < 0.6 ? { newTokens: 1, contextTokens: rng.intBetween(1, 8000) } : { newTokens: rng.intBetween(2, 3000), contextTokens: rng.intBetween(0, 4000) },
          );
          expect(m.iterationMs(batch)).toBe(m.iteration(batch).totalMs);
        }
      }
    }
  });
});

describe('iterationMs caches', () => {
  it('give iteration().totalMs bit for bit whatever was priced before (sampler, eager steps, offload, streaming, TP 1 and 2)', () => {
    // Few distinct token counts and batch sizes, so most calls hit the per-count caches filled by
    // earlier calls; a second model pricing the batches in reverse order must agree call by call.
    const rng = new RandomStreams(11).stream('cached');
    const arch = loadLlm('llama-3.1-8b');
    for (const id of listIds('gpu')) {
      for (const tp of [1, 2]) {
        const opts = {
          tp,
          sampler: samplerCost(samplerWork({ temperature: 0.7, topP: 0.9 })),
          eager: eagerStepModel('v1', 8, 2048),
          streamingFraction: 0.06,
          offloadedWeightBytes: 2e9,
          hostLinkGBps: 25,
        };
        const batches = Array.from({ length: 60 }, () =>
          Array.from({ length: rng.intBetween(1, 4) }, () =>
            rng.next() < 0.7 ? { newTokens: 1, contextTokens: rng.intBetween(1, 50) } : { newTokens: rng.intBetween(2, 5), contextTokens: rng.intBetween(0, 3) },
          ),
        );
        const forward = new RooflinePerfModel(arch, loadGpu(id), opts);
        const backward = new RooflinePerfModel(arch, loadGpu(id), opts);
        const reference = new RooflinePerfModel(arch, loadGpu(id), opts);
        const fwd = batches.map((b) => forward.iterationMs(b));
        const bwd = batches.map((_, i) => backward.iterationMs(batches[batches.length - 1 - i]!)).reverse();
        batches.forEach((b, i) => {
          const want = reference.iteration(b).totalMs;
          expect(fwd[i]).toBe(want);
          expect(bwd[i]).toBe(want);
        });
      }
    }
  });
});

describe('iterationMs: the one-prompt attention memo', () => {
  it('gives iteration().totalMs bit for bit for steps of one whole prompt, memo hit or not (repeated lengths, cached context, counts, past the memo)', () => {
    // Lengths from a small set, so most steps hit the memo filled by earlier ones; entries the memo
    // must not serve (cached context, a count of equal prompts, a length past it) interleaved.
    const rng = new RandomStreams(13).stream('one-prompt');
    const arch = loadLlm('qwen2-7b');
    const lengths = [2, 3, 17, 512, 1000, 1474, 4095, 140_000];
    for (const id of listIds('gpu')) {
      const m = new RooflinePerfModel(arch, loadGpu(id), { tp: 1, eager: eagerStepModel('v1', 48, 4096) });
      const reference = new RooflinePerfModel(arch, loadGpu(id), { tp: 1, eager: eagerStepModel('v1', 48, 4096) });
      for (let k = 0; k < 80; k++) {
        const n = lengths[rng.intBetween(0, lengths.length - 1)]!;
        const kind = rng.intBetween(0, 3);
        const prompt = kind === 1 ? { newTokens: n, contextTokens: rng.intBetween(1, 64) } : kind === 2 ? { newTokens: n, contextTokens: 0, count: 2 } : { newTokens: n, contextTokens: 0 };
        const decodes = Array.from({ length: rng.intBetween(0, 20) }, () => ({ newTokens: 1, contextTokens: rng.intBetween(1, 4000) }));
        const batch = rng.next() < 0.5 ? [prompt, ...decodes] : [...decodes, prompt];
        expect(m.iterationMs(batch)).toBe(reference.iteration(batch).totalMs);
      }
    }
  });
});

describe('RooflinePerfModel: streaming share (V0 served engines)', () => {
  const a = loadLlm('llama-3.1-8b');
  const g = loadGpu('h100-sxm');
  const plain = new RooflinePerfModel(a, g, { tp: 1 });
  const streamed = new RooflinePerfModel(a, g, { tp: 1, streamingFraction: 0.06 });
  it('adds 6% to every step, equal in iteration() and iterationMs(), and keeps decode affine in context', () => {
    for (const batch of [[{ newTokens: 512, contextTokens: 0 }], Array.from({ length: 8 }, () => ({ newTokens: 1, contextTokens: 700 }))]) {
      expect(streamed.iteration(batch).totalMs).toBeCloseTo(1.06 * plain.iteration(batch).totalMs, 9);
      expect(streamed.iterationMs(batch)).toBeCloseTo(streamed.iteration(batch).totalMs, 9);
    }
    const c = streamed.decodeCoefficients(8);
    expect(c.fixedMs + c.perContextTokenMs * 8 * 700).toBeCloseTo(streamed.iteration(Array.from({ length: 8 }, () => ({ newTokens: 1, contextTokens: 700 }))).totalMs, 9);
  });
});
