/**
 * Fits the decode batch-shape term (`perf.decodeBatchMs`, src/perf/decode-batch.ts) after the
 * whole-iteration fit: entry b - 1 is the mean of (measured - priced) ms over the profile's decode
 * rows at batch b, priced by the base fit alone. Fitted after it, not with it, so the base
 * parameters stay exactly what they were without the term (the table takes only what they leave)
 * and the two cannot trade off (a per-batch offset is degenerate with cpuOverhead.perSeqMs).
 * Batch sizes the rows skip are interpolated between their neighbours; below the smallest
 * profiled one, its entry. The table ends at the largest profiled batch (beyond it: no term).
 */
import type { GpuPerfParams } from '../model/gpu.js';
import type { EngineIterationSample } from './samples.js';

/** The base model's price of a sample (no batch term), as fit-iterations.ts prices it. */
export type IterationPricer = (perf: GpuPerfParams, s: EngineIterationSample) => number;

/** perf without its decode batch-shape term. */
export function withoutDecodeBatch(perf: GpuPerfParams): GpuPerfParams {
  const { decodeBatchMs: _drop, ...rest } = perf;
  return rest;
}

/** The table from decode rows at two or more batch sizes; undefined with fewer (nothing to shape). */
export function fitDecodeBatchMs(samples: readonly EngineIterationSample[], perf: GpuPerfParams, priceMs: IterationPricer): number[] | undefined {
  const base = withoutDecodeBatch(perf);
  const byBatch = new Map<number, number[]>();
  for (const s of samples) {
    if (s.phase !== 'decode') continue;
    (byBatch.get(s.batch) ?? byBatch.set(s.batch, []).get(s.batch)!).push(s.ms - priceMs(base, s));
  }
  if (byBatch.size < 2) return undefined;
  const pts = [...byBatch].map(([b, r]): [number, number] => [b, r.reduce((a, x) => a + x, 0) / r.length]).sort((x, y) => x[0] - y[0]);
  const maxB = pts[pts.length - 1]![0];
  return Array.from({ length: maxB }, (_, i) => {
    const b = i + 1;
    const j = pts.findIndex(([pb]) => pb >= b);
    if (j === 0 || pts[j]![0] === b) return pts[j]![1];
    const [b0, y0] = pts[j - 1]!;
    const [b1, y1] = pts[j]!;
    return y0 + ((y1 - y0) * (b - b0)) / (b1 - b0);
  });
}
