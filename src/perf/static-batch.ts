/**
 * What `vllm bench latency` measures, predicted: B prompts of I tokens submitted at once with a
 * fixed output length O (ignore_eos), timed until the whole batch finishes. No event simulation is
 * needed: the schedule of a static batch is deterministic, so we replay the engine's scheduler step
 * by step, with its KV blocks, and sum the perf model's iteration times.
 *
 * V1 (sheet 1.3-1.5 of ../shared/reference/vllm-engine-facts.md): one token budget per step;
 * RUNNING requests first in admission order (a decode takes 1 token, a partial prompt its next
 * chunk), then WAITING ones while the budget, max_num_seqs and free blocks allow. When a running
 * request cannot get the block it needs, the most recently admitted running request is preempted
 * by recompute (blocks freed, computed tokens reset, put at the front of WAITING), and no waiting
 * request is admitted in that step.
 * V0 without chunked prefill (sheet 1.4, 1.5): if any prompt can be scheduled (whole, within the
 * budget, max_num_seqs and the free blocks above a 1% watermark), the step runs prompts only;
 * otherwise it decodes every running request, preempting from the back of the running queue by
 * recompute when a block is missing (one sequence per request, so recompute, not swap).
 * V0 with chunked prefill schedules decodes first and then prompt chunks, as V1 does.
 *
 * A request that is recomputed re-prefills its prompt and the tokens it had generated.
 */
import type { EngineGeneration } from '../model/vllm-version.js';
import type { BatchEntry, PerfModel } from './perf-model.js';

export interface StaticBatchOptions {
  batchSize: number;
  inputLen: number;
  outputLen: number;
  maxNumBatchedTokens: number;
  maxNumSeqs: number;
  /** Which scheduler (default v1). */
  generation?: EngineGeneration;
  /** V0 only: chunked prefill (V1 always chunks). */
  chunkedPrefill?: boolean;
  /** KV blocks of the instance (default: unlimited) and tokens per block (default 16). */
  numGpuBlocks?: number;
  blockSize?: number;
}

export interface StaticBatchLatency {
  /** End-to-end time of the batch (what bench latency averages over its repetitions). */
  avgLatencyS: number;
  /** Until the step that completes the last prompt for the first time (includes decode tokens batched with it). */
  prefillS: number;
  decodeS: number;
  steps: number;
  prefillSteps: number;
  /** Requests preempted (by recompute) because the KV cache ran out. */
  preemptions: number;
  /** Most KV blocks in use at once. */
  peakBlocks: number;
}

interface Req {
  /** Prompt + generated tokens (the last generated one not yet fed back). */
  numTokens: number;
  numComputed: number;
  generated: number;
  blocks: number;
  prefilledOnce: boolean;
}

export function staticBatchLatency(model: PerfModel, o: StaticBatchOptions): StaticBatchLatency {
  for (const k of ['batchSize', 'inputLen', 'outputLen', 'maxNumBatchedTokens', 'maxNumSeqs'] as const) {
    const v = o[k];
    if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  }
  const bs = o.blockSize ?? 16;
  const totalBlocks = o.numGpuBlocks ?? Number.POSITIVE_INFINITY;
  if (Math.ceil((o.inputLen + o.outputLen) / bs) > totalBlocks) throw new RangeError(`one request of ${o.inputLen + o.outputLen} tokens needs more than the ${totalBlocks} KV blocks`);
  const v0Default = o.generation === 'v0' && !o.chunkedPrefill;
  const waiting: Req[] = Array.from({ length: o.batchSize }, () => ({ numTokens: o.inputLen, numComputed: 0, generated: 0, blocks: 0, prefilledOnce: false }));
  const running: Req[] = [];
  const st = { free: totalBlocks, preemptions: 0, peak: 0 };
  const need = (r: Req, n: number) => Math.max(0, Math.ceil((r.numComputed + n) / bs) - r.blocks);
  const grant = (r: Req, n: number) => {
    const b = need(r, n);
    r.blocks += b;
    st.free -= b;
    st.peak = Math.max(st.peak, totalBlocks - st.free);
  };
  const preemptLast = () => {
    const v = running.pop()!;
    st.free += v.blocks;
    v.blocks = 0;
    v.numComputed = 0;
    waiting.unshift(v);
    st.preemptions++;
    return v;
  };
  let ms = 0;
  let prefillMs = 0;
  let steps = 0;
  let prefillSteps = 0;
  let done = 0;
  let promptsDone = 0;
  while (done < o.batchSize) {
    const plan: { r: Req; n: number }[] = [];
    if (v0Default) v0Step(o, waiting, running, plan, st, need, grant, preemptLast, totalBlocks);
    else v1Step(o, waiting, running, plan, st, need, grant, preemptLast);
    if (plan.length === 0) throw new Error('static batch scheduler made no progress');
    const batch: BatchEntry[] = plan.map(({ r, n }) => ({ newTokens: n, contextTokens: r.numComputed }));
    const prefilling = plan.some((p) => p.n > 1);
    ms += prefilling ? model.iterationMs(batch) : decodeOnlyMs(model, batch);
    steps++;
    for (const { r, n } of plan) {
      r.numComputed += n;
      if (r.numComputed < r.numTokens) continue;
      if (!r.prefilledOnce) {
        r.prefilledOnce = true;
        if (++promptsDone === o.batchSize) {
          prefillMs = ms;
          prefillSteps = steps;
        }
      }
      r.generated++;
      r.numTokens++;
      if (r.generated === o.outputLen) {
        st.free += r.blocks;
        r.blocks = 0;
        running.splice(running.indexOf(r), 1);
        done++;
      }
    }
  }
  return { avgLatencyS: ms / 1000, prefillS: prefillMs / 1000, decodeS: (ms - prefillMs) / 1000, steps, prefillSteps, preemptions: st.preemptions, peakBlocks: st.peak };
}

type Need = (r: Req, n: number) => number;
type Grant = (r: Req, n: number) => void;
interface BlockState {
  free: number;
  preemptions: number;
}

function v1Step(o: StaticBatchOptions, waiting: Req[], running: Req[], plan: { r: Req; n: number }[], st: BlockState, need: Need, grant: Grant, preemptLast: () => Req): void {
  let budget = o.maxNumBatchedTokens;
  let preempted = false;
  for (let i = 0; i < running.length && budget > 0; i++) {
    const r = running[i]!;
    const n = Math.min(r.numTokens - r.numComputed, budget);
    let self = false;
    while (need(r, n) > st.free) {
      preempted = true;
      if (preemptLast() === r) {
        self = true;
        break;
      }
    }
    if (self) break;
    grant(r, n);
    plan.push({ r, n });
    budget -= n;
  }
  if (preempted) return;
  while (waiting.length > 0 && running.length < o.maxNumSeqs && budget > 0) {
    const r = waiting[0]!;
    const n = Math.min(r.numTokens - r.numComputed, budget);
    if (need(r, n) > st.free) break;
    waiting.shift();
    running.push(r);
    grant(r, n);
    plan.push({ r, n });
    budget -= n;
  }
}

function v0Step(o: StaticBatchOptions, waiting: Req[], running: Req[], plan: { r: Req; n: number }[], st: BlockState, need: Need, grant: Grant, preemptLast: () => Req, totalBlocks: number): void {
  // Prompts first, whole, above the block watermark (BlockSpaceManager: 1% of the GPU blocks).
  const watermark = Number.isFinite(totalBlocks) ? Math.floor(0.01 * totalBlocks) : 0;
  let budget = o.maxNumBatchedTokens;
  while (waiting.length > 0 && running.length < o.maxNumSeqs) {
    const r = waiting[0]!;
    const n = r.numTokens;
    if (n > budget || st.free - need(r, n) < watermark) break;
    waiting.shift();
    running.push(r);
    grant(r, n);
    plan.push({ r, n });
    budget -= n;
  }
  if (plan.length > 0) return;
  // Decodes, preempting from the back of the running queue when a block is missing.
  for (let i = 0; i < running.length; i++) {
    const r = running[i]!;
    let self = false;
    while (need(r, 1) > st.free) {
      if (preemptLast() === r) {
        self = true;
        break;
      }
    }
    if (self) break;
    grant(r, 1);
    plan.push({ r, n: 1 });
  }
}

/** Decode-only steps take the engine's fast path: affine in total context for a fixed batch size. */
function decodeOnlyMs(model: PerfModel, batch: readonly BatchEntry[]): number {
  const c = model.decodeCoefficients(batch.length);
  let ctx = 0;
  for (const e of batch) ctx += e.contextTokens;
  return c.fixedMs + c.perContextTokenMs * ctx;
}
