/**
 * Decode batch policies, each on a workload where it should matter, against plain continuous
 * batching (hand-computed with the linear perf model: 1 ms per iteration + 0.1 ms per new token).
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../kernel/simulator.js';
import { makeDecodePolicy, type DecodeBatchPolicy } from './batch-policy.js';
import { EngineInstance, type InstanceConfig } from './instance.js';
import { RequestState } from './request-state.js';
import { LinearPerfModel, RecordingSink } from './testing.js';
import type { RequestSpec } from './types.js';

function run(specs: RequestSpec[], maxNumSeqs: number, decodePolicy?: DecodeBatchPolicy) {
  const cfg: InstanceConfig = {
    name: 'r0', role: 'colocated', maxNumSeqs, maxNumBatchedTokens: 256, blockSizeTokens: 4, numGpuBlocks: 1000,
    maxModelLen: 4096, enableChunkedPrefill: true, enablePrefixCaching: false, prefillOrder: 'fcfs', fastForward: false, decodePolicy,
  };
  const sim = new Simulator();
  const sink = new RecordingSink();
  const inst = new EngineInstance(cfg, sim, new LinearPerfModel(1, 0.1), sink);
  for (const s of specs) sim.scheduleAt(s.arrivalS, () => inst.submit(new RequestState(s, [])));
  sim.run();
  return sink;
}

describe('EOS eviction in the same iteration', () => {
  // One batch slot. r0: prompt 10, 2 output tokens; r1 waits. Iteration 1 prefills r0 (1 + 1.0 ms),
  // iteration 2 samples r0's last token (1.1 ms). At iteration end r1 joins in iteration 3; evicting
  // at EOS gives r0's slot to r1 in iteration 2 itself, so r1's first token comes one step earlier.
  const specs = [{ id: 0, arrivalS: 0, promptTokens: 10, outputTokens: 2 }, { id: 1, arrivalS: 0, promptTokens: 10, outputTokens: 2 }];
  it('admits the waiting request one iteration earlier', () => {
    const plain = run(specs, 1, makeDecodePolicy({ sameIterationEviction: false }));
    const eos = run(specs, 1, makeDecodePolicy({ sameIterationEviction: true }));
    const first = (s: RecordingSink) => s.finished.find((f) => f.id === 1)!.firstTokenS!;
    expect(first(plain)).toBeCloseTo(0.002 + 0.0011 + 0.002, 12); // r1 prefilled alone in iteration 3
    expect(first(eos)).toBeCloseTo(0.002 + (0.001 + 0.0001 + 0.001), 12); // iteration 2: r0's decode + r1's prefill
    expect(first(eos)).toBeLessThan(first(plain));
    // r0's last step now shares its iteration with r1's prefill (2.1 ms instead of 1.1 ms), and
    // the iteration ends with r1's first token.
    expect(eos.finished.find((f) => f.id === 0)!.timeS).toBeCloseTo(first(eos), 12);
    expect(plain.finished.find((f) => f.id === 0)!.timeS).toBeCloseTo(0.0031, 12);
  });
});

describe('length bins', () => {
  // Two slots; r0 and r2 have short contexts, r1 a long one, all decoding. When the cap binds the
  // batch is filled from the oldest sequence's bin: r0 then r2 (same bin), not r1.
  it('fill a capped batch from the oldest sequence\'s bin', () => {
    const pol = makeDecodePolicy({ lengthBinTokens: 100, sameIterationEviction: false })!;
    const mk = (id: number, tokens: number) => {
      const r = new RequestState({ id, arrivalS: 0, promptTokens: tokens, outputTokens: 10 }, []);
      r.numTokens = tokens + 1;
      return r;
    };
    const running = [mk(0, 30), mk(1, 900), mk(2, 60)];
    pol.arrange(running);
    expect(running.map((r) => r.spec.id)).toEqual([0, 2, 1]);
  });
});
