/**
 * Contract suite run against every registered scheduler, with and without each decode batch
 * policy: every iteration stays within the token budget and maxNumSeqs, KV blocks are conserved
 * (never over capacity, all back at the end), every token is produced once, and no request starves.
 */
import { HashBlockKeys } from '../../kv/hash-block-keys.js';
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../kernel/random.js';
import { Simulator } from '../../kernel/simulator.js';
import { decodeVariants, makeDecodePolicy, type DecodeBatchPolicy, type DecodePolicyOptions } from './decode/index.js';
import { EngineInstance, type InstanceConfig } from '../instance.js';
import { RequestState } from '../request-state.js';
import { LinearPerfModel, RecordingSink } from '../testing.js';
import { schedulers, type SchedulerName } from './index.js';
import type { Scheduler } from './types.js';

// Options that turn on each registered decode variant (a variant missing here fails the suite).
const variantOptions: Record<string, DecodePolicyOptions> = {
  'length-bins': { lengthBinTokens: 32, sameIterationEviction: false },
  adaptive: { adaptiveTpotMs: 2.5, sameIterationEviction: false },
  'eos-same-iteration': { sameIterationEviction: true },
};
const allOn: DecodePolicyOptions = { lengthBinTokens: 32, adaptiveTpotMs: 2.5, sameIterationEviction: true };

const policies: [string, () => DecodeBatchPolicy | undefined][] = [
  ['continuous', () => undefined],
  ...Object.keys(decodeVariants).map((v): [string, () => DecodeBatchPolicy | undefined] => [v, () => makeDecodePolicy(variantOptions[v]!)]),
  ['every variant at once', () => makeDecodePolicy(allOn)],
];

it('every registered decode variant is in the contract suite, and turns on alone', () => {
  for (const v of Object.keys(decodeVariants)) {
    expect(variantOptions[v], v).toBeDefined();
    expect(Object.entries(decodeVariants).filter(([, make]) => make(variantOptions[v]!) !== undefined).map(([k]) => k)).toEqual([v]);
  }
});

const cases = (Object.keys(schedulers) as SchedulerName[]).flatMap((s) => policies.map(([p, make]) => [s, p, make] as const));

describe.each(cases)('scheduler contract: %s with %s decode batching', (scheduler, _policyName, makePolicy) => {
  for (const [label, over] of [
    ['chunked prefill, tight KV', { numGpuBlocks: 40, enableChunkedPrefill: true }],
    ['no chunked prefill, ample KV', { numGpuBlocks: 400, enableChunkedPrefill: false, maxNumBatchedTokens: 256 }],
  ] as const) {
    it(`${label}: budget, maxNumSeqs, block conservation, every request finishes`, () => {
      const cfg: InstanceConfig = {
        name: 'r0', role: 'colocated', maxNumSeqs: 6, maxNumBatchedTokens: 96, blockSizeTokens: 8, maxModelLen: 256,
        enablePrefixCaching: false, prefillOrder: 'fcfs', fastForward: true, decodePolicy: makePolicy(), scheduler, ...over,
      };
      const sim = new Simulator();
      let inst: EngineInstance | undefined;
      const sink = new (class extends RecordingSink {
        override iteration(i: string, a: number, b: number, batch: number, newTokens: number, kind: string): void {
          super.iteration(i, a, b, batch, newTokens, kind);
          expect(inst!.blocks.usedBlocks).toBeLessThanOrEqual(cfg.numGpuBlocks);
        }
      })();
      inst = new EngineInstance(cfg, sim, new LinearPerfModel(1, 0.02), sink);
      const engine = inst;
      // The scheduler's batch sums (which the engine reads instead of a pass of its own) equal a recount.
      const sch = (inst as unknown as { scheduler: Scheduler }).scheduler;
      const schedule = sch.schedule.bind(sch);
      let summed = 0;
      sch.schedule = (c) => {
        const out = schedule(c);
        expect([sch.batchNewTokens, sch.batchContextTokens, sch.batchAllDecode]).toEqual([
          out.reduce((t, r) => t + r.scheduled, 0), out.reduce((t, r) => t + r.numComputed, 0), out.every((r) => r.scheduled === 1 && r.generated > 0),
        ]);
        if (out.length > 0) summed++;
        return out;
      };
      const rng = new RandomStreams(11).stream('contract');
      const n = 60;
      let outputs = 0;
      for (let i = 0; i < n; i++) {
        const p = rng.intBetween(1, 120);
        const o = rng.intBetween(1, 256 - p);
        outputs += o;
        const at = i * 0.002;
        sim.scheduleAt(at, () => engine.submit(new RequestState({ id: i, arrivalS: at, promptTokens: p, outputTokens: o }, HashBlockKeys.EMPTY)));
      }
      sim.run();
      for (const it of sink.iterations) {
        expect(it.newTokens).toBeLessThanOrEqual(cfg.maxNumBatchedTokens);
        // Same-iteration EOS eviction hands a finishing sequence's slot to a waiting one within the
        // iteration: the sequences that outlive it still fit in maxNumSeqs.
        const finishing = cfg.decodePolicy?.sameIterationEviction === true ? sink.finished.filter((f) => f.timeS === it.endS).length : 0;
        expect(it.batchSize - finishing).toBeLessThanOrEqual(cfg.maxNumSeqs);
        expect(it.batchSize).toBeGreaterThan(0);
      }
      expect(summed).toBeGreaterThan(0);
      expect(sink.finished).toHaveLength(n);
      expect(sink.finished.every((f) => f.error === undefined)).toBe(true);
      expect(sink.tokensTotal).toBe(outputs);
      expect(engine.blocks.usedBlocks).toBe(0);
      expect(engine.outstanding).toBe(0);
      // The tight case exercises preemption; the ample one must not need it.
      if (cfg.numGpuBlocks === 40) expect(sink.preemptions).toBeGreaterThan(0);
      else expect(sink.preemptions).toBe(0);
    });
  }
});
