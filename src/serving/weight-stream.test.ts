import { describe, expect, it } from 'vitest';
import { HashBlockKeys } from '../kv/hash-block-keys.js';
import { FlowNetwork } from '../hardware/flow-network.js';
import { Simulator } from '../kernel/simulator.js';
import type { BatchEntry, DecodeCoefficients, WeightStream } from '../perf/perf-model.js';
import { EngineInstance, type InstanceConfig } from './instance.js';
import { RequestState } from './request-state.js';
import { LinearPerfModel, RecordingSink } from './testing.js';

/** The linear test model plus offloaded weights: W bytes over a C B/s link add S = W / C to every step. */
class OffloadPerfModel extends LinearPerfModel {
  readonly weightStream: WeightStream;
  constructor(base: number, perToken: number, readonly bytes: number, linkBytesPerS: number) {
    super(base, perToken);
    this.weightStream = { bytes, aloneMs: (bytes / linkBytesPerS) * 1000, scale: 1 };
  }
  override iterationMs(batch: readonly BatchEntry[]): number {
    return super.iterationMs(batch) + this.weightStream.aloneMs;
  }
  override decodeCoefficients(b: number): DecodeCoefficients {
    const c = super.decodeCoefficients(b);
    return { ...c, fixedMs: c.fixedMs + this.weightStream.aloneMs };
  }
}

const cfg: InstanceConfig = {
  name: 'r0', role: 'colocated', maxNumSeqs: 8, maxNumBatchedTokens: 256, blockSizeTokens: 4, numGpuBlocks: 1000,
  maxModelLen: 4096, enableChunkedPrefill: true, enablePrefixCaching: false, prefillOrder: 'fcfs', fastForward: true,
};

const C = 10e9; // host link, B/s
const W = 1e8; // offloaded weights: 10 ms alone on the link

function run(opts: { flow: boolean; competingBytes?: number }) {
  const sim = new Simulator();
  const sink = new RecordingSink();
  const net = new FlowNetwork(sim);
  net.addChannel('h2d', C);
  // Step = 1 ms + 0.1 ms per new token + the weight stream.
  const inst = new EngineInstance(cfg, sim, new OffloadPerfModel(1, 0.1, W, C), sink);
  if (opts.flow) inst.streamWeightsOver((bytes, done) => net.startFlow({ path: ['h2d'], bytes, latencyS: 0, tag: 'weights', onDone: done }));
  if (opts.competingBytes) net.startFlow({ path: ['h2d'], bytes: opts.competingBytes, latencyS: 0, tag: 'kv', onDone: () => {} });
  inst.submit(new RequestState({ id: 0, arrivalS: 0, promptTokens: 10, outputTokens: 3 }, HashBlockKeys.EMPTY));
  sim.run();
  return sink;
}

describe('weight offload streamed as a flow on the host link (hand-computed)', () => {
  it('alone on the link, every step takes what it is priced at (as a fixed per-step cost)', () => {
    const fixed = run({ flow: false });
    const flow = run({ flow: true });
    // Prefill 1 + 1 + 10 = 12 ms, then two decode steps of 1 + 0.1 + 10 = 11.1 ms.
    expect(flow.finished[0]!.timeS).toBeCloseTo(0.012 + 2 * 0.0111, 12);
    expect(flow.iterations.map((i) => i.endS - i.startS)).toEqual(fixed.iterations.map((i) => expect.closeTo(i.endS - i.startS, 12)));
  });
  it('a KV copy on the same link halves the stream\'s rate: each step is W / (C/2) - W / C = 10 ms longer', () => {
    // A 1 GB copy starts with the request and outlasts it: max-min gives each flow C/2 while both
    // move, so the weights take 20 ms per step; the copy alone would have taken 100 ms.
    const s = run({ flow: true, competingBytes: 1e9 });
    const steps = s.iterations.map((i) => i.endS - i.startS);
    expect(steps[0]).toBeCloseTo(0.002 + 0.02, 12);
    expect(steps[1]).toBeCloseTo(0.0011 + 0.02, 12);
    expect(steps[2]).toBeCloseTo(0.0011 + 0.02, 12);
    expect(s.finished[0]!.timeS).toBeCloseTo(0.022 + 2 * 0.0211, 12);
  });
});
