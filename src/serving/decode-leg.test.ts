import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../kernel/random.js';
import { Simulator } from '../kernel/simulator.js';
import { ColocatedDeployment } from './colocated-deployment.js';
import { EngineInstance, type InstanceConfig } from './instance.js';
import { LinearPerfModel, RecordingSink } from './testing.js';

const cfg = (numGpuBlocks: number): InstanceConfig => ({
  name: 'r0', role: 'colocated', maxNumSeqs: 8, maxNumBatchedTokens: 64, blockSizeTokens: 4, numGpuBlocks,
  maxModelLen: 4096, enableChunkedPrefill: true, enablePrefixCaching: false, prefillOrder: 'fcfs', fastForward: false,
});

function run(numGpuBlocks: number, busyFirst = false) {
  const sim = new Simulator();
  const sink = new RecordingSink();
  const inst = new EngineInstance(cfg(numGpuBlocks), sim, new LinearPerfModel(1, 0.1), sink);
  const dep = new ColocatedDeployment([inst], { policy: 'round-robin', rng: new RandomStreams(1).stream('router'), keyed: false, blockSizeTokens: 4, nowS: () => sim.now });
  // Another request (12 + 20 tokens) holds 4-8 of the blocks while it runs (about 25 ms).
  if (busyFirst) sim.scheduleAt(0, () => dep.submit({ id: 1, arrivalS: 0, promptTokens: 12, outputTokens: 20 }));
  const at = busyFirst ? 0.01 : 0.5;
  sim.scheduleAt(at, () => dep.submitDecodeLeg({ id: 7, arrivalS: at, promptTokens: 30, outputTokens: 5 }));
  sim.run();
  return { sink, inst };
}

describe('Deployment.submitDecodeLeg (remote prefill, as pdsim serve receives it from a P/D proxy)', () => {
  it('joins with its prompt KV reserved: a 1-token recompute step samples its first token, then decode steps', () => {
    const { sink, inst } = run(100);
    const f = sink.finished[0]!;
    // As vLLM's D: num_computed = num_tokens - 1 after the pull, so the first step computes the last
    // prompt token (1 ms + 0.1 ms/token in this perf model) and samples token 1 of the 5 asked for.
    expect(f.firstTokenS).toBeCloseTo(0.5 + 0.0011, 12);
    expect(f.generated).toBe(5);
    expect(sink.iterations.map((i) => i.newTokens)).toEqual([1, 1, 1, 1, 1]);
    expect(sink.iterations.slice(1).map((i) => i.kind)).toEqual(['decode', 'decode', 'decode', 'decode']);
    expect(inst.blocks.usedBlocks).toBe(0);
  });
  it('with no room for the pulled KV it is prefilled locally, as vLLM falls back to recompute', () => {
    // 9 blocks of 4 tokens: the leg's 31 tokens of KV need 8, and 4-5 are taken at 10 ms.
    const { sink, inst } = run(9, true);
    const f = sink.finished.find((x) => x.id === 7)!;
    expect(f.error).toBeUndefined();
    expect(f.generated).toBe(5);
    expect(f.firstTokenS!).toBeGreaterThan(sink.finished.find((x) => x.id === 1)!.timeS);
    expect(sink.iterations.some((i) => i.kind === 'prefill' && i.newTokens === 30)).toBe(true);
    expect(inst.blocks.usedBlocks).toBe(0);
  });
});
