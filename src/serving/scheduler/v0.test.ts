import { describe, expect, it } from 'vitest';
import { HashBlockKeys } from '../../kv/hash-block-keys.js';
import { Simulator } from '../../kernel/simulator.js';
import { EngineInstance, type InstanceConfig } from '../instance.js';
import { RequestState } from '../request-state.js';
import { LinearPerfModel, RecordingSink } from '../testing.js';

// Two requests of 20 prompt tokens and 3 output tokens arrive together; a step costs
// 1 ms + 0.1 ms per token computed; the token budget is 30.
function run(over: Partial<InstanceConfig>) {
  const cfg: InstanceConfig = {
    name: 'r0', role: 'colocated', maxNumSeqs: 8, maxNumBatchedTokens: 30, blockSizeTokens: 4, numGpuBlocks: 1000, maxModelLen: 30,
    enableChunkedPrefill: true, enablePrefixCaching: false, prefillOrder: 'fcfs', fastForward: false, ...over,
  };
  const sim = new Simulator();
  const sink = new RecordingSink();
  const inst = new EngineInstance(cfg, sim, new LinearPerfModel(1, 0.1), sink);
  for (const id of [0, 1]) sim.scheduleAt(0, () => inst.submit(new RequestState({ id, arrivalS: 0, promptTokens: 20, outputTokens: 3 }, HashBlockKeys.EMPTY)));
  sim.run();
  const by = (id: number) => sink.finished.find((f) => f.id === id)!;
  return { a: by(0), b: by(1), sink };
}

describe('V0 vs V1 schedule of the same small batch (hand-computed)', () => {
  it('V0 (prefill-first, no chunking): B waits for its own prompt step, A does not decode in it', () => {
    // 1: A's prompt (B's 20 tokens exceed the 10 left)      3 ms   -> A's first token at 3
    // 2: B's prompt, no decodes in a prefill step           3 ms   -> B's first token at 6
    // 3, 4: A and B decode                                   1.2 ms -> 7.2, 8.4
    const { a, b } = run({ scheduler: 'v0', enableChunkedPrefill: false });
    expect(a.firstTokenS).toBeCloseTo(0.003, 12);
    expect(b.firstTokenS).toBeCloseTo(0.006, 12);
    expect(a.timeS).toBeCloseTo(0.0084, 12);
    expect(b.timeS).toBeCloseTo(0.0084, 12);
  });
  it('V1 (chunked, one budget): B\'s prompt is chunked into A\'s steps', () => {
    // 1: A 20 + B 10                                        4 ms   -> A's first token at 4
    // 2: A decode + B's last 10                             2.1 ms -> B's first token at 6.1
    // 3: A and B decode (A done)                            1.2 ms -> 7.3
    // 4: B decodes                                          1.1 ms -> 8.4
    const { a, b } = run({ scheduler: 'v1' });
    expect(a.firstTokenS).toBeCloseTo(0.004, 12);
    expect(b.firstTokenS).toBeCloseTo(0.0061, 12);
    expect(a.timeS).toBeCloseTo(0.0073, 12);
    expect(b.timeS).toBeCloseTo(0.0084, 12);
  });
});
