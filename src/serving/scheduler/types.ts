/**
 * The engine's scheduler seam, after vLLM V1's `Scheduler.schedule()`: given the engine's queues and
 * KV block pool, form the next batch (which requests, how many tokens each) and allocate its blocks.
 * A scheduler schedules no events and records no metrics: KV loads and swap-ins are the KV
 * connector's (it asks `ctx.connector`), preemption accounting the engine's (`ctx.preempt`). Implementations sit
 * beside this file, one per file, and are registered in index.ts.
 */
import type { BlockManager } from '../../kv/block-manager.js';
import type { PerfModel } from '../../perf/perf-model.js';
import type { DecodeBatchPolicy } from './decode/index.js';
import type { KvConnector } from '../kv-connector/types.js';
import type { RequestState } from '../request-state.js';

export interface SchedulerConfig {
  role: 'colocated' | 'prefill' | 'decode';
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  /** Longest prompt + output (a V0-style scheduler derives its token budget from it). */
  maxModelLen: number;
  blockSizeTokens: number;
  enableChunkedPrefill: boolean;
  enablePrefixCaching: boolean;
  /** Decode batch policy (length bins, adaptive, same-iteration EOS); absent = continuous batching. */
  decodePolicy?: DecodeBatchPolicy;
}

/** What the engine lends its scheduler for one `schedule` call. */
export interface SchedulerContext {
  readonly cfg: SchedulerConfig;
  /** Waiting requests, in admission order (the scheduler moves admitted ones to `running`). */
  readonly waiting: RequestState[];
  /** Running requests, oldest first (preemption takes the newest). */
  readonly running: RequestState[];
  readonly blocks: BlockManager;
  readonly perf: PerfModel;
  /** The engine's KV connector (src/serving/kv-connector): loads, swap, P/D roles. */
  readonly connector: KvConnector;
  /**
   * Sum of `queuedTokens` over waiting requests (and the engine's late arrivals): a scheduler that
   * takes a request out of `waiting` subtracts its `queuedTokens` (the engine's routing load figure).
   */
  waitingTokens: number;
  /** Preempts `victim` (frees its blocks, swaps or recomputes, requeues it at the head of waiting). */
  preempt(victim: RequestState): void;
}

export interface Scheduler {
  readonly name: string;
  /** The next batch; each request's `scheduled` is set to its token count and its blocks are allocated. */
  schedule(c: SchedulerContext): RequestState[];
  /** Whether the last `schedule` preempted (it then admitted nothing). */
  readonly preempted: boolean;
  /**
   * The last batch's sums, kept as it is formed (the engine read them in a pass of its own per step):
   * tokens scheduled, tokens computed before the step, and whether every request decodes one token
   * of a prompt already done (scheduled 1, generated > 0).
   */
  readonly batchNewTokens: number;
  readonly batchContextTokens: number;
  readonly batchAllDecode: boolean;
  /**
   * Whether a decode-only batch keeps its shape from one iteration to the next while nothing new
   * arrives (the engine's exact decode fast path relies on it, with the connector's word too).
   */
  readonly stableDecodeShape: boolean;
}
