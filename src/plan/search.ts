/**
 * The search inside one hardware group: for each candidate, the highest arrival rate at which the
 * fraction of requests meeting every SLO stays at or above the target, found per seed by an
 * exponential bracket then bisection on the rate (attainment is assumed to fall as load rises).
 * Seed 1 is searched for every candidate; candidates dominated on it by a same-hardware sibling
 * (no higher rate, no lower latency, one strictly; or exactly equal to an earlier one) are pruned
 * before the other seeds are spent.
 * Everything here depends on the group's own candidates only, so a group gives the same result in
 * any thread, shard or order.
 */
import { UserError } from '../errors.js';
import type { SloSpec } from '../metrics/collector.js';
import { figureOf, type Summary } from '../metrics/summary.js';
import type { RangeFlag } from '../perf/range-flags.js';
import { evaluate } from './evaluate.js';
import { sloAttainment } from './replicates.js';
import { applyCandidate, type Candidate } from './space.js';
import { meanInterval, type Interval } from './stats.js';

export interface SearchSettings {
  seeds: number[];
  /** Fraction of requests that must meet every SLO, e.g. 0.95. */
  attainment: number;
  /** Requests per evaluation. */
  requests: number;
  /** First rate tried, req/s. */
  startRate: number;
  /** Bisection stops when (hi - lo) / lo is below this. */
  relTol: number;
  /** Latency figure of the frontier (a summary key, lower is better). */
  latencyKey: string;
}

export interface GroupTask {
  base: Record<string, unknown>;
  file: string;
  baseDir: string;
  modelsDir?: string;
  candidates: Candidate[];
  settings: SearchSettings;
}

/** What one seed's search found: the rate and the summary of the run at that rate. */
interface SeedResult {
  rate: number;
  summary: Summary;
  evaluations: number;
  uncalibratedGpus: string[];
}

export interface CandidateResult {
  point: number;
  label: string;
  status: 'ok' | 'pruned' | 'infeasible';
  /** Why pruned (the dominating sibling) or infeasible (which constraint binds). */
  reason?: string;
  /** Per-seed maximum rates, req/s. */
  rates: number[];
  maxRate?: Interval;
  latencyMs?: Interval;
  attainment?: Interval;
  outputThroughput?: Interval;
  p99TtftMs?: Interval;
  meanTpotMs?: Interval;
  /** The first seed's rate and latency: what pruning compared. */
  firstSeed?: { rate: number; latencyMs: number };
  /** GPU profiles without measured calibration: expect a wider error (models/gpu/<id>.json expectedError). */
  uncalibratedGpus?: string[];
  /** What of the first seed's run at its maximum rate lies outside the profiles' calibrated ranges (summary pdsim.out_of_range). */
  outOfRange?: RangeFlag[];
  evaluations: number;
}

export type GroupResult = CandidateResult[];

const MAX_STEPS = 14;

/** The most requests that may miss an SLO while good / total >= target still holds (the same comparison as the verdict). */
export function maxMisses(total: number, target: number): number {
  let m = Math.floor(total * (1 - target)) + 1;
  while (m > 0 && (total - m) / total < target) m--;
  return m;
}

/** Why a run misses the target: which SLO (from the p99s and p90s) or failures. */
function bindingConstraint(s: Summary, slo: Record<string, number | undefined>): string {
  const parts: string[] = [];
  if ((s.failed as number) > 0) parts.push(`${s.failed} requests failed (${Object.keys(s.pdsim.failures as object).join('; ')})`);
  const checks: [string, string, number | undefined][] = [['ttftMs', 'p90_ttft_ms', slo.ttftMs], ['tpotMs', 'p90_tpot_ms', slo.tpotMs], ['e2elMs', 'p90_e2el_ms', slo.e2elMs]];
  for (const [name, key, limit] of checks) {
    const v = figureOf(s, key);
    if (limit !== undefined && v !== null && v > limit) parts.push(`p90 ${name.replace('Ms', '')} ${v.toFixed(1)} ms > SLO ${limit} ms`);
  }
  return parts.length > 0 ? parts.join(', ') : `attainment ${(sloAttainment(s) ?? 0).toFixed(3)} below target`;
}

/**
 * Bracket steps: from a cold start (the scenario's rate) the rate doubles or halves; from a warm one
 * (a sibling's or the first seed's result, usually within the seed-to-seed spread of the answer)
 * the first step is 1 + 4·relTol and each further step squares the factor (1.2, 1.44, 2.07, 4.3, ...
 * at 5%) up to 16, so a good guess is bracketed in one or two runs and a bad one still in a few
 * (the cap keeps MAX_STEPS steps finite: squaring without it overflows to Infinity by step 13).
 */
export function bracketFactors(warm: boolean, relTol: number): () => number {
  let f = warm ? 1 + 4 * relTol : 2;
  return () => {
    const out = f;
    if (warm) f = Math.min(f * f, 16);
    return out;
  };
}

async function searchSeed(task: GroupTask, c: Candidate, seed: number, startRate: number, warm: boolean): Promise<SeedResult | { fail: string; evaluations: number }> {
  const st = task.settings;
  let evaluations = 0;
  let uncalibrated: string[] = [];
  const stopAfterMisses = { slo: task.base.slo as SloSpec, maxMisses: maxMisses(st.requests, st.attainment) };
  // allowStop: runs above a passing rate may stop once the target is out of reach (same verdict, less work).
  const run = async (rate: number, allowStop = true) => {
    evaluations++;
    const raw = applyCandidate(task.base, c, rate, st.requests);
    const out = await evaluate({ raw, file: task.file, baseDir: task.baseDir, seed, modelsDir: task.modelsDir, stopAfterMisses: allowStop ? stopAfterMisses : undefined });
    uncalibrated = out.uncalibratedGpus;
    return { summary: out.summary, ok: !out.stoppedEarly && (sloAttainment(out.summary) ?? 0) >= st.attainment };
  };
  let rate = startRate;
  const step = bracketFactors(warm, st.relTol);
  let first = await run(rate, false);
  let lo: { rate: number; summary: Summary } | undefined;
  let hi = Infinity;
  if (first.ok) {
    lo = { rate, summary: first.summary };
    for (let i = 0; i < MAX_STEPS && hi === Infinity; i++) {
      rate *= step();
      const r = await run(rate);
      if (r.ok) lo = { rate, summary: r.summary };
      else hi = rate;
    }
  } else {
    hi = rate;
    for (let i = 0; i < MAX_STEPS && !lo; i++) {
      rate /= step();
      // Not stopped early: the last failing run's figures say which constraint binds.
      const r = await run(rate, false);
      if (r.ok) lo = { rate, summary: r.summary };
      else {
        hi = rate;
        first = r;
      }
    }
    if (!lo) return { fail: `misses the ${st.attainment} attainment target even at ${rate.toPrecision(3)} req/s: ${bindingConstraint(first.summary, task.base.slo as Record<string, number>)}`, evaluations };
  }
  while (hi !== Infinity && (hi - lo.rate) / lo.rate > st.relTol) {
    const mid: number = (lo.rate + hi) / 2;
    const r = await run(mid);
    if (r.ok) lo = { rate: mid, summary: r.summary };
    else hi = mid;
  }
  return { rate: lo.rate, summary: lo.summary, evaluations, uncalibratedGpus: uncalibrated };
}

function dominates(a: SeedResult, b: SeedResult, key: string): boolean {
  const la = figureOf(a.summary, key) as number;
  const lb = figureOf(b.summary, key) as number;
  return a.rate >= b.rate && la <= lb && (a.rate > b.rate || la < lb);
}

function equalPoint(a: SeedResult, b: SeedResult, key: string): boolean {
  return a.rate === b.rate && figureOf(a.summary, key) === figureOf(b.summary, key);
}

const iv = (results: readonly SeedResult[], f: (r: SeedResult) => number): Interval => meanInterval(results.map(f));

export async function searchGroup(task: GroupTask): Promise<GroupResult> {
  const st = task.settings;
  const firstSeed: (SeedResult | { fail: string; evaluations: number })[] = [];
  let start = st.startRate;
  let warm = false;
  for (const c of task.candidates) {
    try {
      const r = await searchSeed(task, c, st.seeds[0]!, start, warm);
      // A sibling's rate is a good first guess for the next knob setting of the same hardware.
      if ('rate' in r) {
        start = r.rate;
        warm = true;
      }
      firstSeed.push(r);
    } catch (e) {
      // A deployment the engine cannot build (e.g. weights do not fit) is infeasible, not an error of the plan.
      if (!(e instanceof UserError)) throw e;
      firstSeed.push({ fail: `cannot be built: ${e.message}`, evaluations: 0 });
    }
  }
  const out: GroupResult = [];
  for (const [i, c] of task.candidates.entries()) {
    const r0 = firstSeed[i]!;
    if (!('rate' in r0)) {
      out.push({ point: c.index, label: c.label, status: 'infeasible', reason: r0.fail, rates: [], evaluations: r0.evaluations });
      continue;
    }
    // Dominated, or equal to an earlier sibling (knobs that change nothing, e.g. a batch budget never reached).
    const dom = task.candidates.findIndex((_, j) => j !== i && 'rate' in firstSeed[j]! && (dominates(firstSeed[j] as SeedResult, r0, st.latencyKey) || (j < i && equalPoint(firstSeed[j] as SeedResult, r0, st.latencyKey))));
    const results: SeedResult[] = [r0];
    const rates = [r0.rate];
    let evaluations = r0.evaluations;
    if (dom < 0) {
      for (const seed of st.seeds.slice(1)) {
        // The mean of the seeds so far is the best guess of the next seed's rate (seeds spread by tens of percent).
        const guess = results.reduce((sum, x) => sum + x.rate, 0) / results.length;
        const r = await searchSeed(task, c, seed, guess, true);
        evaluations += r.evaluations;
        // A later seed that misses the target at every rate counts as rate 0 (its latency has no run to come from).
        rates.push('rate' in r ? r.rate : 0);
        if ('rate' in r) results.push(r);
      }
    }
    const fig = (k: string) => iv(results, (r) => figureOf(r.summary, k) as number);
    out.push({
      point: c.index,
      label: c.label,
      status: dom < 0 ? 'ok' : 'pruned',
      ...(dom >= 0 ? { reason: `dominated (or equalled) on seed ${st.seeds[0]} by candidate ${task.candidates[dom]!.index} (${task.candidates[dom]!.label})` } : {}),
      rates,
      maxRate: meanInterval(rates),
      latencyMs: fig(st.latencyKey),
      attainment: iv(results, (r) => sloAttainment(r.summary) ?? 0),
      outputThroughput: fig('output_throughput'),
      p99TtftMs: fig('p99_ttft_ms'),
      meanTpotMs: fig('mean_tpot_ms'),
      firstSeed: { rate: r0.rate, latencyMs: figureOf(r0.summary, st.latencyKey) as number },
      ...(r0.uncalibratedGpus.length > 0 ? { uncalibratedGpus: r0.uncalibratedGpus } : {}),
      outOfRange: r0.summary.pdsim.out_of_range as RangeFlag[],
      evaluations,
    });
  }
  return out;
}
