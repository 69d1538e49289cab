/**
 * Adaptive batching, an admission control: waiting sequences join only while the predicted decode
 * step of the batch (the perf model's affine decode coefficients) stays under `tpotTargetMs`;
 * running sequences are never left out (skipping a running sequence for an iteration would add a
 * whole step to its TPOT), so at a feasible target it is never worse than continuous batching on
 * TPOT. A target below one sequence's step is infeasible: the composition root warns
 * (messages.adaptiveTargetInfeasible).
 */
import type { PerfModel } from '../../../perf/perf-model.js';
import type { DecodeVariant } from './types.js';

export function adaptive(tpotTargetMs: number): DecodeVariant {
  return {
    name: `adaptive(${tpotTargetMs}ms)`,
    seqCap(candidates, perf, maxNumSeqs, runningCount) {
      let ctx = 0;
      let best = 1;
      const n = Math.min(candidates.length, maxNumSeqs);
      for (let b = 1; b <= n; b++) {
        ctx += candidates[b - 1]!.numComputed;
        const c = perf.decodeCoefficients(b);
        if (c.fixedMs + c.perContextTokenMs * ctx <= tpotTargetMs) best = b;
        else break;
      }
      return Math.max(best, Math.min(runningCount, maxNumSeqs));
    },
  };
}

/** A TPOT target no batch can meet: even one sequence's decode step (at no context) takes longer. */
export function adaptiveTargetInfeasible(tpotTargetMs: number, perf: PerfModel): number | undefined {
  const oneMs = perf.decodeCoefficients(1).fixedMs;
  return oneMs > tpotTargetMs ? oneMs : undefined;
}
