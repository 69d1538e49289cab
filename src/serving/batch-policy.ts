/**
 * Decode batch policies (DESIGN.md setup B): which running sequences a decode iteration holds.
 * The engine instance asks its policy, when it has one, to order its running sequences and to cap
 * the iteration's sequence count; without a policy it is plain vLLM continuous batching.
 *
 * - length-bins: sequences are grouped by context length in bins of `binTokens`; when a cap binds,
 *   the batch is filled from the oldest sequence's bin first, then the nearest bins. With paged
 *   attention there is no padding to save, so bins change results only when a cap binds (a finding,
 *   not a bug: the reference system batched padded tensors).
 * - adaptive: admission control: waiting sequences join only while the predicted decode step of the
 *   batch stays under `tpotTargetMs`; running sequences are never left out (skipping a running
 *   sequence for an iteration would add a whole step to its TPOT), so at a feasible target it is
 *   never worse than continuous batching on TPOT. A target below one sequence's step is infeasible:
 *   the composition root warns (messages.adaptiveTargetInfeasible).
 * - same-iteration EOS eviction: a sequence sampling its last token frees its slot for a waiting
 *   sequence in that same iteration, instead of at the iteration's end.
 *
 * Any policy disables the instance's decode fast-forward (its batch may change between iterations
 * of identical shape), so results stay exactly those of step-by-step simulation.
 */
import type { PerfModel } from '../perf/perf-model.js';
import type { RequestState } from './request-state.js';

export interface DecodeBatchPolicy {
  readonly name: string;
  /** Reorders `running` in place (stable) so the first `cap` are the ones to schedule. */
  arrange(running: RequestState[]): void;
  /**
   * Most sequences the next iteration may hold (>= 1, and >= `runningCount` up to maxNumSeqs);
   * `candidates` = arranged running, then waiting.
   */
  seqCap(candidates: readonly RequestState[], perf: PerfModel, maxNumSeqs: number, runningCount?: number): number;
  /** Finishing sequences free their slot for admission within the same iteration. */
  readonly sameIterationEviction: boolean;
}

export interface DecodePolicyOptions {
  lengthBinTokens?: number;
  adaptiveTpotMs?: number;
  sameIterationEviction: boolean;
}

export function makeDecodePolicy(o: DecodePolicyOptions): DecodeBatchPolicy | undefined {
  if (o.lengthBinTokens === undefined && o.adaptiveTpotMs === undefined && !o.sameIterationEviction) return undefined;
  const bin = o.lengthBinTokens;
  const tpot = o.adaptiveTpotMs;
  const names = [bin !== undefined ? `length-bins(${bin})` : 'continuous', tpot !== undefined ? `adaptive(${tpot}ms)` : '', o.sameIterationEviction ? 'eos-same-iteration' : ''];
  return {
    name: names.filter((s) => s !== '').join('+'),
    sameIterationEviction: o.sameIterationEviction,
    arrange(running) {
      if (bin === undefined || running.length < 2) return;
      const head = Math.floor(running[0]!.numTokens / bin);
      // Stable: distance from the oldest sequence's bin, then age.
      const keyed = running.map((r, i) => ({ r, i, d: Math.abs(Math.floor(r.numTokens / bin) - head) }));
      keyed.sort((a, b) => a.d - b.d || a.i - b.i);
      for (let i = 0; i < keyed.length; i++) running[i] = keyed[i]!.r;
    },
    seqCap(candidates, perf, maxNumSeqs, runningCount = 0) {
      if (tpot === undefined) return maxNumSeqs;
      let ctx = 0;
      let best = 1;
      const n = Math.min(candidates.length, maxNumSeqs);
      for (let b = 1; b <= n; b++) {
        ctx += candidates[b - 1]!.numComputed;
        const c = perf.decodeCoefficients(b);
        if (c.fixedMs + c.perContextTokenMs * ctx <= tpot) best = b;
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
