/**
 * summary.json, assembled here and only here from the collector's counters and the typed figures
 * the deployment reports: the key names of `vllm bench serve --save-result` at the top level (with
 * the bench's own definitions, bench-definitions.ts), everything pdsim adds under `pdsim`. The shape
 * is `Summary` (summary-schema.ts, docs/summary.schema.json); definitions: docs/metrics.md.
 */
import { round6 } from '../round.js';
import { benchRunInfo, type BenchInfoInput } from './bench-info.js';
import { latencyKeys, throughputKeys } from './bench-definitions.js';
import type { MetricsCollector } from './collector.js';
import type { DeploymentFigures, InstanceFigures, KvCapacityFigures, Summary } from './summary-schema.js';
import type { RangeFlag } from '../perf/range-flags.js';

export type { Summary } from './summary-schema.js';

/** What the run knows of itself (pdsim.seed ... pdsim.kv_capacity). */
export interface RunFigures {
  seed: number;
  scenario: string;
  /** Catalog model id. */
  model: string;
  simulatedEvents: number;
  interrupted: boolean;
  uncalibratedGpus: string[];
  /** Where a prediction leaves a profile's calibrated range (src/perf/range-flags.ts). */
  outOfRange: RangeFlag[];
  /** One per pool, by pool name (a later pool of the same name wins, as object keys do). */
  kvCapacity: readonly ({ pool: string } & Pick<KvCapacityFigures, 'gpu' | 'tp'> & { numGpuBlocks: number; blockSize: number })[];
}

export interface SummaryInput {
  collector: MetricsCollector;
  /** request_goodput is null without an SLO. */
  hasSlo: boolean;
  run: RunFigures;
  /** The bench run-information keys (the peaks come from the collector). */
  bench: Omit<BenchInfoInput, 'peaks'>;
  /** Transfers, links, staging, tiers: what the deployment adds under `pdsim`. */
  deployment?: DeploymentFigures;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function summarize(i: SummaryInput): Summary {
  const m = i.collector;
  const duration = m.lastFinishS;
  const instances: Record<string, InstanceFigures> = {};
  let preemptions = 0;
  for (const [name, st] of [...m.instances.entries()].sort(([a], [b]) => byName(a, b))) {
    preemptions += st.preemptions;
    instances[name] = {
      busy_fraction: round6(duration > 0 ? st.busyS / duration : 0),
      iterations: st.iterations,
      mean_batch_size: round6(st.iterations > 0 ? st.batchSizeSum / st.iterations : 0),
      mean_tokens_per_iteration: round6(st.iterations > 0 ? st.newTokensSum / st.iterations : 0),
      preemptions: st.preemptions,
    };
  }
  const r = i.run;
  return {
    ...benchRunInfo({ ...i.bench, peaks: m.peaks }),
    ...throughputKeys({ completed: m.completed, failed: m.failed, good: i.hasSlo ? m.good : null, totalInputTokens: m.totalInputTokens, totalOutputTokens: m.totalOutputTokens, durationS: duration }),
    max_output_tokens_per_s: m.peaks.maxOutputTokensPerS,
    max_concurrent_requests: m.peaks.maxConcurrent,
    ...latencyKeys('ttft', m.ttftMs),
    ...latencyKeys('tpot', m.tpotMs),
    // Mean ITL = all gaps pooled: per request the gaps sum to (e2el - ttft), exactly.
    ...latencyKeys('itl', m.itlMs, m.decodeGaps > 0 ? (m.decodeSpanS * 1000) / m.decodeGaps : NaN),
    ...latencyKeys('e2el', m.e2elMs),
    pdsim: {
      preemptions,
      preempted_requests: m.preemptedRequests,
      goodput_requests: m.good,
      prefix_cache_hit_tokens: m.cachedPromptTokens,
      prefix_cache_hit_rate: round6(m.totalInputTokens > 0 ? m.cachedPromptTokens / m.totalInputTokens : 0),
      failures: Object.fromEntries([...m.failures.entries()].sort()),
      quantiles_exact: m.ttftMs.isExact && m.tpotMs.isExact && m.itlMs.isExact && m.e2elMs.isExact,
      instances,
      seed: r.seed,
      scenario: r.scenario,
      model: r.model,
      simulated_events: r.simulatedEvents,
      interrupted: r.interrupted,
      uncalibrated_gpus: r.uncalibratedGpus,
      out_of_range: r.outOfRange,
      kv_capacity: Object.fromEntries(r.kvCapacity.map((p) => [p.pool, { gpu: p.gpu, tp: p.tp, num_gpu_blocks: p.numGpuBlocks, block_size: p.blockSize, kv_tokens: p.numGpuBlocks * p.blockSize }])),
      ...i.deployment,
    },
  };
}

/** A top-level figure chosen by name at run time (plan and sweep options): its number, or null. */
export function figureOf(s: Summary, key: string): number | null {
  const v = (s as Record<string, unknown>)[key];
  return typeof v === 'number' ? v : null;
}
