import { describe, expect, it } from 'vitest';
import { UserError } from '../../errors.js';
import { deriveSizes } from '../../model/architecture.js';
import { Catalog } from '../../model/catalog.js';
import { runLatency } from './latency.js';
import { formatPerf, runPerf } from './perf.js';

const catalog = new Catalog();
const models = catalog.listIds('llm');
const gpus = catalog.listIds('gpu');

describe('pdsim perf', () => {
  it('predicts a prefill and a decode step for every model and GPU in models/', () => {
    expect(models.length).toBeGreaterThan(0);
    expect(gpus.length).toBeGreaterThan(0);
    for (const model of models) {
      for (const gpu of gpus) {
        const p = runPerf({ model, gpu, prefill: '512' });
        const d = runPerf({ model, gpu, decodeBatch: '8', context: '1024' });
        for (const r of [p, d]) {
          expect(r.totalMs).toBeGreaterThan(0);
          expect(Number.isFinite(r.totalMs)).toBe(true);
          expect(r.groups.reduce((a, g) => a + g.ms, 0)).toBeCloseTo(r.totalMs, 9);
        }
        // Decoding 8 tokens costs less than prefilling 512 on any GPU, for real model sizes: the
        // tiny llama.cpp test models (adapters/llamacpp) are per-sequence CPU-overhead-bound on big
        // GPUs, where 8 sequences cost more than 1 whatever their tokens.
        if (!model.startsWith('llama-test-')) expect(d.totalMs).toBeLessThan(p.totalMs);
      }
    }
  });

  it('prints groups with their bound, and warns outside the calibrated range', () => {
    const r = runPerf({ model: 'llama-3.1-8b', gpu: 'h100-sxm', prefill: '2048' });
    const text = formatPerf(r);
    expect(text).toMatch(/mlp .* compute/);
    expect(text).toMatch(/layers x/);
    const far = runPerf({ model: 'llama-3.1-8b', gpu: 'h100-sxm', decodeBatch: '4096', context: '500000' });
    expect(far.warnings.join('\n')).toMatch(/beyond the calibrated range|not calibrated/);
  });

  it('rejects bad flags as user errors', () => {
    expect(() => runPerf({ model: 'llama-3.1-8b', gpu: 'h100-sxm' })).toThrow(UserError);
    expect(() => runPerf({ model: 'llama-3.1-8b', gpu: 'h100-sxm', prefill: '-3' })).toThrow(/--prefill must be a positive integer/);
    expect(() => runPerf({ model: 'llama-3.1-8b', gpu: 'h100-sxm', tp: '3', prefill: '8' })).toThrow(/does not divide/);
  });
});

describe('pdsim latency', () => {
  it('predicts a static batch for every model and GPU, with vLLM bench latency keys', () => {
    for (const model of models) {
      for (const gpu of gpus) {
        const sizes = deriveSizes(catalog.loadLlm(model));
        const g = catalog.loadGpu(gpu);
        const run = () => runLatency({ model, gpu, batchSize: '4', inputLen: '128', outputLen: '16', maxModelLen: '2048' });
        // Models whose weights leave no KV cache on the card cannot start (vLLM refuses; so does pdsim).
        if (sizes.weightBytes > 0.75 * g.memGiB * 2 ** 30) {
          try {
            run();
          } catch (e) {
            expect(e).toBeInstanceOf(UserError);
          }
          continue;
        }
        const r = run();
        expect(r.avg_latency_s).toBeGreaterThan(0);
        expect(r.prefill_s + r.decode_s).toBeCloseTo(r.avg_latency_s, 12);
        expect(r.prefill_s).toBeGreaterThan(0);
      }
    }
  });

  it('grows with output length and with batch size', () => {
    const base = { model: 'llama-3.1-8b', gpu: 'a100-sxm-80gb' };
    const a = runLatency({ ...base, batchSize: '8', inputLen: '32', outputLen: '128' });
    const b = runLatency({ ...base, batchSize: '8', inputLen: '32', outputLen: '256' });
    const c = runLatency({ ...base, batchSize: '64', inputLen: '32', outputLen: '128' });
    expect(b.avg_latency_s).toBeGreaterThan(a.avg_latency_s * 1.8);
    expect(c.avg_latency_s).toBeGreaterThan(a.avg_latency_s);
    expect(a.steps).toBe(128);
  });
});

describe('pdsim latency: engine version, KV capacity, preemption', () => {
  const base = { model: 'llama-3.1-8b', gpu: 'h100-sxm', batchSize: '8', inputLen: '32', outputLen: '128', maxModelLen: '8192' };

  it('prices each version with its engine: V0 (0.5.4) costs more per step than V1, V1 sync more than V1 async', () => {
    const v0 = runLatency({ ...base, vllmVersion: '0.5.4' });
    const v1 = runLatency({ ...base, vllmVersion: '0.10.0' });
    const v1async = runLatency({ ...base, vllmVersion: '0.14.0' });
    expect([v0.engine, v1.engine, v1async.engine]).toEqual(['v0', 'v1', 'v1']);
    expect([v0.async_scheduling, v1.async_scheduling, v1async.async_scheduling]).toEqual([false, false, true]);
    expect(v0.avg_latency_s).toBeGreaterThan(v1.avg_latency_s);
    expect(v1.avg_latency_s).toBeGreaterThan(v1async.avg_latency_s);
    // V0 offline budget max(max_model_len, 2048); V1 on an 80 GB H100: 16384 tokens, 1024 sequences (sheet 1.2).
    expect(v0.max_num_batched_tokens).toBe(8192);
    expect(v0.max_num_seqs).toBe(256);
    expect([v1.max_num_batched_tokens, v1.max_num_seqs]).toEqual([16384, 1024]);
    // bench latency on a 128-step batch: same steps, the difference is overhead only (128 steps x per-step difference).
    const perStepV0 = 0.8986 + 0.04168 * 8;
    expect(v0.steps).toBe(128);
    expect((v0.avg_latency_s - v1async.avg_latency_s) * 1000).toBeCloseTo(128 * (perStepV0 - 0.25), 3);
  });

  it('rejects malformed versions naming the flag; maps versions newer than modelled with a note', () => {
    expect(() => runLatency({ ...base, vllmVersion: 'latest' })).toThrow(/--vllm-version: "latest" is not a vLLM version/);
    const future = runLatency({ ...base, vllmVersion: '9.0.0' });
    expect(future.notes.join('\n')).toMatch(/newer than the newest modelled/);
  });

  it('a static batch that does not fit in the KV cache is preempted by recompute (64 x 4096 on one A100-40GB)', () => {
    const r = runLatency({ model: 'llama-3.1-8b', gpu: 'a100-sxm-40gb', batchSize: '64', inputLen: '4096', outputLen: '128', maxModelLen: '8192' });
    // Needed at the end: 64 x ceil(4224 / 16) = 16,896 blocks; the cache holds far fewer.
    expect(r.num_gpu_blocks).toBeLessThan(64 * Math.ceil(4224 / 16));
    expect(r.preemptions).toBeGreaterThan(0);
    const fits = runLatency({ model: 'llama-3.1-8b', gpu: 'a100-sxm-40gb', batchSize: '64', inputLen: '4096', outputLen: '128', maxModelLen: '8192', numGpuBlocksOverride: String(64 * 264) });
    expect(fits.preemptions).toBe(0);
    // Recompute costs time: the batch that does not fit is slower than the same batch with room.
    expect(r.avg_latency_s).toBeGreaterThan(fits.avg_latency_s);
  });

  it('an fp8 KV cache doubles the KV capacity; bad precision flags are user errors naming the flag', () => {
    const a = runLatency(base);
    const b = runLatency({ ...base, kvCacheDtype: 'fp8' });
    expect(b.num_gpu_blocks / a.num_gpu_blocks).toBeCloseTo(2, 2);
    expect(() => runLatency({ ...base, gpu: 't4', quantization: 'fp8', vllmVersion: '0.10.0', maxModelLen: '4096' })).toThrow(/--quantization: fp8 needs compute capability/);
    expect(() => runLatency({ ...base, quantization: 'int3' })).toThrow(/--quantization: "int3" is not supported/);
  });
});

describe('physical sense of the calibrated profiles', () => {
  it('more work never takes less time (decode batch, prefill tokens, context)', () => {
    for (const gpu of gpus) {
      let prev = 0;
      for (const b of [1, 2, 4, 8, 16, 32, 64, 128, 256]) {
        const t = runPerf({ model: 'llama-3.1-8b', gpu, decodeBatch: String(b), context: '512' }).totalMs;
        expect(t).toBeGreaterThanOrEqual(prev);
        prev = t;
      }
      prev = 0;
      for (const n of [2, 8, 32, 64, 128, 256, 512, 1024, 4096, 16384]) {
        const t = runPerf({ model: 'llama-3.1-8b', gpu, prefill: String(n) }).totalMs;
        expect(t).toBeGreaterThanOrEqual(prev);
        prev = t;
      }
    }
  });
});

describe('perf and latency agree on one iteration', () => {
  it('a batch of 1 with 2 output tokens is perf\'s prefill step plus perf\'s decode step, for every engine generation', () => {
    for (const vllmVersion of ['0.5.4', '0.6.3', '0.10.0', '0.14.0']) {
      for (const [gpu, tp] of [['h100-sxm', '1'], ['a100-sxm-80gb', '2']] as const) {
        const common = { model: 'llama-3.1-8b', gpu, tp, vllmVersion };
        const lat = runLatency({ ...common, batchSize: '1', inputLen: '512', outputLen: '2', maxModelLen: '4096' });
        const prefill = runPerf({ ...common, prefill: '512' }).totalMs;
        const decode = runPerf({ ...common, decodeBatch: '1', context: '512' }).totalMs;
        expect(lat.steps).toBe(2);
        expect(lat.avg_latency_s * 1000).toBeCloseTo(prefill + decode, 9);
        expect(lat.prefill_s * 1000).toBeCloseTo(prefill, 9);
      }
    }
  });
});
