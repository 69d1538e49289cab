import { describe, expect, it } from 'vitest';
import { Catalog } from '../model/catalog.js';
import type { GpuPerfParams, GpuProfile } from '../model/gpu.js';
import { fitDecodeBatchMs, withoutDecodeBatch } from './fit-decode-batch.js';
import { engineIterationErrors, fitEngineIterations, predictEngineIterationMs } from './fit-iterations.js';
import type { EngineIterationSample } from './samples.js';

const shape = { name: 'm6', layers: 6, hidden: 512, heads: 8, kvHeads: 8, intermediate: 1408, vocab: 32000, gatedMlp: true };
const dec = (batch: number, kvLen: number, ms = 0): EngineIterationSample => ({ model: shape, phase: 'decode', batch, newTokens: 1, kvLen, ms });

describe('fitting the decode batch-shape table', () => {
  it('entry b - 1 is the mean residual at batch b; skipped sizes interpolated, below the smallest its entry (hand-computed)', () => {
    // A pricer of 10 ms for every shape: the residuals are the rows' ms - 10.
    const price = () => 10;
    const rows = [dec(2, 32, 11), dec(2, 256, 13), dec(4, 32, 9), dec(4, 256, 9), dec(8, 64, 16)];
    // b2: mean(1, 3) = 2; b4: -1; b8: 6; b1 takes b2's; b3 = (2 + -1) / 2; b5-7 on the line from -1 to 6.
    const t = fitDecodeBatchMs(rows, {} as GpuPerfParams, price)!;
    expect(t).toHaveLength(8);
    [2, 2, 0.5, -1, 0.75, 2.5, 4.25, 6].forEach((x, i) => expect(t[i]).toBeCloseTo(x, 12));
    // One batch size says nothing about shape; prefill rows are not decode rows.
    expect(fitDecodeBatchMs([dec(4, 32, 9), { ...dec(1, 64, 50), phase: 'prefill', newTokens: 64 }], {} as GpuPerfParams, price)).toBeUndefined();
  });

  it('prices the rows by the base model alone, whatever table the profile held before', () => {
    const seen: (number[] | undefined)[] = [];
    fitDecodeBatchMs([dec(1, 32, 5), dec(2, 32, 6)], { decodeBatchMs: [9, 9] } as GpuPerfParams, (p) => (seen.push(p.decodeBatchMs), 1));
    expect(seen).toEqual([undefined, undefined]);
  });

  it('recovers a planted batch curve from noise-free whole-iteration rows at b 1..8', { timeout: 180_000 }, () => {
    const l4 = new Catalog().loadGpu('l4');
    const gpu: GpuProfile = { ...l4, id: 'cpu-test', fp16Tflops: 0.15, hbmBandwidthGBps: 10, numSms: undefined };
    // Steps no smooth term makes: a cost for every started tile of 4 columns, and a dip at b 6.
    const PLANTED = [0, 0, 0, 0, 3, 3, 1, 3];
    const truth: GpuPerfParams = {
      ...gpu.perf,
      gemm: { compute: { max: 0.6, halfAt: 20, exponent: 1 }, memoryEfficiency: 0.7, launchUs: 40 },
      attentionPrefill: { compute: { max: 0.2, halfAt: 300, exponent: 1 }, memoryEfficiency: 0.7, launchUs: 40 },
      attentionDecode: { memoryEfficiency: 0.3, launchUs: 40 },
      elementwise: { memoryEfficiency: 0.7, launchUs: 40 },
      cpuOverhead: { baseMs: 2, perSeqMs: 0.5 },
      decodeBatchMs: PLANTED,
    };
    const pre = [16, 32, 64, 128, 256, 512].map((n): EngineIterationSample => ({ model: shape, phase: 'prefill', batch: 1, newTokens: n, kvLen: n, ms: 0 }));
    const rows = [...pre, ...[64, 256, 640, 1000].flatMap((kv) => [1, 2, 3, 4, 5, 6, 7, 8].map((b) => dec(b, kv)))].map((s) => ({ ...s, ms: predictEngineIterationMs(gpu, truth, s) }));
    const fitted = { ...gpu.perf, ...fitEngineIterations(rows, gpu) };
    expect(fitted.decodeBatchMs).toHaveLength(8);
    // At KV lengths between and beyond the profiled ones, every batch size priced as the truth prices it...
    const probes = [100, 500, 900].flatMap((kv) => [1, 2, 3, 4, 5, 6, 7, 8].map((b) => dec(b, kv)));
    const err = (perf: GpuPerfParams) => Math.max(...probes.map((p) => Math.abs(predictEngineIterationMs(gpu, perf, p) / predictEngineIterationMs(gpu, truth, p) - 1)));
    expect(err(fitted)).toBeLessThan(0.01);
    // ...which the same base fit without its table does not do (the smooth terms cannot make the steps).
    expect(err(withoutDecodeBatch(fitted))).toBeGreaterThan(3 * err(fitted));
    // The planted steps come back in the table's own differences, up to what the smooth terms took (their part is near linear in b).
    const t = fitted.decodeBatchMs!;
    expect(t[4]! - t[3]!).toBeGreaterThan(2);
    expect(t[5]! - t[6]!).toBeGreaterThan(1.5);
    // batchTerm: false is the nine-parameter fit alone, the same base.
    const base = fitEngineIterations(rows, gpu, { batchTerm: false });
    expect(base.decodeBatchMs).toBeUndefined();
    expect(base.cpuOverhead).toEqual(withoutDecodeBatch(fitted).cpuOverhead);
    // Held out (2-fold), with the term against without it, on the same folds.
    const errs = engineIterationErrors(rows, gpu, fitted);
    const med = (g: string) => errs.find((e) => e.group === g)!.heldOut.medianPct;
    expect(med('engine iteration decode')).toBeLessThan(med('engine iteration decode without decodeBatchMs'));
    // Per batch, the held-out bias: within 1 % with the term at every b; further off without it somewhere.
    const byBatch = errs.find((e) => e.group === 'engine iteration decode')!.byBatch!;
    expect(byBatch.map((b) => b.batch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const b of byBatch) expect(Math.abs(b.rowOverHeldOut - 1)).toBeLessThan(0.01);
    expect(Math.max(...byBatch.map((b) => Math.abs(b.withoutTerm - 1)))).toBeGreaterThan(0.02);
  });
});
