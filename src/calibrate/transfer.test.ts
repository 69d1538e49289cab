import { describe, expect, it } from 'vitest';
import { loadGpu } from '../model/catalog.js';
import { TRANSFERS } from './datasets.js';
import { scaleMemoryEfficiency } from './transfer.js';

describe('transferred profiles scale memory efficiency by the measured copy fractions', () => {
  const perf = loadGpu('a100-sxm-80gb').perf!;
  it('A100-40GB: 0.976 = (1355/1555) / (1727/1935), applied to every HBM efficiency and to nothing else', () => {
    const t = TRANSFERS.find((x) => x.to === 'a100-sxm-40gb')!;
    expect(t.memory!.factor).toBeCloseTo(0.8714 / 0.8928, 3);
    const s = scaleMemoryEfficiency(perf, t.memory);
    expect(s.gemm.memoryEfficiency).toBeCloseTo(perf.gemm.memoryEfficiency * t.memory!.factor, 12);
    expect(s.attentionDecode.memoryEfficiency).toBeCloseTo(perf.attentionDecode.memoryEfficiency * t.memory!.factor, 12);
    expect(s.elementwise.byOp!.add).toBeCloseTo(perf.elementwise.byOp!.add! * t.memory!.factor, 12);
    expect(s.gemm.compute).toEqual(perf.gemm.compute);
    expect(s.attentionDecode.occupancy).toEqual(perf.attentionDecode.occupancy);
  });
  it('never exceeds the datasheet peak', () => {
    const s = scaleMemoryEfficiency(perf, { factor: 10, source: 'test' });
    expect(s.gemm.memoryEfficiency).toBe(1);
  });
  it('the shipped 40 GB profile is the 80 GB fit scaled (regenerate with `npx pdsim calibrate --write`)', () => {
    const p40 = loadGpu('a100-sxm-40gb').perf!;
    const t = TRANSFERS.find((x) => x.to === 'a100-sxm-40gb')!;
    expect(p40.gemm.memoryEfficiency).toBeCloseTo(scaleMemoryEfficiency(perf, t.memory).gemm.memoryEfficiency, 3);
  });
});
