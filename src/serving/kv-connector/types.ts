/**
 * The engine's KV connector seam, in the spirit of vLLM's KV connector API
 * (vllm/distributed/kv_transfer/kv_connector/v1/base.py): the scheduler asks it, for a waiting
 * request, how many more prompt tokens it can supply from outside the GPU cache and lets it
 * allocate for them (`admit`: get_num_new_matched_tokens + update_state_after_alloc), and the engine
 * tells it when a request's prompt is done or the request is preempted (request_finished and the
 * swap path). Implementations, one per file: none, offload (CPU/disk tiers), swap (wrapping none or
 * offload), pd-prefill, pd-decode (the P/D roles, wrapping an inner connector). Chosen by the engine from its role and
 * whether the composition root attached KV tiers.
 */
import type { RequestState } from '../request-state.js';

/** 'go': admit as usual; 'busy': KV is being loaded (skip for now); 'fail': no blocks to load into. */
export type AdmitResult = 'go' | 'busy' | 'fail';

export interface KvConnector {
  readonly name: string;
  /** Waiting requests may already hold GPU blocks (remote KV landed, tier loads, swap-ins) and so pass a head that cannot get any. */
  readonly waitingMayHoldBlocks: boolean;
  /** The connector loads KV into waiting requests (tiers, swap): the scheduler consults `admit`. */
  readonly loadsKv: boolean;
  /** The request leaves this engine once its prompt's KV is computed (a P/D producer). */
  readonly leavesAfterPrefill: boolean;
  /** Scheduler side, for waiting request `r` with `budget` tokens left (only called when `loadsKv`). */
  admit(r: RequestState, budget: number): AdmitResult;
  /** Stable reorder of the waiting queue before admission (requests whose loaded KV landed first). */
  orderWaiting(waiting: RequestState[]): void;
  /** A fresh request was admitted with `gpuHitBlocks` prefix-cache blocks (hit-rate counters). */
  noteAdmission(numTokens: number, gpuHitBlocks: number): void;
  /** Preemption of `victim` holding `blocks` computed blocks: true when its KV was saved (swap) instead of dropped. */
  saveOnPreempt(victim: RequestState, blocks: number): boolean;
  /** `r`'s prompt KV is complete (its first token was sampled). */
  onPromptDone(r: RequestState): void;
  /** Whether `r`'s KV is being moved now (it cannot be aborted or rescheduled meanwhile). */
  isBusy(r: RequestState): boolean;
}
