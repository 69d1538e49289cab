/**
 * Does a `vllm bench serve` result describe the run the scenario simulates? Checked before the
 * simulation, so a mismatch costs nothing: the traffic (number of prompts, request rate,
 * burstiness, max concurrency, ramp-up) must match, or the comparison would be meaningless, and a
 * UserError says which `--set`/`--requests` makes them match; the model and the token lengths may
 * legitimately differ in name or draw, so they give warnings.
 */
import { UserError } from '../../src/errors.js';
import { benchRunInfo } from '../../src/metrics/bench-info.js';
import { BenchPeaks } from '../../src/metrics/bench-peaks.js';
import type { Scenario } from '../../src/scenario/schema.js';
import type { RequestSpec } from '../../src/serving/types.js';
import type { BenchResult } from './bench-result.js';
import { vllmMessages } from '../../src/messages/vllm.js';

/** Relative tolerance for rates given on two command lines (8 vs 8.0). */
const RATE_TOLERANCE = 1e-6;
/** Mean token lengths further apart than this get a warning: the two runs did not send the same prompts. */
export const LENGTH_WARN_FRACTION = 0.1;

const same = (a: number, b: number): boolean => Math.abs(a - b) <= RATE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b), 1);
const show = (v: unknown): string => (v === null || v === undefined ? 'none' : String(v));
const baseName = (id: string): string => id.toLowerCase().split('/').pop()!.replace(/[^a-z0-9.]+/g, '-');

export function checkBenchAgainstScenario(b: BenchResult, sc: Scenario, specs: readonly RequestSpec[], hfId: string, file: string): string[] {
  const warnings: string[] = [];
  const info = b.info;
  const mine = benchRunInfo({ label: sc.name, workload: sc.workload, numPrompts: specs.length, hfId, peaks: new BenchPeaks(), env: {} });
  const mismatch = (key: string, theirs: unknown, ours: unknown, fix: string): never => {
    throw new UserError(vllmMessages.benchSettingDiffers(key, show(theirs), show(ours), fix), file, `/${key}`);
  };
  if (info.num_prompts !== null && info.num_prompts !== specs.length) mismatch('num_prompts', info.num_prompts, specs.length, `pass --requests ${info.num_prompts}`);
  if (b.requests && b.requests.length !== specs.length) mismatch('num_prompts', b.requests.length, specs.length, `pass --requests ${b.requests.length}`);
  const rate = info.request_rate;
  const ourRate = mine['request_rate'] as number | 'inf' | null;
  if (rate !== null && ourRate === null) warnings.push(`the bench result ran at request_rate ${rate}; the scenario replays a trace, so arrivals are not comparable`);
  else if (rate !== null && (rate === 'inf' || ourRate === 'inf' ? rate !== ourRate : !same(rate, ourRate as number))) {
    mismatch('request_rate', rate, ourRate, rate === 'inf' ? 'set workload.arrival.process=all-at-once' : `pass --set workload.arrival.rate=${rate}`);
  }
  const burst = info.burstiness;
  const ourBurst = mine['burstiness'] as number | null;
  if (burst !== null && ourBurst !== null && rate !== 'inf' && !same(burst, ourBurst)) {
    mismatch('burstiness', burst, ourBurst, `pass --set workload.arrival.process=gamma --set workload.arrival.burstiness=${burst}`);
  }
  const ourConc = mine['max_concurrency'] as number | null;
  if (info.max_concurrency !== ourConc) mismatch('max_concurrency', info.max_concurrency, ourConc, info.max_concurrency === null ? 'drop workload.maxConcurrency' : `pass --set workload.maxConcurrency=${info.max_concurrency}`);
  const ourRamp = [mine['ramp_up_strategy'] ?? null, mine['ramp_up_start_rps'] ?? null, mine['ramp_up_end_rps'] ?? null];
  const theirRamp = [info.ramp_up_strategy, info.ramp_up_start_rps, info.ramp_up_end_rps];
  if (theirRamp.some((v, i) => v !== ourRamp[i])) mismatch('ramp_up_strategy', theirRamp.join(' '), ourRamp.join(' '), 'set workload.arrival.rampUp {strategy, startRps, endRps} as the bench ran');

  if (info.model_id !== null && baseName(info.model_id) !== baseName(hfId)) {
    warnings.push(`the bench result is for model "${info.model_id}", the scenario simulates ${sc.model} (${hfId})`);
  }
  const completed = b.summary.completed;
  const ok = b.requests?.filter((r) => r.success);
  const theirIn = ok && b.requests!.some((r) => r.promptTokens > 0) ? ok.reduce((a, r) => a + r.promptTokens, 0) / ok.length : completed > 0 ? b.summary.total_input_tokens / completed : null;
  const theirOut = completed > 0 ? b.summary.total_output_tokens / completed : null;
  const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / Math.max(xs.length, 1);
  const lengths: [string, number | null, number][] = [
    ['input', theirIn, mean(specs.map((s) => s.promptTokens))],
    ['output', theirOut, mean(specs.map((s) => s.outputTokens))],
  ];
  for (const [what, theirs, ours] of lengths) {
    if (theirs !== null && theirs > 0 && Math.abs(ours - theirs) / theirs > LENGTH_WARN_FRACTION) {
      warnings.push(`mean ${what} length: the bench result ${theirs.toFixed(1)} tokens, the scenario ${ours.toFixed(1)} (${(((ours - theirs) / theirs) * 100).toFixed(0)} %): latencies will differ for that reason alone`);
    }
  }
  return warnings;
}
