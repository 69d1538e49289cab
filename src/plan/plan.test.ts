import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeCommand } from '../cli/commands/merge.js';
import { planCommand } from '../cli/commands/plan.js';
import { loadScenario } from '../scenario/load.js';
import { evaluate } from './evaluate.js';
import { knownModelsDir, quiet } from './testing.js';

/** Unloaded TTFT (= the service time, one prefill iteration) of the known scenario on a GPU. */
async function serviceS(modelsDir: string, scenario: string, gpu: string): Promise<number> {
  const l = loadScenario(scenario, [`deployment.pools.0.gpu=${gpu}`, 'workload.arrival.rate=0.01', 'workload.requests=3'], modelsDir);
  const { summary } = await evaluate({ raw: l.scenario as unknown as Record<string, unknown>, file: l.file, baseDir: l.baseDir, seed: 1, modelsDir });
  return (summary.mean_ttft_ms as number) / 1000;
}

describe('pdsim plan on a search space with a hand-computed optimum', () => {
  const { modelsDir, scenario, dir } = knownModelsDir();

  it('finds the rate the queueing formula gives, and picks the cheap GPU per dollar and the fast one per GPU', async () => {
    const sSlow = await serviceS(modelsDir, scenario, 'slow');
    const sFast = await serviceS(modelsDir, scenario, 'fast');
    // Pure rooflines: twice the FLOPs and bytes per second = half the iteration time.
    expect(sFast / sSlow).toBeCloseTo(0.5, 3);
    // One sequence at a time, constant arrivals 1/r apart: request k (from 0) waits k(s - 1/r), so
    // TTFT_k = s + k(s - 1/r). 95 of 100 requests meet the SLO T iff request 94 does:
    // r* = 1 / (s - (T - s) / 94).
    const T = 2 * sSlow;
    const rStar = (s: number) => 1 / (s - (T - s) / 94);
    const relTol = 0.02;
    const out = path.join(dir, 'plan');
    const r = await quiet(() => planCommand(scenario, { gpus: 'slow,fast', price: 'slow=1,fast=3', maxGpus: '1', modes: 'colocated', replicates: '1', requests: '100', relTol: String(relTol), attainment: '0.95', set: [`slo.ttftMs=${T * 1000}`], jobs: '1', out, modelsDir }));
    const byGpu = Object.fromEntries(r.lines.map((l) => [(l.deployment as { pool: { gpu: string } }).pool.gpu, l]));
    for (const [gpu, s] of [['slow', sSlow], ['fast', sFast]] as const) {
      const found = byGpu[gpu]!.maxRate!.mean;
      // Bisection keeps a passing rate lo and a failing hi with (hi - lo)/lo <= relTol around r*.
      expect(found).toBeLessThanOrEqual(rStar(s) * 1.0001);
      expect(found).toBeGreaterThanOrEqual(rStar(s) / (1 + relTol) / 1.0001);
    }
    // Per dollar: slow gives r*_slow / $1, fast r*_fast / $3 (about 2.1 / 3 of it): slow wins. Per GPU, fast.
    const frontier = JSON.parse(readFileSync(path.join(out, 'frontier.json'), 'utf8')) as { perGpu: number[]; perDollar: number[] };
    const pointOf = (g: string) => byGpu[g]!.point;
    expect(frontier.perDollar).toContain(pointOf('slow'));
    expect(frontier.perGpu).toContain(pointOf('fast'));
    expect(byGpu.slow!.requestsPerDollar!).toBeGreaterThan(byGpu.fast!.requestsPerDollar!);
    expect(readFileSync(path.join(out, 'best', 'per-dollar.yaml'), 'utf8')).toContain('gpu: slow');
    expect(readFileSync(path.join(out, 'best', 'per-gpu.sh'), 'utf8')).toContain('vllm serve');
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('chart-extra-0');
    // The made-up GPUs are copies of the uncalibrated L4 profile: each candidate says so.
    for (const l of r.lines) expect(l.outOfRange).toEqual([expect.objectContaining({ what: 'gpu profile', value: (l.deployment as { pool: { gpu: string } }).pool.gpu })]);
  }, 120_000);

  it('threads and shards do not change a byte; pruned candidates are dominated by a same-hardware sibling', async () => {
    const flags = { gpus: 'slow,fast', maxGpus: '2', modes: 'colocated', maxNumSeqs: '1,4', maxNumBatchedTokens: '1024,2048', replicates: '2', requests: '40', set: ['slo.ttftMs=600', 'workload.arrival.process=poisson'], modelsDir };
    const serial = path.join(dir, 'serial');
    const full = await quiet(() => planCommand(scenario, { ...flags, jobs: '1', out: serial }));
    const threaded = path.join(dir, 'threaded');
    await quiet(() => planCommand(scenario, { ...flags, jobs: '2', out: threaded }));
    const shards = [0, 1, 2].map((i) => path.join(dir, `shard-${i}`));
    for (const [i, d] of shards.entries()) await quiet(() => planCommand(scenario, { ...flags, jobs: '1', shard: `${i}/3`, out: d }));
    const merged = path.join(dir, 'merged');
    await quiet(() => mergeCommand(merged, shards));
    for (const f of ['plan.jsonl', 'frontier.json', 'best/per-gpu.yaml']) {
      const want = readFileSync(path.join(serial, f), 'utf8');
      expect(readFileSync(path.join(threaded, f), 'utf8'), f).toBe(want);
      expect(readFileSync(path.join(merged, f), 'utf8'), f).toBe(want);
    }
    // 6 hardware groups (1x, 2x, 1x tp2 of each GPU) x 4 knob settings.
    expect(full.lines).toHaveLength(24);
    const pruned = full.lines.filter((l) => l.status === 'pruned');
    for (const p of pruned) {
      const by = full.lines[Number(/candidate (\d+)/.exec(p.reason!)![1])]!;
      expect(by.group).toBe(p.group);
      expect(by.firstSeed!.rate).toBeGreaterThanOrEqual(p.firstSeed!.rate);
      expect(by.firstSeed!.latencyMs).toBeLessThanOrEqual(p.firstSeed!.latencyMs);
      // Pruned after the first seed: no more seeds spent on it.
      expect(p.rates).toHaveLength(1);
    }
    expect(full.lines.filter((l) => l.status === 'ok').every((l) => l.rates.length === 2)).toBe(true);
  }, 240_000);

  it('says which constraint binds when no candidate can meet the SLO', async () => {
    const sSlow = await serviceS(modelsDir, scenario, 'slow');
    await expect(quiet(() => planCommand(scenario, { gpus: 'slow', maxGpus: '1', modes: 'colocated', replicates: '1', requests: '20', set: [`slo.ttftMs=${sSlow * 500}`], jobs: '1', out: path.join(dir, 'none'), modelsDir }))).rejects.toThrow(/no candidate meets.*p90 ttft .* ms > SLO/);
  }, 60_000);

  it('rejects unknown GPUs, prices for GPUs not planned, and a scenario without an SLO', async () => {
    const base = { maxGpus: '1', out: path.join(dir, 'bad'), modelsDir, jobs: '1' };
    await expect(planCommand(scenario, { ...base, gpus: 'slwo' })).rejects.toThrow(/unknown GPU id "slwo" \(did you mean "slow"\?\)/);
    await expect(planCommand(scenario, { ...base, gpus: 'slow', price: 'fast=2' })).rejects.toThrow(/--price fast: this GPU is not in --gpus/);
    await expect(planCommand(scenario, { ...base, gpus: 'slow', price: 'slow=abc' })).rejects.toThrow(/--price expects/);
    await expect(planCommand(scenario, { ...base, gpus: 'slow', set: ['slo={}'] })).rejects.toThrow(/\/slo: pdsim plan needs an SLO/);
  });
});
