/**
 * The server's `/metrics`, with vLLM's V1 metric names and labels (reference Part 1.4), so the
 * live client's scraper reads the simulator-backed server exactly like a real vLLM. Durations are
 * observed in simulated seconds.
 */
import { declareProcessMetrics, updateProcessMetrics } from '../http/process-metrics.js';
import { PromRegistry } from '../http/prom-text.js';
import type { TimingBackend } from './backend.js';

const LATENCY_BUCKETS_S = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const TOKEN_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000];

export class ServerMetrics {
  readonly reg = new PromRegistry();
  private readonly labels: Record<string, string>;

  constructor(
    modelName: string,
    private readonly backend: TimingBackend,
    private readonly cacheInfo: Record<string, string | number>,
  ) {
    this.labels = { model_name: modelName, engine: '0' };
    const r = this.reg;
    r.counter('vllm:prompt_tokens', 'Number of prefill tokens processed.');
    r.counter('vllm:generation_tokens', 'Number of generation tokens processed.');
    r.counter('vllm:request_success', 'Count of successfully processed requests.');
    r.counter('vllm:num_preemptions', 'Cumulative number of preemption from the engine.');
    r.counter('vllm:prefix_cache_queries', 'Prefix cache queries, in terms of number of queried tokens.');
    r.counter('vllm:prefix_cache_hits', 'Prefix cache hits, in terms of number of cached tokens.');
    r.counter('pdsim:faults_injected', 'Requests that fault injection failed on purpose, by kind.');
    r.gauge('vllm:num_requests_running', 'Number of requests in model execution batches.');
    r.gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.');
    r.gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.');
    r.gauge('vllm:cache_config_info', 'Information of the LLMEngine CacheConfig');
    r.histogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', LATENCY_BUCKETS_S);
    r.histogram('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', LATENCY_BUCKETS_S);
    r.histogram('vllm:request_time_per_output_token_seconds', 'Histogram of time_per_output_token_seconds per request.', LATENCY_BUCKETS_S);
    r.histogram('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', LATENCY_BUCKETS_S);
    r.histogram('vllm:request_prompt_tokens', 'Number of prefill tokens processed.', TOKEN_BUCKETS);
    r.histogram('vllm:request_generation_tokens', 'Number of generation tokens processed.', TOKEN_BUCKETS);
    declareProcessMetrics(r);
    // Create the series up front, as vLLM does, so a scrape before any request shows zeros.
    for (const c of ['vllm:prompt_tokens', 'vllm:generation_tokens', 'vllm:num_preemptions', 'vllm:prefix_cache_queries', 'vllm:prefix_cache_hits']) {
      r.inc(c, this.labels, 0);
    }
    r.inc('vllm:request_success', { ...this.labels, finished_reason: 'length' }, 0);
    r.inc('vllm:request_success', { ...this.labels, finished_reason: 'abort' }, 0);
  }

  /** A client went away before the end: vLLM V1 counts it under finished_reason="abort". */
  aborted(): void {
    this.reg.inc('vllm:request_success', { ...this.labels, finished_reason: 'abort' });
  }

  fault(kind: string): void {
    this.reg.inc('pdsim:faults_injected', { kind });
  }

  promptDone(promptTokens: number): void {
    this.reg.inc('vllm:prompt_tokens', this.labels, promptTokens);
    this.reg.observe('vllm:request_prompt_tokens', this.labels, promptTokens);
  }

  tokens(count: number, firstTokenS: number | null, gapS: number | null): void {
    this.reg.inc('vllm:generation_tokens', this.labels, count);
    if (firstTokenS !== null) this.reg.observe('vllm:time_to_first_token_seconds', this.labels, firstTokenS);
    if (gapS !== null) this.reg.observe('vllm:inter_token_latency_seconds', this.labels, gapS);
  }

  finished(e2eS: number, ttftS: number, outputTokens: number): void {
    this.reg.inc('vllm:request_success', { ...this.labels, finished_reason: 'length' });
    this.reg.observe('vllm:e2e_request_latency_seconds', this.labels, e2eS);
    this.reg.observe('vllm:request_generation_tokens', this.labels, outputTokens);
    if (outputTokens > 1) this.reg.observe('vllm:request_time_per_output_token_seconds', this.labels, (e2eS - ttftS) / (outputTokens - 1));
  }

  render(): string {
    const load = this.backend.load();
    const r = this.reg;
    r.set('vllm:num_requests_running', this.labels, load.running);
    r.set('vllm:num_requests_waiting', this.labels, load.waiting);
    r.set('vllm:kv_cache_usage_perc', this.labels, load.kvCacheUsage);
    r.set('vllm:cache_config_info', { ...this.labels, ...this.cacheInfo }, 1);
    updateProcessMetrics(r);
    // Counters the backend owns are copied in at scrape time (they only grow).
    this.setCounter('vllm:num_preemptions', load.preemptionsTotal);
    this.setCounter('vllm:prefix_cache_queries', load.prefixCacheQueriesTokens);
    this.setCounter('vllm:prefix_cache_hits', load.prefixCacheHitsTokens);
    if (load.abortedTotal !== undefined) this.setCounter('vllm:request_success', load.abortedTotal, { ...this.labels, finished_reason: 'abort' });
    return r.render();
  }

  private readonly copied = new Map<string, number>();
  private setCounter(name: string, total: number, labels = this.labels): void {
    const key = `${name}${JSON.stringify(labels)}`;
    const prev = this.copied.get(key) ?? 0;
    if (total > prev) this.reg.inc(name, labels, total - prev);
    this.copied.set(key, Math.max(prev, total));
  }
}
