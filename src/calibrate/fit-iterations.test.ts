import { describe, expect, it } from 'vitest';
import { Catalog } from '../model/catalog.js';
import type { GpuPerfParams, GpuProfile } from '../model/gpu.js';
import { fitEngineIterations, predictEngineIterationMs } from './fit-iterations.js';
import { fitPerf } from './fit-profile.js';
import type { EngineIterationSample } from './samples.js';
import { parseSourceText } from './sources.js';

const HEADER = 'op,dtype,m,n,k,batch_size,seq_len,kv_len,num_heads,num_kv_heads,head_dim,bytes,pinned,num_gpus,latency_ms,model,num_layers,hidden_size,intermediate_size,vocab_size';
const shape = { name: 'm6', layers: 6, hidden: 512, heads: 8, kvHeads: 8, intermediate: 1408, vocab: 32000, gatedMlp: true };

/** A CPU-like device: the L4's record with small peaks, and known efficiencies the fit must recover. */
function device(): GpuProfile {
  const g = new Catalog().loadGpu('l4');
  return { ...g, id: 'cpu-test', fp16Tflops: 0.15, hbmBandwidthGBps: 10, numSms: undefined };
}
const TRUE_PERF: Partial<GpuPerfParams> = {
  gemm: { compute: { max: 0.6, halfAt: 20, exponent: 1 }, memoryEfficiency: 0.7, launchUs: 40 },
  attentionPrefill: { compute: { max: 0.2, halfAt: 300, exponent: 1 }, memoryEfficiency: 0.7, launchUs: 40 },
  attentionDecode: { memoryEfficiency: 0.3, launchUs: 40 },
  elementwise: { memoryEfficiency: 0.7, launchUs: 40 },
  cpuOverhead: { baseMs: 2, perSeqMs: 0.5 },
};

function grid(gpu: GpuProfile, noise: (i: number) => number): EngineIterationSample[] {
  const perf = { ...gpu.perf, ...TRUE_PERF };
  const out: EngineIterationSample[] = [];
  for (const n of [16, 32, 64, 128, 256, 512]) out.push({ model: shape, phase: 'prefill', batch: 1, newTokens: n, kvLen: n, ms: 0 });
  for (const kv of [64, 256, 1024]) for (const b of [1, 2, 4, 8, 16]) out.push({ model: shape, phase: 'decode', batch: b, newTokens: 1, kvLen: kv, ms: 0 });
  return out.map((s, i) => ({ ...s, ms: predictEngineIterationMs(gpu, perf, s) * noise(i) }));
}

describe('whole-iteration rows in the pdsim profile CSV', () => {
  it('reads iter_prefill and iter_decode rows with their model geometry', () => {
    const csv = `${HEADER}\niter_prefill,float16,,,,1,128,,8,8,64,,,,40.5,m6,6,512,1408,32000\niter_decode,float16,,,,4,,257,8,8,64,,,,12.25,m6,6,512,1408,32000\n`;
    const set = parseSourceText(csv, 'p.csv');
    expect(set.iterations).toEqual([
      { model: shape, phase: 'prefill', batch: 1, newTokens: 128, kvLen: 128, ms: 40.5 },
      { model: shape, phase: 'decode', batch: 4, newTokens: 1, kvLen: 257, ms: 12.25 },
    ]);
  });

  it('refuses an iter row without the model columns, naming the file', () => {
    const head = HEADER.split(',').slice(0, 15).join(',');
    expect(() => parseSourceText(`${head}\niter_prefill,float16,,,,1,128,,8,8,64,,,,40.5\n`, 'p.csv')).toThrow(/p\.csv.*model/);
  });
});

describe('fitting a device profile to whole iterations', () => {
  it('recovers the iteration times of a known device from noisy measurements', { timeout: 120_000 }, () => {
    const gpu = device();
    // Deterministic +-4% "noise".
    const samples = grid(gpu, (i) => 1 + 0.04 * Math.sin(i * 2.3));
    const fitted = { ...gpu.perf, ...fitEngineIterations(samples, gpu) };
    const truth = { ...gpu.perf, ...TRUE_PERF };
    // Shapes between the measured ones (interpolation).
    const probes: EngineIterationSample[] = [
      { model: shape, phase: 'prefill', batch: 1, newTokens: 200, kvLen: 200, ms: 0 },
      { model: shape, phase: 'decode', batch: 6, newTokens: 1, kvLen: 500, ms: 0 },
      { model: shape, phase: 'decode', batch: 12, newTokens: 1, kvLen: 128, ms: 0 },
    ];
    for (const p of probes) expect(predictEngineIterationMs(gpu, fitted, p) / predictEngineIterationMs(gpu, truth, p)).toBeCloseTo(1, 1);
  });

  it('fitPerf takes those groups from iterations and keeps all-reduce; too few shapes are refused', { timeout: 120_000 }, () => {
    const gpu = device();
    const samples = grid(gpu, () => 1);
    const set = { gemm: [], layers: [], prefill: [], decode: [], allReduce: [], cpu: [], copies: [], iterations: samples, sources: [] };
    const f = fitPerf(set, gpu);
    expect(f.kept).toEqual(['allReduce']);
    expect(f.fitted).toContain('cpuOverhead (whole iterations)');
    expect(f.perf.calibratedRange).toMatchObject({ maxTokens: 512, maxContextTokens: 1024, maxBatch: 16 });
    // Whole iterations time the whole depth: the recorded shape keeps its layer count (what range-flags checks).
    expect(f.perf.calibratedRange!.models).toEqual([{ name: shape.name, hidden: shape.hidden, heads: shape.heads, kvHeads: shape.kvHeads, intermediate: shape.intermediate, layers: shape.layers }]);
    expect(() => fitEngineIterations(samples.filter((s) => s.phase === 'decode' || s.newTokens < 64), gpu)).toThrow(/too few measured iteration shapes/);
  });
});
