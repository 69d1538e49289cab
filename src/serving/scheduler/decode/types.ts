/**
 * Decode batch policies (DESIGN.md setup B), the decode variants behind the Scheduler seam: which
 * running sequences a decode iteration holds. A scheduler given a `DecodeBatchPolicy` asks it to
 * order its running sequences and to cap the iteration's sequence count; without one it is plain
 * vLLM continuous batching. A policy is composed of variants, one file each beside this one
 * (length-bins.ts, adaptive.ts, eos-same-iteration.ts), registered in index.ts.
 *
 * Any policy disables the instance's decode fast-forward (its batch may change between iterations
 * of identical shape), so results stay exactly those of step-by-step simulation.
 */
import type { PerfModel } from '../../../perf/perf-model.js';
import type { RequestState } from '../../request-state.js';

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

/** One variant: the part of a policy it decides (at most one variant arranges). */
export interface DecodeVariant {
  /** How the variant shows in summary.json `disaggregation.decode_batching`. */
  readonly name: string;
  arrange?(running: RequestState[]): void;
  seqCap?(candidates: readonly RequestState[], perf: PerfModel, maxNumSeqs: number, runningCount: number): number;
  readonly sameIterationEviction?: boolean;
}

/** The scenario's `deployment.policies`, as the composition root passes them. */
export interface DecodePolicyOptions {
  lengthBinTokens?: number;
  adaptiveTpotMs?: number;
  sameIterationEviction: boolean;
}
