/**
 * Arrival times of a synthetic workload, as `vllm bench serve` draws them (serve.py `get_request`,
 * reference sheet vllm-engine-facts.md section 8):
 *   - Poisson at `rate`, or gamma with shape = burstiness and scale = 1 / (rate x burstiness), so
 *     the mean gap stays 1 / rate; constant gaps; or all at t = 0;
 *   - ramp-up: request i of N has rate r_i = start + (end - start) x p (linear) or
 *     start x (end / start)^p (exponential), p = i / max(N - 1, 1), and its gap is drawn at r_i;
 *   - without ramp-up the cumulative delays are rescaled so the N requests span exactly N / rate.
 * The rescale needs the sum of all delays, so a first pass draws them from a twin stream (same seed
 * and name, same draws) and keeps only the sum: memory stays O(1).
 */
import type { RandomStreams } from '../kernel/random.js';
import { UserError } from '../errors.js';
import type { ArrivalSpec, WorkloadSpec } from './spec.js';
import { workloadMessages } from '../messages/workload.js';

/** The rate of request `i` of `n` under a ramp-up (vLLM's `_get_current_request_rate`). */
export function rampRate(ramp: NonNullable<ArrivalSpec['rampUp']>, i: number, n: number): number {
  const progress = i / Math.max(n - 1, 1);
  if (ramp.strategy === 'linear') return ramp.startRps + (ramp.endRps - ramp.startRps) * progress;
  return ramp.startRps * Math.pow(ramp.endRps / ramp.startRps, progress);
}

/** A function giving the gap before request i (seconds), before any rescaling. */
function gapFn(a: ArrivalSpec, n: number, streams: RandomStreams, file: string): (i: number) => number {
  if (a.process === 'all-at-once') {
    if (a.rampUp) throw new UserError(workloadMessages.rampUpNeedsProcess(), file, '/workload/arrival/rampUp');
    return () => 0;
  }
  const rng = streams.stream('arrivals');
  const ramp = a.rampUp;
  if (ramp) {
    if (a.rate !== undefined) throw new UserError(workloadMessages.rateAndRampUp(), file, '/workload/arrival/rate');
    if (a.process === 'constant') return (i) => 1 / rampRate(ramp, i, n);
  }
  const rateAt = ramp ? (i: number) => rampRate(ramp, i, n) : () => a.rate;
  if (!ramp && a.rate === undefined) throw new UserError(workloadMessages.arrivalProcessNeedsRate(a.process), file, '/workload/arrival/rate');
  if (a.process === 'constant') return () => 1 / a.rate!;
  if (a.process === 'poisson') return (i) => rng.exponential(1 / rateAt(i)!);
  const shape = a.burstiness ?? 1;
  return (i) => rng.gamma(shape, 1 / (rateAt(i)! * shape));
}

/**
 * Lazily yields the n arrival times (seconds from the start), non-decreasing. The first request
 * waits one gap, as in vLLM (its delay list starts with a draw).
 */
export function* arrivalTimes(w: WorkloadSpec, streams: RandomStreams, file: string): Generator<number> {
  const n = w.requests;
  const a: ArrivalSpec = w.arrival ?? { process: 'poisson' };
  const gap = gapFn(a, n, streams, file);
  let scale = 1;
  const randomGaps = a.process === 'poisson' || a.process === 'gamma';
  if (a.rescale !== false && randomGaps && !a.rampUp && a.rate !== undefined) {
    const twin = gapFn(a, n, streams, file);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += twin(i);
    if (sum > 0) scale = n / a.rate / sum;
  }
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += gap(i) * scale;
    yield t;
  }
}
