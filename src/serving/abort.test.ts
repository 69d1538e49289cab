import { describe, expect, it } from 'vitest';
import { Simulator } from '../kernel/simulator.js';
import { ColocatedDeployment } from './colocated-deployment.js';
import { EngineInstance, type InstanceConfig } from './instance.js';
import { LinearPerfModel, RecordingSink } from './testing.js';
import { RandomStreams } from '../kernel/random.js';

// 8 blocks of 4 tokens: request 0 (20-token prompt, 12 outputs) holds 6-8 of them while it runs, so
// request 1 (20-token prompt, needs 6 blocks) waits for it.
const cfg: InstanceConfig = {
  name: 'r0', role: 'colocated', maxNumSeqs: 8, maxNumBatchedTokens: 64, blockSizeTokens: 4, numGpuBlocks: 8,
  maxModelLen: 32, enableChunkedPrefill: true, enablePrefixCaching: false, prefillOrder: 'fcfs', fastForward: true,
};

function run(abortAtS: number | null, id = 0) {
  const sim = new Simulator();
  const sink = new RecordingSink();
  const inst = new EngineInstance(cfg, sim, new LinearPerfModel(1, 0.1), sink);
  const dep = new ColocatedDeployment([inst], { policy: 'round-robin', rng: new RandomStreams(1).stream('router'), keyed: false, blockSizeTokens: 4, nowS: () => sim.now });
  sim.scheduleAt(0, () => dep.submit({ id: 0, arrivalS: 0, promptTokens: 20, outputTokens: 12 }));
  sim.scheduleAt(0.001, () => dep.submit({ id: 1, arrivalS: 0.001, promptTokens: 20, outputTokens: 2 }));
  let aborted: boolean | undefined;
  if (abortAtS !== null) sim.scheduleAt(abortAtS, () => (aborted = dep.abort(id)));
  sim.run();
  return { sink, inst, dep, aborted, r1: sink.finished.find((f) => f.id === 1)! };
}

describe('Deployment.abort', () => {
  it('frees the aborted request\'s blocks and slot, so a waiting request gets in earlier', () => {
    const base = run(null);
    const ab = run(0.006);
    expect(ab.aborted).toBe(true);
    expect(ab.sink.finished.find((f) => f.id === 0)!.error).toMatch(/aborted/);
    // Without the abort request 1 waits for request 0's 12 tokens (~15 ms); with it, it starts at the next step.
    expect(base.r1.firstTokenS!).toBeGreaterThan(0.015);
    expect(ab.r1.firstTokenS!).toBeLessThan(0.012);
    expect(ab.r1.firstTokenS!).toBeLessThan(base.r1.firstTokenS!);
    // Block conservation and the typed counter.
    expect(ab.inst.blocks.usedBlocks).toBe(0);
    expect(ab.inst.outstanding).toBe(0);
    expect(ab.dep.abortedCount).toBe(1);
    expect(ab.inst.numRunning + ab.inst.numWaiting).toBe(0);
  });
  it('aborting a waiting request removes it before it runs; an unknown or finished id is a no-op', () => {
    const ab = run(0.002, 1);
    expect(ab.aborted).toBe(true);
    expect(ab.r1.error).toMatch(/aborted/);
    expect(ab.r1.firstTokenS).toBeNull();
    expect(ab.sink.finished.find((f) => f.id === 0)!.error).toBeUndefined();
    expect(ab.inst.blocks.usedBlocks).toBe(0);
    const late = run(1);
    expect(late.aborted).toBe(false);
    expect(late.dep.abortedCount).toBe(0);
    expect(late.sink.finished.every((f) => f.error === undefined)).toBe(true);
  });
});
