/**
 * Configuration and callbacks of one engine instance (src/serving/instance.ts): the engine knobs a
 * scenario's pool resolves to, and the hooks the composition root wires for P/D hand-off, layer-wise
 * KV streaming and real-time serving. Kept apart from the engine so that its helpers (fast-forward.ts)
 * can name them without importing the engine back.
 */
import type { IterationTimes } from '../perf/perf-model.js';
import type { DecodeBatchPolicy } from './scheduler/decode/index.js';
import type { RequestState } from './request-state.js';
import type { SchedulerName } from './scheduler/index.js';

export type InstanceRole = 'colocated' | 'prefill' | 'decode';

export interface InstanceConfig {
  name: string;
  role: InstanceRole;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  blockSizeTokens: number;
  numGpuBlocks: number;
  maxModelLen: number;
  enableChunkedPrefill: boolean;
  enablePrefixCaching: boolean;
  prefillOrder: 'fcfs' | 'shortest-prompt-first';
  fastForward: boolean;
  /** Decode batch policy (src/serving/scheduler/decode/); absent = continuous batching. Disables fast-forward. */
  decodePolicy?: DecodeBatchPolicy;
  /** Scheduler (src/serving/scheduler/index.ts); default vLLM V1's. */
  scheduler?: SchedulerName;
  /**
   * vLLM V1 async scheduling: a request that arrives while a step is in flight joins the waiting
   * queue only after the next step was chosen, so it waits for the rest of the step in flight and the
   * whole next one. Source: vllm/v1/engine/core.py step_with_batch_queue fills the batch queue
   * (2 deep with async scheduling, executor max_concurrent_batches) before it blocks on the oldest
   * step, and the busy loop reads new requests only between those calls.
   */
  asyncScheduling?: boolean;
}

export interface InstanceHooks {
  /** Prefill role: the request's KV is complete (its first token was sampled). */
  onPrefillDone?(req: RequestState, timeS: number): void;
  /**
   * Prefill role: at the start of the iteration that completes `req`'s prompt, its timing (layer-wise
   * KV streaming schedules each layer's transfer from it). Called inside the scheduling step; `times`
   * may be an object the engine reuses for every step: read it during the call, do not keep it.
   */
  onPrefillIteration?(req: RequestState, startS: number, times: IterationTimes): void;
  /** Per-iteration token callback for real-time serving (only called with fastForward off). */
  onTokens?(req: RequestState, timeS: number, count: number): void;
  /** Called when a request leaves the instance (finished or failed). */
  onLeave?(req: RequestState): void;
}
