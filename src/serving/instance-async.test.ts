import { describe, expect, it } from 'vitest';
import { HashBlockKeys } from '../kv/hash-block-keys.js';
import { Simulator } from '../kernel/simulator.js';
import { EngineInstance, type InstanceConfig } from './instance.js';
import { RequestState } from './request-state.js';
import { LinearPerfModel, RecordingSink } from './testing.js';

// Async scheduling (vLLM V1, default from 0.14): the step after the one in flight is chosen when that
// one launches, so a request arriving mid-step waits for the rest of it and the whole next step.
const cfg = (over: Partial<InstanceConfig> = {}): InstanceConfig => ({
  name: 'r0', role: 'colocated', maxNumSeqs: 8, maxNumBatchedTokens: 64, blockSizeTokens: 4, numGpuBlocks: 1000,
  maxModelLen: 4096, enableChunkedPrefill: true, enablePrefixCaching: false, prefillOrder: 'fcfs', fastForward: false, ...over,
});

type Req = { id: number; at: number; p: number; o: number };

function run(c: InstanceConfig, reqs: Req[], abortAt?: { id: number; at: number }) {
  const sim = new Simulator();
  const sink = new RecordingSink();
  // Step = 1 ms + 0.1 ms per new token: a 20-token prefill 3 ms, a 1-sequence decode 1.1 ms.
  const inst = new EngineInstance(c, sim, new LinearPerfModel(1, 0.1), sink);
  for (const r of reqs) sim.scheduleAt(r.at, () => inst.submit(new RequestState({ id: r.id, arrivalS: r.at, promptTokens: r.p, outputTokens: r.o }, HashBlockKeys.EMPTY)));
  if (abortAt) sim.scheduleAt(abortAt.at, () => inst.abort(abortAt.id));
  sim.run();
  const byId = (id: number) => sink.finished.find((f) => f.id === id)!;
  return { sink, inst, byId };
}

const ttft = (f: { firstTokenS: number | null }, at: number) => f.firstTokenS! - at;

describe('EngineInstance with async scheduling (hand-computed)', () => {
  // A: prefill [0, 3 ms], decodes of 1.1 ms from 3 ms. B arrives at 3.5 ms, inside A's first decode.
  const reqs: Req[] = [{ id: 0, at: 0, p: 20, o: 10 }, { id: 1, at: 0.0035, p: 20, o: 2 }];

  it('synchronous: B joins the step after the one in flight (4.1 ms), a mixed step of 1 + 0.1 x 21 = 3.1 ms', () => {
    const { byId } = run(cfg(), reqs);
    expect(ttft(byId(1), 0.0035)).toBeCloseTo(0.0072 - 0.0035, 12);
  });

  it('async: B waits for A\'s next decode too (4.1 -> 5.2 ms), then the same 3.1 ms step: one decode step later', () => {
    const { byId } = run(cfg({ asyncScheduling: true }), reqs);
    expect(ttft(byId(1), 0.0035)).toBeCloseTo(0.0083 - 0.0035, 12);
    expect(byId(0).generated).toBe(10);
    expect(byId(1).generated).toBe(2);
  });

  it('async changes nothing for an arrival at an idle engine, or when the step chosen behind the one in flight is empty', () => {
    const idle = [{ id: 0, at: 0, p: 20, o: 1 }, { id: 1, at: 0.01, p: 20, o: 2 }];
    // A's only decode [3, 4.1 ms] ends it; B arrives at 3.5 ms and runs at 4.1 ms in both modes.
    const lastStep = [{ id: 0, at: 0, p: 20, o: 2 }, { id: 1, at: 0.0035, p: 20, o: 2 }];
    for (const rs of [idle, lastStep]) {
      const sync = run(cfg(), rs).sink.finished.map((f) => f.firstTokenS);
      const async = run(cfg({ asyncScheduling: true }), rs).sink.finished.map((f) => f.firstTokenS);
      expect(async).toEqual(sync);
    }
    expect(ttft(run(cfg({ asyncScheduling: true }), lastStep).byId(1), 0.0035)).toBeCloseTo(0.0071 - 0.0035, 12);
  });

  it('an arrival during a decode iteration: the batch\'s next iteration is carried on at once (fast) as step by step takes it', () => {
    // A: prefill [0, 3 ms], decodes of 1.1 ms. B (64 tokens) arrives at 3.5 ms, waits out [3, 4.1] and
    // [4.1, 5.2] (A's decode, carried on at 4.1 ms in fast mode), then runs 63 tokens with A's decode
    // [5.2, 12.6] (1 + 0.1 x 64) and its last token with A's [12.6, 13.8]: that iteration holds a
    // 1-token prefill chunk (not a decode), so C, arriving at 13 ms, meets the step-by-step path at
    // 13.8 ms: B's first token there, then A and B decode [13.8, 15.0], and C's prefill with both
    // [15.0, 18.2] (1 + 0.1 x 22). D arrives at 16 ms, in that mixed iteration, and joins at 19.5 ms
    // after the decode of three; C (3 tokens) ends at 21.8, D (2) at 23.1, then A and B decode 1.2 ms
    // each: E arrives at 24 ms inside a fast-forward segment, which stops at 24.3; A and B's next
    // decode [24.3, 25.5] is carried on there, and E's prefill runs [25.5, 30.7] (1 + 0.1 x 42).
    const rs: Req[] = [
      { id: 0, at: 0, p: 20, o: 30 }, { id: 1, at: 0.0035, p: 64, o: 10 }, { id: 2, at: 0.013, p: 20, o: 3 },
      { id: 3, at: 0.016, p: 10, o: 2 }, { id: 4, at: 0.024, p: 40, o: 2 },
    ];
    const slow = run(cfg({ asyncScheduling: true }), rs);
    const fast = run(cfg({ asyncScheduling: true, fastForward: true }), rs);
    expect(ttft(slow.byId(1), 0.0035)).toBeCloseTo(0.0138 - 0.0035, 12);
    expect(ttft(slow.byId(2), 0.013)).toBeCloseTo(0.0182 - 0.013, 12);
    expect(ttft(slow.byId(3), 0.016)).toBeCloseTo(0.0218 - 0.016, 12);
    expect(ttft(slow.byId(4), 0.024)).toBeCloseTo(0.0307 - 0.024, 12);
    expect(fast.sink.finished).toEqual(slow.sink.finished);
    expect(fast.sink.itls).toEqual(slow.sink.itls);
    expect(fast.sink.iterations).toEqual(slow.sink.iterations);
    expect(fast.sink.tokensTotal).toBe(30 + 10 + 3 + 2 + 2);
  });

  it('fast-forward gives the step-by-step result, and a late arrival can be aborted before it is scheduled', () => {
    const many: Req[] = [{ id: 0, at: 0, p: 20, o: 200 }, ...[1, 2, 3, 4, 5].map((id) => ({ id, at: 0.0035 + id * 0.0313, p: 30, o: 50 }))];
    const slow = run(cfg({ asyncScheduling: true }), many).sink.finished;
    const fast = run(cfg({ asyncScheduling: true, fastForward: true }), many).sink.finished;
    expect(fast).toEqual(slow);
    const { byId, inst, sink } = run(cfg({ asyncScheduling: true }), reqs, { id: 1, at: 0.0036 });
    expect(byId(1).error).toBeDefined();
    expect(byId(1).firstTokenS).toBeNull();
    expect(inst.aborted).toBe(1);
    expect(sink.tokensTotal).toBe(10);
  });
});
