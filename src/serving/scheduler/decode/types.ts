/**
 * Decode batch policies (DESIGN.md setup B), the decode variants behind the Scheduler seam: which
 * running sequences a decode iteration holds. A scheduler given a `DecodeBatchPolicy` asks it to
 * order its running sequences and to cap the iteration's sequence count; without one it is plain
 * vLLM continuous batching. A policy is composed of variants, one file each beside this one
 * (length-bins.ts, adaptive.ts, eos-same-iteration.ts), registered in index.ts.
 *
 * A policy that caps the batch disables the instance's decode fast-forward (the cap may change
 * between iterations of identical shape); an arranging one lets it run only over iterations whose
 * order it keeps (`steadyIterations`), so results stay exactly those of step-by-step simulation.
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
  /** Some variant caps the batch (seqCap may bind and move as contexts grow). */
  readonly capsBatch: boolean;
  /**
   * The largest k such that the arrangements before decode iterations 2..k (each sequence one
   * token longer than before the last) all leave `running`, as arranged now, unchanged.
   */
  steadyIterations(running: readonly RequestState[]): number;
}

/** One variant: the part of a policy it decides (at most one variant arranges). */
export interface DecodeVariant {
  /** How the variant shows in summary.json `disaggregation.decode_batching`. */
  readonly name: string;
  arrange?(running: RequestState[]): void;
  /** With arrange: DecodeBatchPolicy.steadyIterations for this variant's order. */
  steadyIterations?(running: readonly RequestState[]): number;
  seqCap?(candidates: readonly RequestState[], perf: PerfModel, maxNumSeqs: number, runningCount: number): number;
  readonly sameIterationEviction?: boolean;
}

/** The scenario's `deployment.policies`, as the composition root passes them. */
export interface DecodePolicyOptions {
  lengthBinTokens?: number;
  adaptiveTpotMs?: number;
  sameIterationEviction: boolean;
}
