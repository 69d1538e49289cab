/**
 * A P/D decode engine's planned segment (sink-buffer.ts, fast-forward.ts planSegment) against step by
 * step: decode reservations (reserveForRemote) and hand-offs (admitRemote) come at random times while
 * the segment runs. A reservation that leaves the plan's later iterations their blocks goes on without
 * settling it, one that does not settles it first, and the answer is the clock's either way: the same
 * answers, iterations, gaps, gauges and finishes as step by step.
 */
import { HashBlockKeys } from '../../kv/hash-block-keys.js';
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../kernel/simulator.js';
import { EngineInstance, type InstanceConfig } from '../instance.js';
import { RequestState } from '../request-state.js';
import { LinearPerfModel, RecordingSink } from '../testing.js';

/** Records the gauges too, sampled at a 10 ms boundary shared by the instances (as the collector's). */
class GaugeSink extends RecordingSink {
  readonly gaugeLog: number[][] = [];
  override nextGaugeS = 0;
  // RecordingSink declares gauges() without parameters (it ignores them): read them as the engine passes them.
  override gauges(...args: unknown[]): void {
    const [, timeS, running, waiting, used] = args as [string, number, number, number, number];
    this.gaugeLog.push([timeS, running, waiting, used]);
    this.nextGaugeS = (Math.floor(timeS / 0.01) + 1) * 0.01;
  }
}

const cfg = (name: string, fastForward: boolean, numGpuBlocks: number): InstanceConfig => ({
  name, role: 'decode', maxNumSeqs: 12, maxNumBatchedTokens: 256, blockSizeTokens: 4, numGpuBlocks,
  maxModelLen: 4096, enableChunkedPrefill: true, enablePrefixCaching: false, prefillOrder: 'fcfs', fastForward,
});

/** A small deterministic generator (the test must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function run(fastForward: boolean, seed: number, numGpuBlocks: number) {
  const sim = new Simulator();
  const sink = new GaugeSink();
  const perf = new LinearPerfModel(1, 0.01);
  const d = new EngineInstance(cfg('d0', fastForward, numGpuBlocks), sim, perf, sink, { onLeave: () => {} });
  // A second decode engine (idle): plans are on with two or more engines.
  new EngineInstance(cfg('d1', fastForward, numGpuBlocks), sim, perf, sink, { onLeave: () => {} });
  const rnd = lcg(seed);
  const answers: boolean[] = [];
  const kept = { open: 0, kept: 0, settled: 0 };
  let t = 0;
  for (let id = 0; id < 160; id++) {
    t += rnd() * 0.012;
    const prompt = 8 + Math.floor(rnd() ** 3 * 900);
    const output = 2 + Math.floor(rnd() * 120);
    const legS = rnd() * 0.01;
    sim.scheduleAt(t, () => {
      const req = new RequestState({ id, arrivalS: sim.now, promptTokens: prompt, outputTokens: output }, HashBlockKeys.EMPTY);
      const open = d.planOpen;
      const ok = d.reserveForRemote(req);
      answers.push(ok);
      if (open) {
        kept.open++;
        if (d.planOpen) kept.kept++;
        else kept.settled++;
      }
      if (ok) sim.schedule(legS, () => d.admitRemote(req));
    });
  }
  sim.run();
  return { answers, kept, sink, blocks: d.blocks.usedBlocks, busyS: d.busyS, iterations: d.iterations, events: sim.eventsProcessed };
}

describe('planned P/D decode segments', () => {
  for (const [seed, blocks] of [[1, 400], [2, 500], [3, 700], [4, 350], [5, 450], [6, 600]] as const) {
    it(`reservations and hand-offs mid-segment give step by step's answers and outputs (seed ${seed}, ${blocks} blocks)`, () => {
      const fast = run(true, seed, blocks);
      const slow = run(false, seed, blocks);
      expect(fast.answers).toEqual(slow.answers);
      expect(fast.sink.iterations).toEqual(slow.sink.iterations);
      expect(fast.sink.itls).toEqual(slow.sink.itls);
      expect(fast.sink.gaugeLog).toEqual(slow.sink.gaugeLog);
      expect(fast.sink.finished).toEqual(slow.sink.finished);
      expect(fast.sink.tokensTotal).toBe(slow.sink.tokensTotal);
      expect([fast.blocks, fast.busyS, fast.iterations]).toEqual([slow.blocks, slow.busyS, slow.iterations]);
      // Every request reserved was served: tokens generated = outputs of the admitted ones.
      expect(fast.sink.finished.filter((f) => f.error === undefined)).toHaveLength(fast.answers.filter(Boolean).length);
      expect(fast.events).toBeLessThan(slow.events);
      // Reservations came while a plan was open, and both kinds were seen: plan kept, plan settled first.
      expect(fast.kept.kept).toBeGreaterThan(5);
      expect(fast.kept.settled + fast.kept.kept).toBe(fast.kept.open);
    });
  }

  it('answers a reservation of exactly the blocks free at the clock as step by step does, the iteration in flight counted', () => {
    // Both engines advance in lockstep; at each probe the step-by-step engine's free blocks (less
    // what the waiting head needs) decide the ask: that many blocks (granted) or one more (refused).
    const make = (fastForward: boolean) => {
      const sim = new Simulator();
      const sink = new GaugeSink();
      const perf = new LinearPerfModel(1, 0.01);
      const d = new EngineInstance(cfg('d0', fastForward, 300), sim, perf, sink, { onLeave: () => {} });
      new EngineInstance(cfg('d1', fastForward, 300), sim, perf, sink, { onLeave: () => {} });
      return { sim, sink, d };
    };
    const fast = make(true);
    const slow = make(false);
    const rnd = lcg(11);
    const answers: [boolean, boolean][] = [];
    let inPlan = 0;
    let id = 0;
    const reserve = (e: ReturnType<typeof make>, prompt: number, output: number): boolean => {
      const req = new RequestState({ id, arrivalS: e.sim.now, promptTokens: prompt, outputTokens: output }, HashBlockKeys.EMPTY);
      const ok = e.d.reserveForRemote(req);
      if (ok) e.sim.schedule(0.002, () => e.d.admitRemote(req));
      return ok;
    };
    // A batch that decodes for a while (8 requests of 200-400 tokens), then probes every ~3-9 ms.
    for (; id < 8; id++) {
      const o = 200 + Math.floor(rnd() * 200);
      expect([reserve(fast, 20 + id, o), reserve(slow, 20 + id, o)]).toEqual([true, true]);
    }
    let t = 0;
    for (let probe = 0; probe < 300; probe++, id++) {
      t += 0.003 + rnd() * 0.006;
      fast.sim.run(t);
      slow.sim.run(t);
      const free = slow.d.blocks.availableBlocks - slow.d.headNeedBlocks;
      // Granted asks only when few blocks are free (a large one would starve the batch into preemptions).
      const need = probe % 4 === 0 && free <= 60 ? free : free + 1;
      if (need < 1) continue;
      if (fast.d.planOpen) inPlan++;
      // blocksFor(prompt + 1) = need blocks of 4 tokens.
      const prompt = need * 4 - 1;
      answers.push([reserve(fast, prompt, 3), reserve(slow, prompt, 3)]);
    }
    fast.sim.run();
    slow.sim.run();
    for (const [a, b] of answers) expect(a).toBe(b);
    expect(answers.some(([a]) => a)).toBe(true);
    expect(answers.some(([a]) => !a)).toBe(true);
    expect(inPlan).toBeGreaterThan(30);
    expect(fast.sink.iterations).toEqual(slow.sink.iterations);
    expect(fast.sink.finished).toEqual(slow.sink.finished);
    expect(fast.sink.gaugeLog).toEqual(slow.sink.gaugeLog);
  });

  it('sees refusals and settled plans across the seeds (the cases are not all easy)', () => {
    let refused = 0;
    let settled = 0;
    for (const [seed, blocks] of [[1, 160], [2, 220], [3, 400]] as const) {
      const r = run(true, seed, blocks);
      refused += r.answers.filter((a) => !a).length;
      settled += r.kept.settled;
    }
    expect(refused).toBeGreaterThan(0);
    expect(settled).toBeGreaterThan(0);
  });
});
