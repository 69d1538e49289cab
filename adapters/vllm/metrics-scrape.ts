/**
 * Reads a vLLM server's Prometheus `/metrics` and turns two scrapes (before and after a run) into
 * the deltas a validation reports: tokens, preemptions, prefix-cache hit rate, histogram means.
 * Both current and older metric names are accepted (reference Part 1.4): counters appear on the
 * wire with `_total` (their `_created` lines are skipped), `gpu_cache_usage_perc` became
 * `kv_cache_usage_perc`, `gpu_prefix_cache_*` became `prefix_cache_*`, and
 * `time_per_output_token_seconds` became `inter_token_latency_seconds`.
 *
 * llama.cpp's `llama-server --metrics` is read too, by its own names (tools/server/README.md,
 * "GET /metrics"): `llamacpp:prompt_tokens_total` and `llamacpp:tokens_predicted_total` (tokens),
 * `llamacpp:requests_processing` / `requests_deferred` (running / waiting),
 * `llamacpp:kv_cache_usage_ratio` (older builds), and its engine-time counters
 * `llamacpp:prompt_seconds_total`, `llamacpp:tokens_predicted_seconds_total` and
 * `llamacpp:n_decode_total` (llama_decode calls). It has no latency histograms and no KV block
 * configuration, so those stay empty.
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

/** Parses Prometheus text exposition into samples (comments and `_created` lines skipped). */
export function parsePrometheus(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const name = m[1]!;
    if (name.endsWith('_created')) continue;
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const lm of m[3].matchAll(LABEL)) labels[lm[1]!] = lm[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    out.push({ name, labels, value: parseValue(m[4]!) });
  }
  return out;
}

export interface MetricsSnapshot {
  samples: PromSample[];
  /** Wall time of the scrape, ms since epoch. */
  takenAtMs: number;
}

export function snapshot(text: string, takenAtMs = Date.now()): MetricsSnapshot {
  return { samples: parsePrometheus(text), takenAtMs };
}

/** Sum over all label sets of the first name in `names` that is present; undefined if none is. */
export function sumOf(snap: MetricsSnapshot, names: readonly string[], filter?: Record<string, string>): number | undefined {
  for (const name of names) {
    const hits = snap.samples.filter(
      (s) => s.name === name && (!filter || Object.entries(filter).every(([k, v]) => s.labels[k] === v)),
    );
    if (hits.length) return hits.reduce((a, s) => a + s.value, 0);
  }
  return undefined;
}

/** Names of a counter as it may appear: with `_total` (current exposition) or without (old clients). */
const counterNames = (...bases: string[]): string[] => bases.flatMap((b) => [`${b}_total`, b]);

export const METRIC_NAMES = {
  promptTokens: counterNames('vllm:prompt_tokens', 'llamacpp:prompt_tokens'),
  generationTokens: counterNames('vllm:generation_tokens', 'llamacpp:tokens_predicted'),
  requestSuccess: counterNames('vllm:request_success'),
  preemptions: counterNames('vllm:num_preemptions'),
  prefixCacheQueries: counterNames('vllm:prefix_cache_queries', 'vllm:gpu_prefix_cache_queries'),
  prefixCacheHits: counterNames('vllm:prefix_cache_hits', 'vllm:gpu_prefix_cache_hits'),
  externalPrefixCacheQueries: counterNames('vllm:external_prefix_cache_queries'),
  externalPrefixCacheHits: counterNames('vllm:external_prefix_cache_hits'),
  kvCacheUsage: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc', 'llamacpp:kv_cache_usage_ratio'],
  running: ['vllm:num_requests_running', 'llamacpp:requests_processing'],
  waiting: ['vllm:num_requests_waiting', 'llamacpp:requests_deferred'],
  // llama-server only: its own time in prompt processing and generation, and llama_decode calls.
  enginePromptSeconds: counterNames('llamacpp:prompt_seconds'),
  engineGenerationSeconds: counterNames('llamacpp:tokens_predicted_seconds'),
  engineSteps: counterNames('llamacpp:n_decode'),
} as const;

export const HISTOGRAM_NAMES = {
  ttftS: ['vllm:time_to_first_token_seconds'],
  itlS: ['vllm:inter_token_latency_seconds', 'vllm:time_per_output_token_seconds'],
  tpotS: ['vllm:request_time_per_output_token_seconds'],
  e2elS: ['vllm:e2e_request_latency_seconds'],
  queueS: ['vllm:request_queue_time_seconds'],
  prefillS: ['vllm:request_prefill_time_seconds'],
  decodeS: ['vllm:request_decode_time_seconds'],
  kvTransferS: ['vllm:nixl_xfer_time_seconds'],
} as const;

/** KV capacity as the server reports it in the `vllm:cache_config_info` info gauge. */
export interface CacheConfig {
  numGpuBlocks: number;
  blockSizeTokens: number;
  /** The gauge's other labels (gpu_memory_utilization, cache_dtype, ...), as strings. */
  labels: Record<string, string>;
}

export function cacheConfig(snap: MetricsSnapshot): CacheConfig | undefined {
  const s = snap.samples.find((x) => x.name === 'vllm:cache_config_info');
  if (!s) return undefined;
  const numGpuBlocks = Number(s.labels['num_gpu_blocks']);
  const blockSizeTokens = Number(s.labels['block_size']);
  if (!(numGpuBlocks > 0) || !(blockSizeTokens > 0)) return undefined;
  return { numGpuBlocks, blockSizeTokens, labels: s.labels };
}

export interface HistogramDelta {
  count: number;
  sumS: number;
  /** sum / count in ms; null when nothing was observed. */
  meanMs: number | null;
}

export interface MetricsDelta {
  durationS: number;
  promptTokens: number | null;
  generationTokens: number | null;
  requestSuccess: number | null;
  preemptions: number | null;
  prefixCacheQueries: number | null;
  prefixCacheHits: number | null;
  /** Δhits / Δqueries (tokens), null without queries. */
  prefixCacheHitRate: number | null;
  externalPrefixCacheHitRate: number | null;
  /** Gauge values at the second scrape. */
  kvCacheUsagePercAfter: number | null;
  /** llama-server: seconds it spent on prompts and on generation, and its llama_decode calls (null elsewhere). */
  enginePromptSeconds: number | null;
  engineGenerationSeconds: number | null;
  engineSteps: number | null;
  histograms: Partial<Record<keyof typeof HISTOGRAM_NAMES, HistogramDelta>>;
}

function delta(before: MetricsSnapshot, after: MetricsSnapshot, names: readonly string[]): number | null {
  const a = sumOf(after, names);
  if (a === undefined) return null;
  return a - (sumOf(before, names) ?? 0);
}

const ratio = (num: number | null, den: number | null): number | null => (num !== null && den ? num / den : null);

export function metricsDelta(before: MetricsSnapshot, after: MetricsSnapshot): MetricsDelta {
  const n = METRIC_NAMES;
  const queries = delta(before, after, n.prefixCacheQueries);
  const hits = delta(before, after, n.prefixCacheHits);
  const histograms: MetricsDelta['histograms'] = {};
  for (const [key, names] of Object.entries(HISTOGRAM_NAMES) as [keyof typeof HISTOGRAM_NAMES, readonly string[]][]) {
    const count = delta(before, after, names.map((x) => `${x}_count`));
    const sumS = delta(before, after, names.map((x) => `${x}_sum`));
    if (count === null || sumS === null) continue;
    histograms[key] = { count, sumS, meanMs: count > 0 ? (sumS / count) * 1000 : null };
  }
  return {
    durationS: (after.takenAtMs - before.takenAtMs) / 1000,
    promptTokens: delta(before, after, n.promptTokens),
    generationTokens: delta(before, after, n.generationTokens),
    requestSuccess: delta(before, after, n.requestSuccess),
    preemptions: delta(before, after, n.preemptions),
    prefixCacheQueries: queries,
    prefixCacheHits: hits,
    prefixCacheHitRate: ratio(hits, queries),
    externalPrefixCacheHitRate: ratio(
      delta(before, after, n.externalPrefixCacheHits),
      delta(before, after, n.externalPrefixCacheQueries),
    ),
    kvCacheUsagePercAfter: sumOf(after, n.kvCacheUsage) ?? null,
    enginePromptSeconds: delta(before, after, n.enginePromptSeconds),
    engineGenerationSeconds: delta(before, after, n.engineGenerationSeconds),
    engineSteps: delta(before, after, n.engineSteps),
    histograms,
  };
}
