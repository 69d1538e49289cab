import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.js';
import { efficiency, type GpuPerfParams } from '../model/gpu.js';
import { decodeAttentionTime, gemmTime, hwRates, prefillAttentionTime } from '../perf/op-times.js';
import { ringAllReduceMs } from '../perf/perf-model.js';
import { fitAllReduce, fitCpuOverhead, fitDecodeAttention, fitElementwise, fitGemm, fitPrefillAttention, requireEnough } from './fit.js';
import type { DecodeAttentionSample, GemmSample, PrefillAttentionSample } from './samples.js';

const hw = hwRates(312, 2039);

/** Deterministic +-2% multiplicative noise so the fits face imperfect data. */
const noise = (i: number) => 1 + 0.02 * Math.sin(i * 12.9898);

describe('fits recover the parameters of a known curve', () => {
  it('GEMM: efficiency vs rows and weight size, memory efficiency, launch', () => {
    const truth: GpuPerfParams['gemm'] = { compute: { max: 0.72, halfAt: 120, exponent: 0.9 }, memoryEfficiency: 0.8, launchUs: 6, shapeHalfAtElems: 3e5 };
    const samples: GemmSample[] = [];
    let i = 0;
    for (const m of [1, 4, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192])
      for (const [n, k] of [[1024, 1024], [4096, 4096], [6144, 4096], [28672, 4096], [4096, 14336], [512, 4096]] as const)
        samples.push({ m, n, k, ms: gemmTime(truth, hw, m, n, k, 2).ms * noise(i++) });
    const fit = fitGemm(samples, hw);
    expect(fit.compute.max).toBeGreaterThan(0);
    expect(fit.compute.max).toBeLessThanOrEqual(1);
    expect(fit.compute.max).toBeCloseTo(0.72, 1);
    expect(fit.memoryEfficiency).toBeCloseTo(0.8, 1);
    // Predictions, not parameters, are what must match: within 3% everywhere.
    for (const s of samples) expect(Math.abs(gemmTime(fit, hw, s.m, s.n, s.k, 2).ms / gemmTime(truth, hw, s.m, s.n, s.k, 2).ms - 1)).toBeLessThan(0.03);
    // Physically sensible: monotone in m, bounded by max.
    let prev = 0;
    for (const m of [1, 10, 100, 1000, 10000]) {
      const e = efficiency(fit.compute, m);
      expect(e).toBeGreaterThan(prev);
      expect(e).toBeLessThanOrEqual(fit.compute.max);
      prev = e;
    }
  });

  it('prefill attention: efficiency vs KV length and parallel work', () => {
    const truth: GpuPerfParams['attentionPrefill'] = {
      compute: { max: 0.6, halfAt: 400, exponent: 1.1 },
      parallel: { max: 1, halfAt: 1e4, exponent: 0.8 },
      memoryEfficiency: 0.8,
      launchUs: 8,
    };
    const samples: PrefillAttentionSample[] = [];
    let i = 0;
    for (const batch of [1, 4, 16])
      for (const seqLen of [64, 256, 1024, 4096, 16384])
        for (const [qHeads, kvHeads] of [[32, 8], [8, 1], [64, 8]] as const) {
          const g = { qHeads, kvHeads, headDim: 128, bytesPerElement: 2 };
          samples.push({ batch, seqLen, qHeads, kvHeads, headDim: 128, ms: prefillAttentionTime(truth, hw, [{ newTokens: seqLen, contextTokens: 0, count: batch }], g).ms * noise(i++) });
        }
    const fit = fitPrefillAttention(samples, hw, 0.8);
    expect(fit.compute.max).toBeCloseTo(0.6, 1);
    for (const s of samples) {
      const g = { qHeads: s.qHeads, kvHeads: s.kvHeads, headDim: 128, bytesPerElement: 2 };
      const seqs = [{ newTokens: s.seqLen, contextTokens: 0, count: s.batch }];
      expect(Math.abs(prefillAttentionTime(fit, hw, seqs, g).ms / prefillAttentionTime(truth, hw, seqs, g).ms - 1)).toBeLessThan(0.04);
    }
  });

  it('decode attention: bandwidth fraction and fixed costs', () => {
    const truth: GpuPerfParams['attentionDecode'] = { memoryEfficiency: 0.75, launchUs: 12, perQueryHeadUs: 0.004, perKvHeadUs: 0.03 };
    const samples: DecodeAttentionSample[] = [];
    let i = 0;
    for (const batch of [1, 8, 64, 256])
      for (const kvLen of [16, 256, 4096, 32768])
        for (const [qHeads, kvHeads] of [[32, 8], [8, 8], [64, 8]] as const) {
          const g = { qHeads, kvHeads, headDim: 128, bytesPerElement: 2 };
          samples.push({ batch, kvLen, qHeads, kvHeads, headDim: 128, ms: decodeAttentionTime(truth, hw, batch, batch * kvLen, g).ms * noise(i++) });
        }
    const fit = fitDecodeAttention(samples, hw);
    expect(fit.memoryEfficiency).toBeCloseTo(0.75, 1);
    expect(fit.launchUs).toBeGreaterThan(8);
    expect(fit.launchUs).toBeLessThan(16);
  });

  it('elementwise: one bandwidth fraction per op kind', () => {
    const samples = [];
    for (const bytes of [1e5, 3e5, 1e6, 3e6, 1e7, 3e7, 1e8, 3e8]) {
      // Large row counts: the parallelism factor is ~1 and the bandwidth fraction shows alone.
      const tokens = bytes / 100;
      samples.push({ op: 'add', bytes, tokens, ms: bytes / (hw.hbmBytesPerMs * 0.9) + 0.002 });
      samples.push({ op: 'input_layernorm', bytes, tokens, ms: bytes / (hw.hbmBytesPerMs * 0.4) + 0.002 });
    }
    const fit = fitElementwise(samples, hw);
    expect(fit.byOp!.add).toBeCloseTo(0.9, 2);
    expect(fit.byOp!.input_layernorm).toBeCloseTo(0.4, 2);
    expect(fit.launchUs).toBeCloseTo(2, 1);
  });

  it('all-reduce: alpha and bus bandwidth of a ring', () => {
    const truth = { latencyUs: 9, busBandwidthGBps: 180 };
    const samples = [2e3, 2e4, 2e5, 2e6, 2e7, 6e7].flatMap((bytes, i) => [
      { gpus: 4, bytes, ms: ringAllReduceMs(truth, 4, bytes) * noise(i) },
      { gpus: 4, bytes: bytes * 1.5, ms: ringAllReduceMs(truth, 4, bytes * 1.5) * noise(i + 7) },
    ]);
    const fit = fitAllReduce(samples, 4);
    expect(fit.latencyUs).toBeCloseTo(9, 0);
    expect(fit.busBandwidthGBps / 180).toBeCloseTo(1, 1);
  });

  it('CPU overhead: exact line through exact data', () => {
    const samples = [8, 16, 32, 64, 128, 8, 16, 32].map((batch) => ({ model: 'x', batch, tp: 1, ms: 1.5 + 0.04 * batch }));
    const fit = fitCpuOverhead(samples);
    expect(fit.baseMs).toBeCloseTo(1.5, 9);
    expect(fit.perSeqMs).toBeCloseTo(0.04, 9);
  });
});

describe('too little data', () => {
  it('refuses to fit a curve from too few points', () => {
    const few: GemmSample[] = [1, 2, 3].map((m) => ({ m, n: 4096, k: 4096, ms: 0.02 }));
    expect(() => fitGemm(few, hw)).toThrow(UserError);
    expect(() => fitGemm(few, hw)).toThrow(/too few measured points to fit GEMM efficiency: 3 points/);
    expect(() => fitAllReduce([{ gpus: 2, bytes: 1, ms: 1 }], 4)).toThrow(/all-reduce on 4 GPUs: 0 points/);
  });
  it('needs distinct sizes, not repeats of one point', () => {
    expect(() => requireEnough('x', 100, 2, 2)).toThrow(/over 2 distinct sizes/);
    expect(() => requireEnough('x', 100, 3, 2)).not.toThrow();
  });
});
