/**
 * Decode batch policies, each on a workload where it should matter, against plain continuous
 * batching (hand-computed with the linear perf model: 1 ms per iteration + 0.1 ms per new token).
 */
import { HashBlockKeys } from '../../../kv/hash-block-keys.js';
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../../kernel/simulator.js';
import { RandomStreams } from '../../../kernel/random.js';
import { adaptiveTargetInfeasible, makeDecodePolicy, type DecodeBatchPolicy } from './index.js';
import { EngineInstance, type InstanceConfig } from '../../instance.js';
import { RequestState } from '../../request-state.js';
import { LinearPerfModel, RecordingSink } from '../../testing.js';
import type { RequestSpec } from '../../types.js';

function run(specs: RequestSpec[], maxNumSeqs: number, decodePolicy?: DecodeBatchPolicy) {
  const cfg: InstanceConfig = {
    name: 'r0', role: 'colocated', maxNumSeqs, maxNumBatchedTokens: 256, blockSizeTokens: 4, numGpuBlocks: 1000,
    maxModelLen: 4096, enableChunkedPrefill: true, enablePrefixCaching: false, prefillOrder: 'fcfs', fastForward: false, decodePolicy,
  };
  const sim = new Simulator();
  const sink = new RecordingSink();
  const inst = new EngineInstance(cfg, sim, new LinearPerfModel(1, 0.1), sink);
  for (const s of specs) sim.scheduleAt(s.arrivalS, () => inst.submit(new RequestState(s, HashBlockKeys.EMPTY)));
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
      const r = new RequestState({ id, arrivalS: 0, promptTokens: tokens, outputTokens: 10 }, HashBlockKeys.EMPTY);
      r.numTokens = tokens + 1;
      return r;
    };
    const running = [mk(0, 30), mk(1, 900), mk(2, 60)];
    pol.arrange(running);
    expect(running.map((r) => r.spec.id)).toEqual([0, 2, 1]);
  });

  // numTokens 31, 61, 901 in bins of 100: r1 enters its next bin first, at 100 tokens, 39 tokens on;
  // the arrangements before iterations 2..39 see 31+k-1 .. 901+k-1 tokens, all in today's bins.
  it('keep their order until the first sequence changes bin (the decode fast path relies on it)', () => {
    const pol = makeDecodePolicy({ lengthBinTokens: 100, sameIterationEviction: false })!;
    const running = [30, 60, 900].map((tokens, id) => {
      const r = new RequestState({ id, arrivalS: 0, promptTokens: tokens, outputTokens: 500 }, HashBlockKeys.EMPTY);
      r.numTokens = tokens + 1;
      return r;
    });
    pol.arrange(running);
    const k = pol.steadyIterations(running);
    expect(k).toBe(100 - 61);
    const order = running.map((r) => r.spec.id);
    // Step by step: one token each, arranged again before every iteration up to k, order unchanged ...
    for (let it = 2; it <= k; it++) {
      for (const r of running) r.numTokens++;
      pol.arrange(running);
      expect(running.map((r) => r.spec.id)).toEqual(order);
    }
    // ... and before iteration k + 1 a bin moved (r1 at 100 tokens: bin 1).
    for (const r of running) r.numTokens++;
    expect(running.find((r) => r.spec.id === 1)!.numTokens).toBe(100);
    expect(makeDecodePolicy({ sameIterationEviction: true })!.steadyIterations(running)).toBe(Infinity);
    expect(makeDecodePolicy({ adaptiveTpotMs: 40, sameIterationEviction: false })!.capsBatch).toBe(true);
    expect(pol.capsBatch).toBe(false);
  });
});

describe('length bins, arranged in place', () => {
  // The arrangement is a stable sort by distance from the oldest sequence's bin: checked against
  // that formula (a keyed copy sorted by distance, then age) on random batches, sorted or not.
  it('orders any batch as the keyed stable sort does', () => {
    const rng = new RandomStreams(3).stream('bins');
    const pol = makeDecodePolicy({ lengthBinTokens: 64, sameIterationEviction: false })!;
    let moved = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const n = Math.floor(rng.next() * 40);
      const spread = rng.next() < 0.5 ? 200 : 3000;
      const running = Array.from({ length: n }, (_, id) => {
        const r = new RequestState({ id, arrivalS: 0, promptTokens: 1, outputTokens: 1 }, HashBlockKeys.EMPTY);
        r.numTokens = 1 + Math.floor(rng.next() * spread);
        return r;
      });
      const head = n > 0 ? Math.floor(running[0]!.numTokens / 64) : 0;
      const want = running
        .map((r, i) => ({ r, i, d: Math.abs(Math.floor(r.numTokens / 64) - head) }))
        .sort((a, b) => a.d - b.d || a.i - b.i)
        .map((k) => k.r.spec.id);
      pol.arrange(running);
      expect(running.map((r) => r.spec.id)).toEqual(want);
      if (want.some((id, i) => id !== i)) moved++;
      // Arranged again: unchanged.
      pol.arrange(running);
      expect(running.map((r) => r.spec.id)).toEqual(want);
    }
    expect(moved).toBeGreaterThan(1000);
  });
});

describe('adaptive batching', () => {
  // 16 requests at once (prompt 10, 30 output tokens), 16 slots; decode step = 1 + 0.1 x batch ms
  // (+ 0.001 ms per context token). Continuous batching runs all 16 (~2.9 ms a step).
  const specs = Array.from({ length: 16 }, (_, i) => ({ id: i, arrivalS: 0, promptTokens: 10, outputTokens: 30 }));
  const meanTpot = (s: RecordingSink) => s.finished.reduce((a, f) => a + (f.timeS - f.firstTokenS!) / (f.generated - 1), 0) / s.finished.length;
  const perf = new LinearPerfModel(1, 0.1, 0.001);
  const runWith = (pol?: DecodeBatchPolicy) => {
    const cfg: InstanceConfig = {
      name: 'r0', role: 'colocated', maxNumSeqs: 16, maxNumBatchedTokens: 256, blockSizeTokens: 4, numGpuBlocks: 1000,
      maxModelLen: 4096, enableChunkedPrefill: true, enablePrefixCaching: false, prefillOrder: 'fcfs', fastForward: false, decodePolicy: pol,
    };
    const sim = new Simulator();
    const sink = new RecordingSink();
    const inst = new EngineInstance(cfg, sim, perf, sink);
    for (const s of specs) sim.scheduleAt(0, () => inst.submit(new RequestState(s, HashBlockKeys.EMPTY)));
    sim.run();
    return sink;
  };
  it('at a feasible target: never worse TPOT than continuous', () => {
    const cont = runWith(undefined);
    for (const target of [1.6, 2.0, 2.6, 10]) {
      const ad = runWith(makeDecodePolicy({ adaptiveTpotMs: target, sameIterationEviction: false }));
      expect(ad.finished).toHaveLength(16);
      expect(meanTpot(ad)).toBeLessThanOrEqual(meanTpot(cont) + 1e-12);
    }
    // A binding target does lower TPOT (fewer sequences per step), at the cost of TTFT.
    const tight = runWith(makeDecodePolicy({ adaptiveTpotMs: 1.6, sameIterationEviction: false }));
    expect(meanTpot(tight)).toBeLessThan(0.8 * meanTpot(cont));
    // A target every batch meets changes nothing.
    expect(JSON.stringify(runWith(makeDecodePolicy({ adaptiveTpotMs: 1000, sameIterationEviction: false })).finished)).toBe(JSON.stringify(cont.finished));
  });
  it('an infeasible target (below one sequence\'s step) is detected for a warning', () => {
    expect(adaptiveTargetInfeasible(1.05, perf)).toBeCloseTo(1.1, 12);
    expect(adaptiveTargetInfeasible(1.2, perf)).toBeUndefined();
  });
});

describe('decode policy composition (registry order names the policy, as summary.json decode_batching)', () => {
  it('names each combination of variants; none is plain continuous batching (no policy)', () => {
    expect(makeDecodePolicy({ sameIterationEviction: false })).toBeUndefined();
    expect(makeDecodePolicy({ lengthBinTokens: 512, sameIterationEviction: true })!.name).toBe('length-bins(512)+eos-same-iteration');
    expect(makeDecodePolicy({ adaptiveTpotMs: 40, sameIterationEviction: false })!.name).toBe('continuous+adaptive(40ms)');
    expect(makeDecodePolicy({ lengthBinTokens: 64, adaptiveTpotMs: 5, sameIterationEviction: true })!.name).toBe('length-bins(64)+adaptive(5ms)+eos-same-iteration');
    expect(makeDecodePolicy({ sameIterationEviction: true })!.sameIterationEviction).toBe(true);
    expect(makeDecodePolicy({ lengthBinTokens: 64, sameIterationEviction: false })!.sameIterationEviction).toBe(false);
  });
  it('without a capping variant the cap is maxNumSeqs', () => {
    const pol = makeDecodePolicy({ lengthBinTokens: 64, sameIterationEviction: true })!;
    expect(pol.seqCap([], new LinearPerfModel(1, 0.1), 7, 3)).toBe(7);
  });
});
