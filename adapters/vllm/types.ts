/** Shapes shared by the live client, the replay, the summaries and the comparison. */

/** One request as measured by the live client (one line of live/requests.jsonl). */
export interface LiveRequestResult {
  id: number;
  /** Arrival offset the workload asked for, in seconds from the start of the run. */
  arrivalS: number;
  /** When the POST was sent (vllm bench's `st`), seconds from the start of the run. */
  startS: number;
  success: boolean;
  /** Why it failed: "http 500: ...", "timeout after 30000 ms", "connection reset", "stream ended without [DONE]". */
  error?: string;
  /** Time to the first chunk with non-empty `choices`, ms. */
  ttftMs: number | null;
  /** Gaps between later chunks with choices, ms (per chunk, not per token, as vllm bench). */
  itlMs: number[];
  /** Send to last token chunk, ms (vllm bench's `latency`). */
  e2elMs: number | null;
  /** Prompt length sent, tokens. */
  promptTokens: number;
  /** max_tokens sent. */
  requestedOutputTokens: number;
  /** `usage.completion_tokens`, or null if the server sent no usage. */
  outputTokens: number | null;
  /** `usage.prompt_tokens`, or null. */
  usagePromptTokens: number | null;
  /** Set when usage disagrees with what was asked (a tokenizer or ignore_eos problem). */
  lengthMismatch?: string;
}

/**
 * A run summary with the keys of `vllm bench serve --save-result` (reference Part 1.3), so that
 * simulated, live and imported results compare key by key. Stats keys are
 * `{mean,median,std,p90,p99}_{ttft,tpot,itl,e2el}_ms`; a key missing from an imported file is null.
 */
export interface BenchSummary {
  completed: number;
  failed: number;
  duration: number;
  total_input_tokens: number;
  total_output_tokens: number;
  request_throughput: number;
  output_throughput: number;
  total_token_throughput: number;
  request_goodput: number | null;
  /** Present in vllm bench files; pdsim puts its own under `pdsim`. */
  max_output_tokens_per_s?: number | null;
  max_concurrent_requests?: number | null;
  [statKey: `${string}_ms`]: number | null;
  /** pdsim's own extras (failure reasons, length mismatches, metric deltas...). */
  pdsim?: Record<string, unknown>;
}

export { LATENCY_METRICS, LATENCY_STATS as STATS, type LatencyMetric } from '../../src/metrics/summary-schema.js';

/** Goodput SLOs in ms, as `vllm bench serve --goodput ttft:MS tpot:MS e2el:MS`. */
export interface GoodputSlo {
  ttftMs?: number;
  tpotMs?: number;
  e2elMs?: number;
}
