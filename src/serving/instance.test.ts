import { describe, expect, it } from 'vitest';
import { HashBlockKeys } from '../kv/hash-block-keys.js';
import { Simulator } from '../kernel/simulator.js';
import { EngineInstance, type InstanceConfig } from './instance.js';
import { RequestState } from './request-state.js';
import { LinearPerfModel, RecordingSink } from './testing.js';

const cfg = (over: Partial<InstanceConfig> = {}): InstanceConfig => ({
  name: 'r0', role: 'colocated', maxNumSeqs: 8, maxNumBatchedTokens: 64, blockSizeTokens: 4, numGpuBlocks: 1000,
  maxModelLen: 4096, enableChunkedPrefill: true, enablePrefixCaching: false, prefillOrder: 'fcfs', fastForward: false, ...over,
});

function run(c: InstanceConfig, perf: LinearPerfModel, reqs: { id: number; at: number; p: number; o: number }[]) {
  const sim = new Simulator();
  const sink = new RecordingSink();
  const inst = new EngineInstance(c, sim, perf, sink);
  for (const r of reqs) sim.scheduleAt(r.at, () => inst.submit(new RequestState({ id: r.id, arrivalS: r.at, promptTokens: r.p, outputTokens: r.o }, HashBlockKeys.EMPTY)));
  sim.run();
  return { sink, inst, sim };
}

describe('EngineInstance (hand-computed)', () => {
  it('one request: TTFT is one prefill iteration, then one decode iteration per further token', () => {
    // prefill: 1 ms + 0.1 ms x 20 tokens = 3 ms; decode: 1 ms + 0.1 ms x 1 = 1.1 ms each; 5 outputs.
    const { sink } = run(cfg(), new LinearPerfModel(1, 0.1), [{ id: 0, at: 0, p: 20, o: 5 }]);
    const f = sink.finished[0]!;
    expect(f.firstTokenS).toBeCloseTo(0.003, 12);
    expect(f.timeS).toBeCloseTo(0.003 + 4 * 0.0011, 12);
    expect(f.generated).toBe(5);
    expect(sink.itls.reduce((a, [, w]) => a + w, 0)).toBe(4);
    for (const [g] of sink.itls) expect(g).toBeCloseTo(0.0011, 12);
  });

  it('chunks a long prompt by the token budget and never exceeds it or maxNumSeqs', () => {
    // 150-token prompt, budget 64: chunks of 64, 64, 22 -> first token after the third iteration.
    const { sink } = run(cfg({ maxNumSeqs: 3 }), new LinearPerfModel(1, 0.1), [
      { id: 0, at: 0, p: 150, o: 3 },
      { id: 1, at: 0, p: 10, o: 40 },
      { id: 2, at: 0, p: 10, o: 40 },
      { id: 3, at: 0, p: 10, o: 40 },
    ]);
    expect(sink.iterations[0]!.newTokens).toBe(64);
    for (const it of sink.iterations) {
      expect(it.newTokens).toBeLessThanOrEqual(64);
      expect(it.batchSize).toBeLessThanOrEqual(3);
    }
    const r0 = sink.finished.find((f) => f.id === 0)!;
    expect(r0.firstTokenS).toBeCloseTo((1 + 6.4) / 1000 * 2 + (1 + 2.2 + 0.1 * 20) / 1000, 9);
    expect(sink.finished).toHaveLength(4);
  });

  it('preempts by recompute when blocks run out, and every request still completes', () => {
    // 12 blocks of 4 tokens = 48 tokens of KV; three requests of 8 prompt + 12 output need 60.
    const { sink, inst } = run(cfg({ numGpuBlocks: 12 }), new LinearPerfModel(1, 0.1), [
      { id: 0, at: 0, p: 8, o: 12 },
      { id: 1, at: 0, p: 8, o: 12 },
      { id: 2, at: 0, p: 8, o: 12 },
    ]);
    expect(sink.preemptions).toBeGreaterThan(0);
    expect(sink.finished.map((f) => f.generated)).toEqual([12, 12, 12]);
    expect(sink.finished.every((f) => f.error === undefined)).toBe(true);
    // All blocks back in the pool: conserved, nothing leaked.
    inst.blocks.checkConservation();
    expect(inst.blocks.freeBlocks).toBe(12);
  });

  it('rejects a request longer than max_model_len with a reason, and goes on', () => {
    const { sink } = run(cfg({ maxModelLen: 100 }), new LinearPerfModel(1, 0.1), [
      { id: 0, at: 0, p: 90, o: 20 },
      { id: 1, at: 0, p: 10, o: 2 },
    ]);
    expect(sink.finished[0]!.error).toMatch(/max_model_len 100/);
    expect(sink.finished[1]!.error).toBeUndefined();
  });

  it('serves prefix-cache hits without recomputing cached blocks', () => {
    const sim = new Simulator();
    const sink = new RecordingSink();
    const inst = new EngineInstance(cfg({ enablePrefixCaching: true }), sim, new LinearPerfModel(1, 0.1), sink);
    const keys = HashBlockKeys.of([11, 12, 13, 14, 15]); // 5 full blocks of 4 = 20 tokens
    sim.scheduleAt(0, () => inst.submit(new RequestState({ id: 0, arrivalS: 0, promptTokens: 20, outputTokens: 2 }, keys)));
    sim.scheduleAt(1, () => inst.submit(new RequestState({ id: 1, arrivalS: 1, promptTokens: 20, outputTokens: 2 }, keys)));
    sim.run();
    // Second request: 4 blocks hit (never the block holding the last prompt token), so 4 tokens computed.
    const second = sink.iterations.find((i) => i.startS >= 1)!;
    expect(second.newTokens).toBe(4);
    inst.blocks.checkConservation();
  });
});
