/**
 * summary.json: the key names of `vllm bench serve --save-result` at the top level, everything
 * pdsim adds under `pdsim`. Definitions: docs/metrics.md.
 */
import { round6 } from '../round.js';
import type { MetricsCollector } from './collector.js';
import type { Distribution } from './distribution.js';

export type Summary = Record<string, unknown> & { pdsim: Record<string, unknown> };

const PERCENTILES = [50, 90, 99] as const;

export { round6 } from '../round.js';

function stats(name: string, d: Distribution, out: Record<string, unknown>, meanOverride?: number): void {
  out[`mean_${name}_ms`] = round6(meanOverride ?? d.mean());
  out[`median_${name}_ms`] = round6(d.percentile(50));
  out[`std_${name}_ms`] = round6(d.std());
  for (const p of PERCENTILES.slice(1)) out[`p${p}_${name}_ms`] = round6(d.percentile(p));
}

export function summarize(m: MetricsCollector, extra: Record<string, unknown> = {}): Summary {
  const duration = m.lastFinishS;
  const s: Record<string, unknown> = {
    completed: m.completed,
    failed: m.failed,
    duration: round6(duration),
    total_input_tokens: m.totalInputTokens,
    total_output_tokens: m.totalOutputTokens,
    request_throughput: round6(duration > 0 ? m.completed / duration : 0),
    request_goodput: extra.hasSlo ? round6(duration > 0 ? m.good / duration : 0) : null,
    output_throughput: round6(duration > 0 ? m.totalOutputTokens / duration : 0),
    total_token_throughput: round6(duration > 0 ? (m.totalInputTokens + m.totalOutputTokens) / duration : 0),
  };
  stats('ttft', m.ttftMs, s);
  stats('tpot', m.tpotMs, s);
  // Mean ITL = all gaps pooled: per request the gaps sum to (e2el - ttft), exactly.
  stats('itl', m.itlMs, s, m.decodeGaps > 0 ? (m.decodeSpanS * 1000) / m.decodeGaps : NaN);
  stats('e2el', m.e2elMs, s);
  const instances: Record<string, unknown> = {};
  let preemptions = 0;
  for (const [name, st] of [...m.instances.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    preemptions += st.preemptions;
    instances[name] = {
      busy_fraction: round6(duration > 0 ? st.busyS / duration : 0),
      iterations: st.iterations,
      mean_batch_size: round6(st.iterations > 0 ? st.batchSizeSum / st.iterations : 0),
      mean_tokens_per_iteration: round6(st.iterations > 0 ? st.newTokensSum / st.iterations : 0),
      preemptions: st.preemptions,
    };
  }
  const { hasSlo: _h, ...rest } = extra;
  s.pdsim = {
    preemptions,
    preempted_requests: m.preemptedRequests,
    goodput_requests: m.good,
    prefix_cache_hit_tokens: m.cachedPromptTokens,
    prefix_cache_hit_rate: round6(m.totalInputTokens > 0 ? m.cachedPromptTokens / m.totalInputTokens : 0),
    failures: Object.fromEntries([...m.failures.entries()].sort()),
    quantiles_exact: m.ttftMs.isExact && m.tpotMs.isExact && m.itlMs.isExact && m.e2elMs.isExact,
    instances,
    ...rest,
  };
  return s as Summary;
}
