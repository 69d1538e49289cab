/**
 * Profiles derived from a calibrated one on the same chip with different memory (TRANSFERS in
 * datasets.ts). Compute efficiencies carry over unchanged; memory efficiencies (fractions of the
 * datasheet HBM bandwidth) are scaled by the ratio of the achievable fractions of the two memories,
 * measured by a plain device copy on each, since a copy is the best a kernel can do on that memory.
 */
import type { GpuPerfParams } from '../model/gpu.js';

export interface MemoryScale {
  /** Achievable fraction of the datasheet bandwidth on the target's memory / on the source's. */
  factor: number;
  source: string;
}

/** The source profile's perf parameters with every HBM efficiency scaled (capped at 1). */
export function scaleMemoryEfficiency(perf: GpuPerfParams, scale: MemoryScale | undefined): GpuPerfParams {
  if (!scale) return perf;
  const s = (x: number) => Math.min(1, x * scale.factor);
  const ew = perf.elementwise;
  return {
    ...perf,
    gemm: { ...perf.gemm, memoryEfficiency: s(perf.gemm.memoryEfficiency) },
    attentionPrefill: { ...perf.attentionPrefill, memoryEfficiency: s(perf.attentionPrefill.memoryEfficiency) },
    attentionDecode: { ...perf.attentionDecode, memoryEfficiency: s(perf.attentionDecode.memoryEfficiency) },
    elementwise: { ...ew, memoryEfficiency: s(ew.memoryEfficiency), ...(ew.byOp ? { byOp: Object.fromEntries(Object.entries(ew.byOp).map(([k, v]) => [k, s(v)])) } : {}) },
  };
}
