import { describe, expect, it } from 'vitest';
import type { GpuPerfParams } from '../model/gpu.js';
import { decodeAttentionTime, decodeOccupancy, elementwiseMs, gemmTime, hwRates } from './op-times.js';

// A100-like rates with its 108 SMs.
const hw = hwRates(312, 2039, 108);

describe('tile, wave and occupancy terms', () => {
  const gemm: GpuPerfParams['gemm'] = {
    compute: { max: 0.75, halfAt: 90, exponent: 1 },
    memoryEfficiency: 0.78,
    launchUs: 5,
    shapeHalfAtElems: 2e5,
    rowTile: 64,
    wave: { tileRows: 128, tileCols: 128, exponent: 0.6 },
  };

  it('GEMM time never falls as rows grow, for small and large weights', () => {
    for (const [n, k] of [[1024, 8192], [4096, 4096], [57344, 8192], [2752, 4096], [1536, 4096]] as const) {
      let prev = 0;
      for (let m = 1; m <= 8192; m += m < 64 ? 1 : 8) {
        const t = gemmTime(gemm, hw, m, n, k, 2).ms;
        expect(t, `${m}x${n}x${k}`).toBeGreaterThanOrEqual(prev * (1 - 1e-12));
        prev = t;
      }
    }
  });

  it('GEMM rows are padded to the row tile in the compute term', () => {
    const plain = { ...gemm, wave: undefined };
    // 65 and 128 rows: same padded work, and compute-bound at this size.
    expect(gemmTime(plain, hw, 4096 + 1, 57344, 8192, 2).ms).toBeCloseTo(gemmTime(plain, hw, 4096 + 64, 57344, 8192, 2).ms, 9);
  });

  it('elementwise kernels have a per-row floor, then scale with bytes', () => {
    const p: GpuPerfParams['elementwise'] = { memoryEfficiency: 0.5, launchUs: 2, byOp: { mlp_act: 0.5 }, rowGBps: { mlp_act: 10 } };
    const rowBytes = 60_000;
    // One to a few rows: launch + rowBytes / 10 GB/s = 2 + 6 us.
    for (const tokens of [1, 4, 16]) expect(elementwiseMs(p, hw, tokens * rowBytes, tokens, 'mlp_act')).toBeCloseTo(0.008, 9);
    // Many rows: bandwidth-bound.
    const many = 100_000;
    expect(elementwiseMs(p, hw, many * rowBytes, many, 'mlp_act')).toBeCloseTo((many * rowBytes) / (2039e6 * 0.5) + 0.002, 9);
    // Ops without a floor are unchanged.
    expect(elementwiseMs(p, hw, 1000, 1, 'add')).toBeCloseTo(1000 / (2039e6 * 0.5) + 0.002, 12);
  });

  it('decode attention occupancy depends on batch and geometry only, and time never falls with batch', () => {
    const p: GpuPerfParams['attentionDecode'] = { memoryEfficiency: 0.7, launchUs: 10, occupancy: { mhaItemsPerSm: 0.5, gqaItemsPerSm: 0.05 } };
    const mha = { qHeads: 8, kvHeads: 8, headDim: 128, bytesPerElement: 2 };
    const gqa = { qHeads: 8, kvHeads: 1, headDim: 128, bytesPerElement: 2 };
    // 1 x 8 items of 54 that saturate: 8/54 of the bandwidth.
    expect(decodeOccupancy(p, hw, 1, mha)).toBeCloseTo(8 / 54, 12);
    expect(decodeOccupancy(p, hw, 64, mha)).toBe(1);
    expect(decodeOccupancy(p, hw, 1, gqa)).toBeCloseTo(1 / 5.4, 12);
    // Affine in total KV for a fixed batch: the same time for any split of the same total.
    const t = (kv: number) => decodeAttentionTime(p, hw, 4, kv, mha).ms;
    expect(t(3000) - t(1000)).toBeCloseTo(2 * (t(2000) - t(1000)), 12);
    for (const g of [mha, gqa]) {
      let prev = 0;
      for (let b = 1; b <= 512; b++) {
        const x = decodeAttentionTime(p, hw, b, b * 4096, g).ms;
        expect(x).toBeGreaterThanOrEqual(prev * (1 - 1e-12));
        prev = x;
      }
    }
  });

  it('without numSms the terms are off (uncalibrated profiles keep their behaviour)', () => {
    const noSms = hwRates(312, 2039);
    const p: GpuPerfParams['attentionDecode'] = { memoryEfficiency: 0.7, launchUs: 10, occupancy: { mhaItemsPerSm: 0.5, gqaItemsPerSm: 0.05 } };
    expect(decodeOccupancy(p, noSms, 1, { qHeads: 8, kvHeads: 8, headDim: 128, bytesPerElement: 2 })).toBe(1);
  });
});

describe('curveAt (memoized efficiency)', () => {
  it('returns efficiency(c, x) bit for bit, for curves met in turn, scrambled integers, growth and non-integers', async () => {
    const { efficiency } = await import('../model/gpu.js');
    const { curveAt } = await import('./op-times.js');
    const curves = [
      { max: 0.8, halfAt: 300, exponent: 1.3 },
      { max: 0.6, halfAt: 7000, exponent: 0.7 },
      { max: 0.9, halfAt: 0, exponent: 1 },
      { max: 0.75, halfAt: 45, exponent: 2.1 },
    ];
    for (let i = 0; i < 20000; i++) {
      // Mostly two curves in turn (as a prefill step's), now and then another (a second GPU).
      const c = curves[i % 13 === 0 ? 2 + (i % 2) : i % 2]!;
      // Repeated often (memo hits), now and then large (growth), fractional or past the memo.
      const x = i % 97 === 0 ? i + 0.5 : i % 101 === 0 ? 5e6 + i : i % 89 === 0 ? (i * 7919) % 200003 : (i * 7919) % 3001;
      expect(curveAt(c, x)).toBe(efficiency(c, x));
    }
  });
});
