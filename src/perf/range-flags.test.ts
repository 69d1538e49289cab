import { describe, expect, it } from 'vitest';
import { loadGpu, loadLlm } from '../model/catalog.js';
import type { CalibratedRange, GpuProfile } from '../model/gpu.js';
import { formatRangeFlag, outOfRangeFlags, type RangePool } from './range-flags.js';

// A hand-made range: one measured shape (Llama-2-7B's per-layer geometry), TP 1 and 2, up to 4096
// tokens of context, 8192 tokens per iteration and 64 sequences; 16-bit only.
const RANGE: CalibratedRange = {
  maxTokens: 8192,
  maxContextTokens: 4096,
  maxBatch: 64,
  tp: [1, 2],
  models: [{ name: 'Llama-2-7b-hf', hidden: 4096, heads: 32, kvHeads: 32, intermediate: 11008 }],
  dtypes: ['float16', 'bfloat16'],
};

const h100 = loadGpu('h100-sxm');
const gpu: GpuProfile = { ...h100, id: 'made-up', calibrated: true, perf: { ...h100.perf, calibratedRange: RANGE } };
const inside: RangePool = { pool: 'colocated', gpu, tp: 2, engine: { maxNumSeqs: 256, maxNumBatchedTokens: 8192, quantization: 'none', kvCacheDtype: 'auto', dtype: 'auto' } };
const seenInside = { maxContextTokens: 4096, peakConcurrent: 64 };

describe('out-of-range flags against a profile with a known calibrated range', () => {
  it('flags nothing inside the range (the edges included; batch bounded by the peak concurrency)', () => {
    // maxNumSeqs 256 > 64, but never more than 64 requests were in flight: the batch stayed in range.
    expect(outOfRangeFlags(loadLlm('llama-2-7b'), [inside], seenInside)).toEqual([]);
  });

  it('flags each dimension just past its edge, with the value and the range', () => {
    const pool: RangePool = { ...inside, tp: 4, engine: { maxNumSeqs: 65, maxNumBatchedTokens: 8193, quantization: 'fp8', kvCacheDtype: 'fp8', dtype: 'auto' } };
    const flags = outOfRangeFlags(loadLlm('llama-2-7b'), [pool], { maxContextTokens: 4097, peakConcurrent: 100 });
    const by = Object.fromEntries(flags.map((f) => [f.what.split(' (')[0], f]));
    expect(Object.keys(by).sort()).toEqual(['KV cache dtype', 'context tokens', 'decode batch', 'tokens per iteration', 'tp', 'weight quantization']);
    expect(by['context tokens']).toMatchObject({ value: 4097, calibratedRange: '<= 4096', pool: 'colocated', gpu: 'made-up' });
    expect(by['tokens per iteration']).toMatchObject({ value: 8193, calibratedRange: '<= 8192' });
    expect(by['decode batch']).toMatchObject({ value: 65, calibratedRange: '<= 64' });
    expect(by.tp).toMatchObject({ value: 4, calibratedRange: '1, 2' });
    expect(by['weight quantization']!.value).toBe('fp8');
    expect(formatRangeFlag(by.tp!)).toBe("colocated (made-up): tp 4 is outside the profile's calibrated range (1, 2); the prediction extrapolates");
  });

  it('flags a model whose geometry was not measured, and the dimensions outside the measured span', () => {
    // Llama-3.1-8B: same hidden size and heads as Llama-2-7B, but 8 KV heads (GQA) and a 14336 MLP.
    const flags = outOfRangeFlags(loadLlm('llama-3.1-8b'), [inside], seenInside);
    expect(flags.map((f) => f.what)).toEqual(['model', 'KV heads', 'intermediate size']);
    expect(flags[0]!.calibratedRange).toBe('Llama-2-7b-hf');
    expect(flags[1]).toMatchObject({ value: 8, calibratedRange: '32' });
    // A model whose geometry equals a measured one is inside, whatever its name.
    const twin = { ...loadLlm('llama-3.1-8b'), hiddenSize: 4096, numHeads: 32, numKvHeads: 32, intermediateSize: 11008 };
    expect(outOfRangeFlags(twin, [inside], seenInside)).toEqual([]);
  });

  it('checks layers only where the tables time whole iterations', () => {
    const whole: CalibratedRange = { ...RANGE, models: [{ ...RANGE.models![0]!, layers: 32 }, { name: 'deep', hidden: 4096, heads: 32, kvHeads: 32, intermediate: 11008, layers: 40 }] };
    const pool = { ...inside, gpu: { ...gpu, perf: { ...gpu.perf, calibratedRange: whole } } };
    expect(outOfRangeFlags({ ...loadLlm('llama-2-7b'), numLayers: 36 }, [pool], seenInside).map((f) => f.what)).toEqual(['model']);
    expect(outOfRangeFlags({ ...loadLlm('llama-2-7b'), numLayers: 48 }, [pool], seenInside).map((f) => [f.what, f.value])).toEqual([['model', expect.stringContaining('layers 48')], ['layers', 48]]);
  });

  it('flags an uncalibrated profile once per pool and nothing else (it has no range)', () => {
    const l4 = loadGpu('l4');
    const flags = outOfRangeFlags(loadLlm('llama-3.1-8b'), [{ ...inside, gpu: l4, pool: 'prefill' }, { ...inside, pool: 'decode', tp: 8 }], seenInside);
    expect(flags.filter((f) => f.pool === 'prefill')).toEqual([expect.objectContaining({ what: 'gpu profile', value: 'l4' })]);
    expect(flags.filter((f) => f.pool === 'decode').map((f) => f.what)).toContain('tp');
  });
});
