/**
 * What `vllm bench latency` measures, predicted: B prompts of I tokens submitted at once with a
 * fixed output length O (ignore_eos), timed until the whole batch finishes. No event simulation is
 * needed: the schedule of a static batch is deterministic, so we replay vLLM V1's scheduler step
 * by step and sum the perf model's iteration times.
 *
 * vLLM V1 scheduling (chunked prefill always on): each step first gives every running request
 * that finished its prompt one decode token, then fills the remaining token budget
 * (max_num_batched_tokens) with prompt chunks, oldest request first, up to max_num_seqs running
 * requests. A request's first output token comes from the step that completes its prompt, so it
 * then needs O - 1 decode steps.
 */
import type { BatchEntry, PerfModel } from './perf-model.js';

export interface StaticBatchOptions {
  batchSize: number;
  inputLen: number;
  outputLen: number;
  maxNumBatchedTokens: number;
  maxNumSeqs: number;
}

export interface StaticBatchLatency {
  /** End-to-end time of the batch (what bench latency averages over its repetitions). */
  avgLatencyS: number;
  /** Until the step that completes the last prompt (includes decode tokens batched with it). */
  prefillS: number;
  decodeS: number;
  steps: number;
  prefillSteps: number;
}

interface Req {
  prefilled: number;
  generated: number;
}

export function staticBatchLatency(model: PerfModel, o: StaticBatchOptions): StaticBatchLatency {
  for (const [k, v] of Object.entries(o)) if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  const reqs: Req[] = Array.from({ length: o.batchSize }, () => ({ prefilled: 0, generated: 0 }));
  let ms = 0;
  let prefillMs = 0;
  let steps = 0;
  let prefillSteps = 0;
  for (;;) {
    const batch: BatchEntry[] = [];
    const plan: { r: Req; tokens: number }[] = [];
    let budget = o.maxNumBatchedTokens;
    let running = 0;
    let prefilling = false;
    for (const r of reqs) {
      if (r.prefilled === o.inputLen && r.generated < o.outputLen && budget > 0 && running < o.maxNumSeqs) {
        batch.push({ newTokens: 1, contextTokens: o.inputLen + r.generated - 1 });
        plan.push({ r, tokens: 1 });
        budget--;
        running++;
      }
    }
    for (const r of reqs) {
      if (r.prefilled < o.inputLen && budget > 0 && running < o.maxNumSeqs) {
        const chunk = Math.min(o.inputLen - r.prefilled, budget);
        batch.push({ newTokens: chunk, contextTokens: r.prefilled });
        plan.push({ r, tokens: chunk });
        budget -= chunk;
        running++;
        prefilling = true;
      }
    }
    if (batch.length === 0) break;
    const stepMs = prefilling ? model.iterationMs(batch) : decodeOnlyMs(model, batch);
    ms += stepMs;
    steps++;
    for (const { r, tokens } of plan) {
      if (r.prefilled < o.inputLen) {
        r.prefilled += tokens;
        if (r.prefilled === o.inputLen) r.generated = 1;
      } else r.generated++;
    }
    if (prefilling) {
      prefillMs = ms;
      prefillSteps = steps;
    }
  }
  return { avgLatencyS: ms / 1000, prefillS: prefillMs / 1000, decodeS: (ms - prefillMs) / 1000, steps, prefillSteps };
}

/** Decode-only steps take the engine's fast path: affine in total context for a fixed batch size. */
function decodeOnlyMs(model: PerfModel, batch: readonly BatchEntry[]): number {
  const c = model.decodeCoefficients(batch.length);
  let ctx = 0;
  for (const e of batch) ctx += e.contextTokens;
  return c.fixedMs + c.perContextTokenMs * ctx;
}
