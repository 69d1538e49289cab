import { describe, expect, it } from 'vitest';
import { UserError } from '../../errors.js';
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
        const r = runLatency({ model, gpu, batchSize: '4', inputLen: '128', outputLen: '16' });
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

describe('pdsim latency CPU overhead', () => {
  it('defaults to the vLLM V1 figure and can use the fitted profile value', () => {
    const base = { model: 'llama-3.1-8b', gpu: 'h100-sxm', batchSize: '8', inputLen: '32', outputLen: '128' };
    const v1 = runLatency(base);
    const prof = runLatency({ ...base, cpuOverhead: 'profile' });
    expect(v1.cpu_overhead_ms).toEqual({ base: 0.3, per_seq: 0 });
    expect(prof.avg_latency_s).toBeGreaterThan(v1.avg_latency_s);
    expect(() => runLatency({ ...base, cpuOverhead: 'v0' })).toThrow(/--cpu-overhead must be/);
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
