/**
 * The run-information keys `vllm bench serve --save-result` writes before its results (serve.py
 * `main_async`; reference vllm-and-node.md 1.3), so a pdsim summary.json reads like a bench result
 * file: `date, endpoint_type, backend, label, model_id, tokenizer_id, num_prompts, request_rate`
 * (a number, or "inf" when all requests arrive at once), `burstiness, max_concurrency`, the ramp-up
 * keys when one is used, and the two peak figures `max_output_tokens_per_s` and
 * `max_concurrent_requests`.
 *
 * `date` is vLLM's `%Y%m%d-%H%M%S` stamp taken from SOURCE_DATE_EPOCH when set, else null: a
 * simulation must give byte-identical output for the same scenario and seed, so it carries no
 * wall-clock date of its own.
 */
import type { WorkloadSpec } from '../workload/spec.js';
import type { BenchPeaks } from './bench-peaks.js';
import type { BenchRunInfo } from './summary-schema.js';

export interface BenchInfoInput {
  /** `label`: the scenario's name. */
  label: string;
  workload: WorkloadSpec;
  numPrompts: number;
  /** The model's Hugging Face id (catalog `hfId`). */
  hfId: string;
  peaks: BenchPeaks;
  env?: Record<string, string | undefined>;
  /** `backend` / `endpoint_type`: "pdsim" for a simulation; a measured run names its API ("openai", "openai-chat"). */
  backend?: string;
}

/** `YYYYmmdd-HHMMSS` (UTC) of a Unix time in seconds, as vLLM's `datetime.now().strftime`. */
export function benchDate(epochS: number): string {
  const d = new Date(epochS * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

export function benchRunInfo(i: BenchInfoInput): BenchRunInfo {
  const w = i.workload;
  const a = w.arrival ?? { process: 'poisson' as const };
  const epochText = (i.env ?? process.env)['SOURCE_DATE_EPOCH'];
  let rate: number | 'inf' | null = null;
  let burstiness: number | null = null;
  if (!w.trace) {
    // vLLM writes "inf" for an infinite rate, and with a ramp-up its --request-rate stays at its default, inf.
    rate = a.process === 'all-at-once' || a.rampUp ? 'inf' : (a.rate ?? null);
    burstiness = a.process === 'gamma' ? (a.burstiness ?? 1) : a.process === 'poisson' ? 1 : null;
  }
  const info: BenchRunInfo = {
    date: epochText !== undefined && epochText !== '' && Number.isFinite(Number(epochText)) ? benchDate(Number(epochText)) : null,
    endpoint_type: i.backend ?? 'pdsim',
    backend: i.backend ?? 'pdsim',
    label: i.label,
    model_id: i.hfId,
    tokenizer_id: i.hfId,
    num_prompts: i.numPrompts,
    request_rate: rate,
    burstiness,
    max_concurrency: w.maxConcurrency ?? null,
  };
  if (a.rampUp) {
    info.ramp_up_strategy = a.rampUp.strategy;
    info.ramp_up_start_rps = a.rampUp.startRps;
    info.ramp_up_end_rps = a.rampUp.endRps;
  }
  return info;
}

/**
 * A measured summary (validate) with the run-info keys first (where vLLM puts them) and the peak
 * figures after the throughputs; every other key keeps its place. A simulated one is assembled in
 * this order by summary.ts.
 */
export function withBenchRunInfo<S extends object>(summary: S, i: BenchInfoInput): S {
  const out: Record<string, unknown> = { ...benchRunInfo(i) };
  for (const [k, v] of Object.entries(summary as Record<string, unknown>)) {
    out[k] = v;
    if (k === 'total_token_throughput') {
      out['max_output_tokens_per_s'] = i.peaks.maxOutputTokensPerS;
      out['max_concurrent_requests'] = i.peaks.maxConcurrent;
    }
  }
  return out as S;
}
