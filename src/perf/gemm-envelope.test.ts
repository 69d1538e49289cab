import { describe, expect, it } from 'vitest';
import { listIds, loadGpu } from '../model/catalog.js';
import type { GpuPerfParams } from '../model/gpu.js';
import { GemmEnvelope } from './gemm-envelope.js';
import { gemmComputeMs, gemmComputeRaw, gemmTime, hwRates, hwRatesOf } from './op-times.js';

// Row counts in a scrambled order (a multiplicative walk mod a prime), so the envelope is filled
// out of order, with every tile-row boundary and its neighbours of 1..maxRows met.
function scrambled(maxRows: number): number[] {
  const p = 10_007; // prime above maxRows
  const out: number[] = [];
  for (let i = 1, x = 1; i < p; i++) {
    x = (x * 5) % p;
    if (x <= maxRows) out.push(x);
  }
  return out;
}

// Weight shapes of linear layers (Llama-3.1-8B qkv, mlp up and down; a 70B one at TP 4) and a skinny one.
const SHAPES: [number, number][] = [[6144, 4096], [28672, 4096], [4096, 14336], [7168, 2048], [128, 4096]];

describe('GemmEnvelope equals gemmComputeMs / gemmTime bit for bit', () => {
  it('on every GPU profile, every row count to 8,500, any order', () => {
    const ms = scrambled(8_500);
    for (const id of listIds('gpu')) {
      const gpu = loadGpu(id);
      const hw = hwRatesOf(gpu);
      for (const [n, k] of SHAPES) {
        const env = new GemmEnvelope(gpu.perf.gemm, hw, n, k);
        for (const m of ms) {
          const c = env.computeMs(m);
          if (c !== gemmComputeMs(gpu.perf.gemm, hw, m, n, k)) expect.fail(`${id} ${m}x${n}x${k}: ${c} vs ${gemmComputeMs(gpu.perf.gemm, hw, m, n, k)}`);
        }
        for (const m of [1, 64, 129, 4096, 8191]) expect(env.time(m, 2, 1)).toEqual(gemmTime(gpu.perf.gemm, hw, m, n, k, 2, 1));
      }
    }
  });

  it('keeps the running maximum where the raw time dips after a tile row (a steep wave exponent)', () => {
    const hw = hwRates(312, 2039, 108);
    const gemm: GpuPerfParams['gemm'] = { compute: { max: 0.75, halfAt: 90, exponent: 1 }, memoryEfficiency: 0.78, launchUs: 5, wave: { tileRows: 128, tileCols: 128, exponent: 3 } };
    const env = new GemmEnvelope(gemm, hw, 4096, 4096);
    let lifted = 0;
    for (const m of scrambled(4000)) {
      const c = env.computeMs(m);
      expect(c).toBe(gemmComputeMs(gemm, hw, m, 4096, 4096));
      expect(c).toBeGreaterThanOrEqual(gemmComputeRaw(gemm, hw, m, 4096, 4096));
      if (c > gemmComputeRaw(gemm, hw, m, 4096, 4096)) lifted++;
    }
    // 32 x 128 output tiles over 108 SMs fill a wave badly at some rows: the envelope lifts those.
    expect(lifted).toBeGreaterThan(0);
    // Without a wave term the time is the raw one.
    const flat = new GemmEnvelope({ ...gemm, wave: undefined }, hw, 4096, 4096);
    for (const m of [1, 500, 3000]) expect(flat.computeMs(m)).toBe(gemmComputeRaw({ ...gemm, wave: undefined }, hw, m, 4096, 4096));
  });
});
