import { describe, expect, it } from 'vitest';
import { HashBlockKeys } from '../kv/hash-block-keys.js';
import { Simulator } from '../kernel/simulator.js';
import { GpuTurns } from './gpu-turns.js';
import { EngineInstance, type InstanceConfig } from './instance.js';
import { RequestState } from './request-state.js';
import { LinearPerfModel, RecordingSink } from './testing.js';

const cfg = (name: string, fastForward: boolean): InstanceConfig => ({
  name, role: 'colocated', maxNumSeqs: 8, maxNumBatchedTokens: 256, blockSizeTokens: 4, numGpuBlocks: 1000,
  maxModelLen: 4096, enableChunkedPrefill: true, enablePrefixCaching: false, prefillOrder: 'fcfs', fastForward,
});

/** Two instances on one GPU; A gets a long decode at t = 0, B a 100-token prompt at t = 0.0105. */
function run(fastForward: boolean) {
  const sim = new Simulator();
  const sink = new RecordingSink();
  const turns = new GpuTurns(sim);
  // Iteration = 1 ms + 0.1 ms per new token: a decode step 1.1 ms, a 100-token prefill 11 ms.
  const perf = new LinearPerfModel(1, 0.1);
  const [a, b] = ['a', 'b'].map((n) => new EngineInstance(cfg(n, fastForward), sim, perf, sink)) as [EngineInstance, EngineInstance];
  a.shareGpu(turns);
  b.shareGpu(turns);
  sim.scheduleAt(0, () => a.submit(new RequestState({ id: 0, arrivalS: 0, promptTokens: 10, outputTokens: 20 }, HashBlockKeys.EMPTY)));
  sim.scheduleAt(0.0105, () => b.submit(new RequestState({ id: 1, arrivalS: 0.0105, promptTokens: 100, outputTokens: 2 }, HashBlockKeys.EMPTY)));
  sim.run();
  return { sink, turns };
}

describe('GpuTurns: instances sharing a GPU take turns by iteration (hand-computed)', () => {
  it('a prompt arriving during a decode step waits for it; the decode then waits for the prefill', () => {
    const { sink, turns } = run(false);
    const byA = sink.iterations.filter((i) => i.instance === 'a');
    const byB = sink.iterations.filter((i) => i.instance === 'b');
    // A: prefill [0, 2 ms] (1 + 0.1 x 10), then 1.1 ms decode steps: the one in flight at 10.5 ms is
    // [9.7, 10.8] ms (2 + 7 x 1.1). B's prefill runs next, [10.8, 21.8] ms; A's next step starts at 21.8.
    expect(byA[0]!.endS).toBeCloseTo(0.002, 12);
    const inFlight = byA.find((i) => i.startS <= 0.0105 && i.endS > 0.0105)!;
    expect(inFlight.startS).toBeCloseTo(0.0097, 12);
    expect(byB[0]!.startS).toBeCloseTo(0.0108, 12);
    expect(byB[0]!.endS).toBeCloseTo(0.0218, 12);
    const next = byA.find((i) => i.startS > 0.0105)!;
    expect(next.startS).toBeCloseTo(0.0218, 12);
    // Then they alternate: B's decode step [21.8, 22.9] ms comes after A's [21.8 + 1.1].
    expect(byB[1]!.startS).toBeCloseTo(0.0229, 12);
    // Never two iterations at once, and busy time adds up to the sum of the iterations.
    const all = [...sink.iterations].sort((x, y) => x.startS - y.startS);
    for (let i = 1; i < all.length; i++) expect(all[i]!.startS).toBeGreaterThanOrEqual(all[i - 1]!.endS - 1e-12);
    expect(turns.handOvers).toBeGreaterThan(2);
    // Both requests finish: A makes 20 tokens, B 2.
    expect(sink.finished.map((f) => f.generated).sort((x, y) => x - y)).toEqual([2, 20]);
  });
  it('a decode-only fast-forward segment stops where the other instance asks for the GPU', () => {
    const slow = run(false).sink;
    const fast = run(true).sink;
    expect(fast.finished).toEqual(slow.finished);
  });
});
