import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runPerf } from '../cli/commands/perf.js';

// The L4's sustained GEMM efficiency comes from one public measurement (models/gpu/l4.json sources):
// square BF16 matmuls of 4096 / 8192 / 10240 ran at 54.91 / 59.40 / 56.90 TFLOPS on a 121-TFLOPS card.
const SUSTAINED_TFLOPS = [54.91, 59.4, 56.9];

describe('L4 GEMM efficiency (measured sustained BF16 matmul)', () => {
  const l4 = JSON.parse(readFileSync(new URL('../../models/gpu/l4.json', import.meta.url), 'utf8')) as { fp16Tflops: number; perf: { gemm: { compute: { max: number } } } };

  it('the profile\'s GEMM ceiling is the measurements\' mean over the datasheet peak', () => {
    const mean = SUSTAINED_TFLOPS.reduce((a, b) => a + b, 0) / SUSTAINED_TFLOPS.length;
    expect(l4.perf.gemm.compute.max).toBeCloseTo(mean / l4.fp16Tflops, 2);
  });

  it('a 2048-token prefill MLP is compute-bound and runs just under that ceiling (halfAt curve); a 256-token one is slower per FLOP', () => {
    const mlp = (tokens: number) => runPerf({ model: 'qwen2.5-0.5b-instruct', gpu: 'l4', prefill: String(tokens) }).groups.find((g) => g.name === 'mlp')!;
    const big = mlp(2048);
    expect(big.bound).toBe('compute');
    const achieved = big.tflops / (big.ms / 1000);
    expect(achieved).toBeLessThanOrEqual(l4.perf.gemm.compute.max * l4.fp16Tflops);
    expect(achieved).toBeGreaterThan(0.9 * l4.perf.gemm.compute.max * l4.fp16Tflops);
    const small = mlp(256);
    expect(small.tflops / (small.ms / 1000)).toBeLessThan(achieved);
  });
});
