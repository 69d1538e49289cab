/**
 * What the OpenAI-compatible server needs from whatever decides *when* tokens come out: the
 * simulator in real time (sim-backend.ts) or a fixed-formula fake (fake-backend.ts). The server
 * does the HTTP and the formats; the backend does the timing.
 */

export interface BackendJob {
  /** Unique per server, for the backend's own bookkeeping. */
  id: number;
  promptTokens: number;
  outputTokens: number;
  prefixHashes?: readonly number[];
  prefixBlockTokens?: number;
  /**
   * P/D decode side: the prompt's KV was computed remotely and has been pulled already, so no
   * prefill compute; the first token comes from the first decode step.
   */
  remotePrefill?: boolean;
}

export interface JobEvents {
  /** `count` tokens were produced now (one engine iteration's worth). */
  onTokens(count: number): void;
  /** The job ended; `error` when the backend could not serve it. */
  onFinish(error?: string): void;
}

export interface BackendLoad {
  running: number;
  waiting: number;
  /** KV cache in use, 0..1. */
  kvCacheUsage: number;
  preemptionsTotal: number;
  prefixCacheQueriesTokens: number;
  prefixCacheHitsTokens: number;
  /** Requests aborted inside the engine (client gone), when the backend has an engine that aborts. */
  abortedTotal?: number;
}

export interface TimingBackend {
  /** KV capacity, reported as `vllm:cache_config_info`. */
  readonly cache: { blockSizeTokens: number; numGpuBlocks: number };
  /** Current simulated time, seconds (metrics observe durations in it). */
  nowS(): number;
  /** Wall-clock ms for a simulated duration (speed factor), to time things outside the backend. */
  wallMs(simS: number): number;
  submit(job: BackendJob, events: JobEvents): { cancel(): void };
  load(): BackendLoad;
  close(): void;
}
