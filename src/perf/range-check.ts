/**
 * Warnings for predictions outside what a profile was fitted on: an uncalibrated profile, or a
 * batch beyond the calibrated token, context, batch or TP range (the curves then extrapolate).
 */
import type { GpuProfile } from '../model/gpu.js';
import type { BatchEntry } from './perf-model.js';

export function rangeWarnings(gpu: GpuProfile, tp: number, batch: readonly BatchEntry[]): string[] {
  const w: string[] = [];
  if (!gpu.calibrated) {
    w.push(`${gpu.id} is not calibrated (datasheet figures + transferred efficiencies): expect ${gpu.expectedError ?? 'a wide error band'}`);
  }
  const r = gpu.perf.calibratedRange;
  if (!r) return w;
  let tokens = 0;
  let maxCtx = 0;
  let decode = 0;
  for (const e of batch) {
    tokens += e.newTokens;
    maxCtx = Math.max(maxCtx, e.contextTokens + e.newTokens);
    if (e.newTokens === 1) decode++;
  }
  if (tokens > r.maxTokens) w.push(`${tokens} tokens in one iteration is beyond the calibrated range (<= ${r.maxTokens}); the GEMM curve is extrapolated`);
  if (maxCtx > r.maxContextTokens) w.push(`context ${maxCtx} is beyond the calibrated range (<= ${r.maxContextTokens}); attention is extrapolated`);
  if (decode > r.maxBatch) w.push(`decode batch ${decode} is beyond the calibrated range (<= ${r.maxBatch})`);
  if (!r.tp.includes(tp)) w.push(`tp ${tp} was not measured (calibrated: ${r.tp.join(', ')}); all-reduce uses the nearest fit`);
  return w;
}
