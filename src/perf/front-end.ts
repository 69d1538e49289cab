/**
 * The API server's cost in a served request (`vllm serve`), which `simulate` and `serve` add to
 * the engine's timing and `latency` (the offline LLM class, no HTTP) leaves out (sheet 3 of
 * ../shared/reference/vllm-engine-facts.md).
 *
 * - requestMs: HTTP receive and parse, tokenization (chat template), hand-off to the engine, and
 *   detokenization + SSE write of the first token: what a client's TTFT holds beyond the engine's
 *   queueing and prefill. V1 value fitted on one measurement: ai.wmx.dev/benchmarks (L4,
 *   Qwen2.5-0.5B, vLLM 0.23.0, 256-token prompts sent to the chat endpoint, so 285 tokens after
 *   Qwen2.5's chat template, concurrency 1): median TTFT 27.0 ms minus pdsim's prefill of those 285
 *   tokens with its sampler pass (greedy + the generation config's repetition penalty), 8.56 ms =
 *   18.44 ms (models/data/e2e/vllm-measurements.json, marked fitted; the e2e
 *   test refits it). Checked on another host: the same bench stack's T4 run (GuideLLM, one request
 *   at a time) is predicted within 7% (docs/accuracy.md, end-to-end section).
 *   Consistent with ray#59681: bare `vllm serve` 0.22, Qwen2.5-0.5B on an RTX 5050, p50 TTFT 16.9 ms
 *   at concurrency 1 including its (short) prefill. No V0 per-request figure was found; V0 runs the
 *   same FastAPI + tokenizer path, so the same value is used. It is one fixed delay, not a queue:
 *   a serial share (one API-server CPU, vllm#12705) has no published size, and the settings tried
 *   made held-out serving TTFT worse (docs/accuracy.md, end-to-end section).
 * - perTokenFraction: per-token detokenization and streaming. V1 runs them in the API-server
 *   process, concurrently with the engine core (sheet 3), so decode steps do not wait for them
 *   (0). V0's API server shares the engine's process: streaming cost 6% of TPOT in PR #8335
 *   (Llama-3.1-8B, H100), so V0 decode steps are 6% longer when streamed.
 */
import type { EngineGeneration } from '../model/vllm-version.js';

export interface FrontEndCost {
  requestMs: number;
  perTokenFraction: number;
}

export const V1_FRONT_END: FrontEndCost = { requestMs: 18.44, perTokenFraction: 0 };
export const V0_FRONT_END: FrontEndCost = { requestMs: 18.44, perTokenFraction: 0.06 };

export function frontEndCost(generation: EngineGeneration): FrontEndCost {
  return generation === 'v0' ? V0_FRONT_END : V1_FRONT_END;
}
