import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenCases, loadCase } from '../run/golden.js';
import { MemoryRecordWriter } from '../run/record-writer.js';
import { runSimulation } from '../run/simulation.js';
import { EngineInstance, type InstanceConfig } from './instance.js';
import { resolveScenario, type LoadedScenario } from '../scenario/load.js';
import { Simulator } from '../kernel/simulator.js';
import { RandomStreams } from '../kernel/random.js';
import { ColocatedDeployment } from './colocated-deployment.js';
import { LinearPerfModel, RecordingSink } from './testing.js';
import type { RequestState } from './request-state.js';

/** The walk outstandingTokens() did before the counter: every queued request's tokens still to compute or generate. */
function walk(inst: EngineInstance): number {
  let t = 0;
  for (const r of inst.waiting as RequestState[]) t += r.numTokens - r.numComputed + r.spec.outputTokens - r.generated;
  for (const r of inst.running) t += r.numTokens - r.numComputed + r.spec.outputTokens - r.generated;
  return t;
}

// CPU-tier loads set a waiting request's computed tokens in place; prefix sharing across 2 replicas
// with few GPU blocks makes hits on evicted prefixes, so loads (and swap-ins) happen while others wait.
function tiers(preemptionMode: 'recompute' | 'swap'): LoadedScenario {
  const raw = {
    name: 'tiers-count', seed: 5, model: 'qwen2.5-1.5b-instruct',
    engine: {
      maxNumSeqs: 16, maxNumBatchedTokens: 1024, maxModelLen: 2048, numGpuBlocks: 200, enableChunkedPrefill: true,
      enablePrefixCaching: true, kvOffloadingGiB: 0.5, preemptionMode, swapSpaceGiB: preemptionMode === 'swap' ? 0.05 : 0,
    },
    deployment: { pools: [{ role: 'colocated', gpu: 'rtx-2080-super-maxq', instances: 2 }], router: { policy: 'least-outstanding-tokens' }, topology: { gpusPerNode: 2, hostLink: 'pcie-gen3-x16', hostMemory: 'laptop-ddr4', disk: 'nvme-gen3' } },
    workload: {
      requests: 200, arrival: { process: 'poisson', rate: 12 },
      input: { dist: 'uniform', min: 20, max: 1800 }, output: { dist: 'uniform', min: 1, max: 240 },
      prefixSharing: { sharedPrefixTokens: 512, groups: 8 },
    },
  };
  return { scenario: resolveScenario(raw, 'test.yaml'), file: 'test.yaml', baseDir: process.cwd() };
}

// The engine keeps its waiting requests' outstanding tokens as a counter (instance.ts): with the
// debug check on, every arrival, step and router read compares it with a walk of the queues and
// throws on a difference. The golden cases cover preemption (recompute and swap), async late
// arrivals, prefix hits, tier loads, P/D admission and the token-reading routers.
describe('waiting-token counter equals the walk of the queues', () => {
  beforeAll(() => { EngineInstance.checkTokenCounter = true; });
  afterAll(() => { EngineInstance.checkTokenCounter = false; });
  for (const c of goldenCases) {
    it(`${c.name}, fast path and step by step`, async () => {
      const before = EngineInstance.tokenChecks;
      const fast = await runSimulation(loadCase(c), { writer: new MemoryRecordWriter(), fastForward: true });
      const slow = await runSimulation(loadCase(c), { writer: new MemoryRecordWriter(), fastForward: false });
      expect(fast.summary.completed).toBe(slow.summary.completed);
      // Compared with something waiting at least once (every case queues some requests).
      expect(EngineInstance.tokenChecks).toBeGreaterThan(before);
    }, 60_000);
  }
  for (const mode of ['recompute', 'swap'] as const) {
    it(`KV tiers with loads into waiting requests (${mode} preemption), fast path and step by step`, async () => {
      const before = EngineInstance.tokenChecks;
      const fast = await runSimulation(tiers(mode), { writer: new MemoryRecordWriter(), fastForward: true });
      const slow = await runSimulation(tiers(mode), { writer: new MemoryRecordWriter(), fastForward: false });
      expect(fast.summary.completed).toBe(slow.summary.completed);
      expect((fast.summary.pdsim as { kv_tiers?: unknown }) !== undefined).toBe(true);
      expect(EngineInstance.tokenChecks).toBeGreaterThan(before);
    }, 60_000);
  }
});

describe('outstandingTokens() with the counter', () => {
  // 8 blocks of 4 tokens: request 0 (20-token prompt, 12 outputs) runs, request 1 (20 + 2) waits for its blocks.
  const cfg: InstanceConfig = {
    name: 'r0', role: 'colocated', maxNumSeqs: 8, maxNumBatchedTokens: 64, blockSizeTokens: 4, numGpuBlocks: 8,
    maxModelLen: 32, enableChunkedPrefill: true, enablePrefixCaching: false, prefillOrder: 'fcfs', fastForward: true,
  };
  it('equals the walk and the hand count through arrival, admission, abort of a waiting request and finishes', () => {
    const sim = new Simulator();
    const inst = new EngineInstance(cfg, sim, new LinearPerfModel(1, 0.1), new RecordingSink());
    const dep = new ColocatedDeployment([inst], { policy: 'round-robin', rng: new RandomStreams(1).stream('router'), keyed: false, blockSizeTokens: 4, nowS: () => sim.now });
    const reads: [number, number, number][] = [];
    const read = () => reads.push([inst.outstandingTokens(), walk(inst), inst.waitingTokensWalk()]);
    sim.scheduleAt(0, () => { dep.submit({ id: 0, arrivalS: 0, promptTokens: 20, outputTokens: 12 }); read(); });
    sim.scheduleAt(0.001, () => { dep.submit({ id: 1, arrivalS: 0.001, promptTokens: 20, outputTokens: 2 }); read(); });
    sim.scheduleAt(0.002, () => { read(); dep.abort(1); read(); });
    for (let t = 0.003; t < 0.05; t += 0.002) sim.scheduleAt(t, read);
    sim.run();
    // By hand: request 0 alone, 20 prompt + 12 output tokens; request 1 adds 20 + 2 while it waits.
    expect(reads[0]![0]).toBe(32);
    expect(reads[1]![2]).toBe(22);
    expect(reads[2]![2]).toBe(22);
    for (const [counted, walked] of reads) expect(counted).toBe(walked);
    // After the abort only request 0 is left (nothing waits); at the end nothing is.
    expect(reads[3]![2]).toBe(0);
    expect(reads[3]![0]).toBe(reads[2]![0] - 22);
    expect(inst.outstandingTokens()).toBe(0);
  });
});

