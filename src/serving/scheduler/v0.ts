/**
 * vLLM V0's default scheduler (vllm/core/scheduler.py `_schedule_default`, vLLM <= 0.7 and Turing
 * up to 0.10; sheet 1.4-1.5 of ../shared/reference/vllm-engine-facts.md), selected by
 * engine.vllmVersion:
 * - prompts first: waiting requests are admitted whole, in order, while the token budget
 *   (max_num_batched_tokens, by default max(max_model_len, 2048) without chunked prefill),
 *   max_num_seqs and the free blocks above a 1% watermark allow ("Don't schedule decodes if
 *   prefills are scheduled": a step with a prompt runs no decodes);
 * - otherwise every running request decodes one token; when one cannot get its next block the
 *   newest running request is preempted (by recompute for a single sequence; by swap when the
 *   engine has swap space and preemptionMode is swap: the engine's `preempt` decides).
 * With chunked prefill on, V0 (`_schedule_chunked_prefill`) schedules decodes first and then
 * prompt chunks in the remaining budget, which is V1's order: that case, instances whose KV
 * connector loads KV (tiers, P/D, which V0 engines did not have in this form) and prefix caching
 * (whose block hits the V1 logic counts) use the V1 logic; load.ts notes the last case to the user.
 */
import type { DecodeBatchPolicy } from './decode/index.js';
import type { RequestState } from '../request-state.js';
import type { Scheduler, SchedulerContext } from './types.js';
import { V1Scheduler } from './v1.js';

/** Fraction of the GPU blocks a V0 prompt admission must leave free (BlockSpaceManager watermark 0.01). */
export const V0_WATERMARK = 0.01;

export class V0Scheduler implements Scheduler {
  readonly name = 'v0';
  preempted = false;
  batchNewTokens = 0;
  batchContextTokens = 0;
  batchAllDecode = true;
  readonly stableDecodeShape: boolean;
  private readonly v1: V1Scheduler;

  constructor(decodePolicy?: DecodeBatchPolicy) {
    this.stableDecodeShape = decodePolicy === undefined;
    this.v1 = new V1Scheduler(decodePolicy);
  }

  schedule(c: SchedulerContext): RequestState[] {
    if (c.cfg.enableChunkedPrefill || c.cfg.enablePrefixCaching || c.connector.loadsKv || c.cfg.decodePolicy) {
      const out = this.v1.schedule(c);
      this.preempted = this.v1.preempted;
      this.batchNewTokens = this.v1.batchNewTokens;
      this.batchContextTokens = this.v1.batchContextTokens;
      this.batchAllDecode = this.v1.batchAllDecode;
      return out;
    }
    const cfg = c.cfg;
    const out: RequestState[] = [];
    let budget = cfg.maxNumBatchedTokens;
    const watermark = Math.floor(V0_WATERMARK * c.blocks.totalBlocks);
    while (c.waiting.length > 0 && c.running.length < cfg.maxNumSeqs) {
      const r = c.waiting[0]!;
      const n = r.numTokens - r.numComputed;
      if (n > budget) break;
      const need = Math.max(0, c.blocks.blocksFor(r.numComputed + n) - r.blocks - r.hashedBlocks);
      if (c.blocks.availableBlocks - need < watermark || !c.blocks.allocate(need)) break;
      r.blocks += need;
      c.waiting.shift();
      c.waitingTokens -= r.queuedTokens;
      c.running.push(r);
      r.scheduled = n;
      budget -= n;
      out.push(r);
    }
    if (out.length > 0) {
      this.preempted = false;
      this.sums(out);
      return out;
    }
    let preempted = false;
    for (let i = 0; i < c.running.length && budget > 0; i++) {
      const r = c.running[i]!;
      const n = r.numTokens - r.numComputed;
      const need = Math.max(0, c.blocks.blocksFor(r.numComputed + n) - r.blocks - r.hashedBlocks);
      let self = false;
      while (!c.blocks.allocate(need)) {
        const victim = c.running.pop()!;
        c.preempt(victim);
        preempted = true;
        if (victim === r) {
          self = true;
          break;
        }
      }
      if (self) break;
      r.blocks += need;
      r.scheduled = n;
      budget -= n;
      out.push(r);
    }
    this.preempted = preempted;
    this.sums(out);
    return out;
  }

  /** The batch's sums (Scheduler.batchNewTokens...): one pass here, V0 being off the hot path. */
  private sums(out: readonly RequestState[]): void {
    let newTokens = 0;
    let contextTokens = 0;
    let allDecode = true;
    for (const r of out) {
      newTokens += r.scheduled;
      contextTokens += r.numComputed;
      if (r.scheduled !== 1 || r.generated === 0) allDecode = false;
    }
    this.batchNewTokens = newTokens;
    this.batchContextTokens = contextTokens;
    this.batchAllDecode = allDecode;
  }
}
