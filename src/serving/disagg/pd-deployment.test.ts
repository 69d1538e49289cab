import { describe, expect, it } from 'vitest';
import { RandomStreams, type RandomStream } from '../../kernel/random.js';
import { Simulator } from '../../kernel/simulator.js';
import type { EngineInstance } from '../instance.js';
import type { RequestState } from '../request-state.js';
import { RecordingSink } from '../testing.js';
import { DisaggSink } from './disagg-sink.js';
import type { KvTransferManager } from './kv-transfer.js';
import { PdDeployment, type PdCounters, type PdOptions } from './pd-deployment.js';

/** An instance stand-in that records what it is handed (routing only reads its load figures). */
function stub(name: string, outstanding: number, tokens: number) {
  const got: RequestState[] = [];
  const inst = { name, outstanding, outstandingTokens: () => tokens, submit: (r: RequestState) => got.push(r), rejectReason: () => undefined, aborted: 0, abort: () => false };
  return { inst: inst as unknown as EngineInstance, got };
}

function counting(s: RandomStream): RandomStream & { draws: number } {
  const c = { draws: 0, next: () => (c.draws++, s.next()), exponential: (m: number) => s.exponential(m), normal: () => s.normal(), gamma: (a: number, b: number) => s.gamma(a, b), intBetween: (a: number, b: number) => s.intBetween(a, b) };
  return c;
}

const counters: PdCounters = { reserved() {}, queued() {}, transferred() {} };

function deployment(prefills: EngineInstance[], decodes: EngineInstance[], colocated: EngineInstance[], o: Partial<PdOptions>) {
  const rs = new RandomStreams(1);
  const streams = { prefill: counting(rs.stream('router.prefill')), decode: counting(rs.stream('router.decode')), colocated: counting(rs.stream('router.colocated')) };
  const opts: PdOptions = { policy: 'round-robin', streams, transferPolicy: 'layerwise', numLayers: 2, thresholdTokens: 0, keyed: false, blockSizeTokens: 16, gpusOf: new Map(), ...o };
  const dep = new PdDeployment(new Simulator(), prefills, decodes, colocated, new DisaggSink(new RecordingSink()), {} as KvTransferManager, counters, opts);
  return { dep, streams };
}

describe('PdDeployment routing', () => {
  it('hands the prompt length to the prefill router (prefix-aware overload check counts it)', () => {
    // Affinity picks one of the two by hash; make that one busier than 2x the other but within
    // 2x + promptTokens: with the prompt length counted it keeps the affinity target.
    const spec = { id: 1, arrivalS: 0, promptTokens: 64, outputTokens: 4, prefixHashes: [7, 8, 9, 10], prefixBlockTokens: 16 };
    const a = stub('p0', 1, 0);
    const b = stub('p1', 1, 0);
    // Find the affinity target with equal loads, then load it.
    const eq = deployment([a.inst, b.inst], [stub('d0', 0, 0).inst], [], { policy: 'prefix-aware', keyed: true });
    eq.dep.submit(spec);
    const targetIsA = a.got.length === 1;
    const t = stub(targetIsA ? 'p0' : 'p1', 1, 100 + 50);
    const other = stub(targetIsA ? 'p1' : 'p0', 1, 50);
    const pair = targetIsA ? [t, other] : [other, t];
    const d = deployment(pair.map((x) => x.inst), [stub('d0', 0, 0).inst], [], { policy: 'prefix-aware', keyed: true });
    d.dep.submit(spec); // limit = 2 x 50 + 64 = 164 >= 150: stays on the affinity target
    expect(t.got).toHaveLength(1);
    expect(other.got).toHaveLength(0);
  });
  it('short prompts draw from their own stream, not the decode router\'s', () => {
    const c0 = stub('c0', 0, 0);
    const c1 = stub('c1', 0, 0);
    const { dep, streams } = deployment([stub('p0', 0, 0).inst], [stub('d0', 0, 0).inst, stub('d1', 0, 0).inst], [c0.inst, c1.inst], { policy: 'power-of-two', thresholdTokens: 100 });
    for (let i = 0; i < 10; i++) dep.submit({ id: i, arrivalS: 0, promptTokens: 10, outputTokens: 4 });
    expect(c0.got.length + c1.got.length).toBe(10);
    expect(streams.colocated.draws).toBe(20);
    expect(streams.decode.draws).toBe(0);
    expect(streams.prefill.draws).toBe(0);
  });
});
