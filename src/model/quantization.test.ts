import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.js';
import { RooflinePerfModel } from '../perf/perf-model.js';
import { deriveSizes } from './architecture.js';
import { loadGpu, loadLlm } from './catalog.js';
import { resolvePrecision, type PrecisionInput } from './quantization.js';
import { parseVllmVersion } from './vllm-version.js';

const fields = { quantization: '/engine/quantization', kvCacheDtype: '/engine/kvCacheDtype', dtype: '/engine/dtype' };
const v = (s: string) => parseVllmVersion(s);
const h100 = loadGpu('h100-sxm');
const a100 = loadGpu('a100-sxm-80gb');
const t4 = loadGpu('t4');
const llama = loadLlm('llama-3.1-8b');

describe('weight and KV bytes under each quantization (Llama-3.1-8B, by hand)', () => {
  // Linear weights per layer: q 4096x4096 + k,v 2 x 4096x1024 + o 4096x4096 + gate,up,down 3 x 4096x14336
  //   = 16,777,216 + 8,388,608 + 16,777,216 + 176,160,768 = 218,103,808; x 32 layers = 6,979,321,856.
  // Everything else (embeddings 2 x 128256 x 4096, norms 65 x 4096) = 1,050,939,392 parameters, kept at 2 bytes.
  const linear = 6_979_321_856;
  const rest = 1_050_939_392;
  const sizes = (i: PrecisionInput, gpu = h100) => {
    const p = resolvePrecision(i, gpu, v('0.11.0'), fields);
    return deriveSizes(llama, { linearWeightBytes: p.linearWeightBytes, kvBytes: p.kvBytes });
  };
  it('bf16: 2 bytes per parameter; 131,072 KV bytes per token (2 x 32 layers x 1024 x 2)', () => {
    expect(deriveSizes(llama).weightBytes).toBe(2 * (linear + rest));
    expect(sizes({}).weightBytes).toBe(2 * (linear + rest));
    expect(sizes({}).kvBytesPerToken).toBe(131_072);
  });
  it('fp8 and int8: 1 byte per linear weight', () => {
    expect(sizes({ quantization: 'fp8' }).weightBytes).toBe(linear + 2 * rest);
    expect(sizes({ quantization: 'int8' }).weightBytes).toBe(linear + 2 * rest);
  });
  it('AWQ/GPTQ 4-bit with group-128 fp16 scales and 4-bit zeros: (4 + 20/128) / 8 bytes per linear weight', () => {
    const expected = linear * 0.51953125 + 2 * rest;
    for (const q of ['awq', 'gptq', 'awq_marlin', 'gptq_marlin'] as const) expect(sizes({ quantization: q }).weightBytes).toBeCloseTo(expected, 0);
    expect(expected).toBeCloseTo(5_727_854_592, 0);
  });
  it('an fp8 KV cache halves the KV bytes per token: 65,536', () => {
    expect(sizes({ kvCacheDtype: 'fp8' }).kvBytesPerToken).toBe(65_536);
    expect(sizes({ kvCacheDtype: 'fp8_e5m2', quantization: 'awq' }).kvBytesPerToken).toBe(65_536);
  });
});

describe('GEMM speed by GPU generation (sheet 7)', () => {
  const prefill = [{ newTokens: 4096, contextTokens: 0 }];
  const decode = Array.from({ length: 8 }, () => ({ newTokens: 1, contextTokens: 1024 }));
  const model = (gpu: typeof h100, q: PrecisionInput['quantization']) => new RooflinePerfModel(llama, gpu, { tp: 1, precision: resolvePrecision({ quantization: q }, gpu, v('0.11.0'), fields) });
  const group = (m: RooflinePerfModel, b: typeof prefill, name: string) => m.iteration(b).groups.find((g) => g.name === name)!.ms;
  it('fp8 on Hopper uses fp8 tensor cores: a compute-bound MLP runs about 2x faster', () => {
    const r = group(model(h100, 'none'), prefill, 'mlp') / group(model(h100, 'fp8'), prefill, 'mlp');
    expect(r).toBeGreaterThan(1.7);
    expect(r).toBeLessThan(2.05);
  });
  it('fp8 on Ampere is weight-only (Marlin W8A16): prefill MLP compute unchanged, decode MLP reads half the weight bytes', () => {
    expect(group(model(a100, 'fp8'), prefill, 'mlp')).toBeCloseTo(group(model(a100, 'none'), prefill, 'mlp'), 6);
    const r = group(model(a100, 'none'), decode, 'mlp') / group(model(a100, 'fp8'), decode, 'mlp');
    expect(r).toBeGreaterThan(1.8);
    expect(r).toBeLessThan(2.01);
    expect(resolvePrecision({ quantization: 'fp8' }, a100, v('0.11.0'), fields).kernel).toMatch(/Marlin/);
  });
  it('4-bit AWQ decode is faster than fp8 weight-only but at most the weight-byte ratio (3.85x)', () => {
    // Plain AWQ/GPTQ kernels keep the bf16-fitted small-row compute curve (16-row tile): the gain
    // stays near 2.2x at 8 rows; Marlin's is below (close to the byte ratio).
    const r = group(model(a100, 'none'), decode, 'mlp') / group(model(a100, 'awq'), decode, 'mlp');
    const r8 = group(model(a100, 'none'), decode, 'mlp') / group(model(a100, 'fp8'), decode, 'mlp');
    expect(r).toBeGreaterThan(r8);
    expect(r).toBeLessThanOrEqual(2 / 0.51953125);
  });
  it('4-bit Marlin keeps close to the byte ratio up to batch 16-32, then falls as the GEMM turns compute-bound (Marlin README)', () => {
    // The byte ratio bounds it: 2 bytes / 0.5195 bytes per weight = 3.85x (activations and launch make it a little less).
    const at = (b: number) => {
      const batch = Array.from({ length: b }, () => ({ newTokens: 1, contextTokens: 1024 }));
      return group(model(a100, 'none'), batch, 'mlp') / group(model(a100, 'awq_marlin'), batch, 'mlp');
    };
    const [r1, r16, r32, r64, r128] = [1, 16, 32, 64, 128].map(at) as [number, number, number, number, number];
    for (const r of [r1, r16, r32]) {
      expect(r).toBeGreaterThan(3.2); // 8B matrices are small: launch latency takes a few percent
      expect(r).toBeLessThanOrEqual(2 / 0.51953125);
    }
    expect(r64).toBeLessThan(r32);
    expect(r128).toBeLessThan(r64);
    // Plain AWQ (no Marlin) keeps the fp16 small-row compute curve: slower than Marlin at the same batch.
    expect(group(model(a100, 'awq'), Array.from({ length: 16 }, () => ({ newTokens: 1, contextTokens: 1024 })), 'mlp')).toBeGreaterThan(group(model(a100, 'awq_marlin'), Array.from({ length: 16 }, () => ({ newTokens: 1, contextTokens: 1024 })), 'mlp'));
  });
});

describe('what vLLM refuses is a UserError naming the field', () => {
  it('fp8 and Marlin on Turing before Marlin reached it (PR #29901); bf16 on Turing; fp8 KV before 0.4', () => {
    expect(() => resolvePrecision({ quantization: 'fp8' }, t4, v('0.10.0'), fields)).toThrow(UserError);
    expect(() => resolvePrecision({ quantization: 'fp8' }, t4, v('0.10.0'), fields)).toThrow(/\/engine\/quantization: fp8 needs compute capability/);
    expect(resolvePrecision({ quantization: 'fp8' }, t4, v('0.14.0'), fields).kernel).toMatch(/Marlin/);
    expect(() => resolvePrecision({ quantization: 'awq_marlin' }, t4, v('0.10.0'), fields)).toThrow(/\/engine\/quantization: awq_marlin needs/);
    expect(resolvePrecision({ quantization: 'awq' }, t4, v('0.10.0'), fields).linearWeightBytes).toBeCloseTo(0.51953125, 9);
    expect(() => resolvePrecision({ dtype: 'bfloat16' }, t4, v('0.11.0'), fields)).toThrow(/\/engine\/dtype: bfloat16 needs compute capability >= 8.0/);
    expect(() => resolvePrecision({ kvCacheDtype: 'fp8' }, h100, v('0.3.0'), fields)).toThrow(/\/engine\/kvCacheDtype: vLLM 0.3.0 has no fp8 KV cache/);
  });
});

describe('fp8 KV capacity against vLLM\'s docs (sheet 1.8: L4, Qwen3-4B, 11.47 GiB of KV)', () => {
  it('holds 83,488 tokens in bf16 and twice that in fp8, within the rounding of "11.47 GiB"', () => {
    const q = loadLlm('qwen3-4b');
    const l4 = loadGpu('l4');
    const tokens = (kv: 'auto' | 'fp8') => {
      const p = resolvePrecision({ kvCacheDtype: kv }, l4, v('0.25.1'), fields);
      // 2 x 36 layers x 8 KV heads x 128 x (2 or 1) bytes = 147,456 or 73,728 bytes per token.
      const perToken = deriveSizes(q, { linearWeightBytes: p.linearWeightBytes, kvBytes: p.kvBytes }).kvBytesPerToken;
      expect(perToken).toBe(kv === 'fp8' ? 73_728 : 147_456);
      return Math.floor((11.47 * 2 ** 30) / (16 * perToken)) * 16;
    };
    expect(Math.abs(tokens('auto') - 83_488) / 83_488).toBeLessThan(0.001);
    expect(Math.abs(tokens('fp8') - 166_992) / 166_992).toBeLessThan(0.001);
  });
});
