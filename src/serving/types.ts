/**
 * Request-level contracts between the workload, the serving engines, the metrics and the edges
 * (live server, reports). Times are simulated seconds since the start of the run.
 */

/** One request as the workload produces it. */
export interface RequestSpec {
  id: number;
  arrivalS: number;
  promptTokens: number;
  outputTokens: number;
  /** Hashes of the prompt's prefix blocks (Mooncake `hash_ids`), for prefix caching; optional. */
  prefixHashes?: readonly number[];
  /** Size in tokens of one `prefixHashes` block (Mooncake: 512). */
  prefixBlockTokens?: number;
}

/** What happened to one request; one line of requests.jsonl. */
export interface RequestRecord {
  id: number;
  arrivalS: number;
  /** Time the first output token was emitted (null if the request failed before). */
  firstTokenS: number | null;
  finishS: number | null;
  promptTokens: number;
  outputTokens: number;
  /** Replica or instance that served it ("r0", or "p0->d1" when disaggregated). */
  replica: string;
  preemptions: number;
  /** Prompt tokens served from a prefix cache (any tier). */
  cachedPromptTokens: number;
  /** Failure reason, when the request could not be served. */
  error?: string;
  /** KV transfer time (disaggregated only): start of transfer to KV ready on the decode side. */
  kvTransferMs?: number;
  /** Part of the KV transfer that delayed the request beyond its own prefill. */
  kvExposedMs?: number;
  /** Disaggregated only: when the prefill instance sampled its own (discarded) token; `firstTokenS` is the decode side's. */
  prefillFirstTokenS?: number | null;
  /** Of kvExposedMs: link time after the last obstacle (prefill end, decode reservation, staging space) cleared. */
  kvLinkExposedMs?: number;
  /** Time waiting for a decode KV reservation. */
  kvReservationWaitMs?: number;
  /** Time some of its KV chunks waited for staging-buffer space. */
  kvStagingWaitMs?: number;
}

/** Observer of request progress; the metrics collector and the live server both implement it. */
export interface RequestObserver {
  /** `count` output tokens were emitted at `timeS` (one engine iteration's worth, usually 1). */
  onTokens?(req: RequestSpec, timeS: number, count: number): void;
  onFinish(rec: RequestRecord): void;
}
