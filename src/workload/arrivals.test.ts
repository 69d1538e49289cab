import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../kernel/random.js';
import { resolveScenario } from '../scenario/load.js';
import { arrivalTimes, rampRate } from './arrivals.js';
import { makeWorkload } from './generator.js';

const scenario = (workload: object) => resolveScenario({
  name: 'w', model: 'llama-3.1-8b', deployment: { pools: [{ gpu: 'h100-sxm' }] },
  workload: { requests: 2000, input: { dist: 'fixed', value: 10 }, output: { dist: 'fixed', value: 5 }, ...workload },
}, 'w.yaml');

describe('ramp-up (vllm bench serve --ramp-up-strategy)', () => {
  it('gives vLLM\'s rate per request: linear and exponential, progress i / (N - 1)', () => {
    const lin = { strategy: 'linear' as const, startRps: 1, endRps: 9 };
    const exp = { strategy: 'exponential' as const, startRps: 1, endRps: 16 };
    // Hand-computed: N = 5, progress 0, 1/4, 1/2, 3/4, 1.
    expect([0, 1, 2, 3, 4].map((i) => rampRate(lin, i, 5))).toEqual([1, 3, 5, 7, 9]);
    expect([0, 1, 2, 3, 4].map((i) => rampRate(exp, i, 5))).toEqual([1, 2, 4, 8, 16]);
    expect(rampRate(lin, 0, 1)).toBe(1);
  });

  it('constant gaps follow 1 / rate exactly; random gaps are not rescaled', () => {
    const sc = scenario({ requests: 5, arrival: { process: 'constant', rampUp: { strategy: 'exponential', startRps: 1, endRps: 16 } } });
    const t = [...arrivalTimes(sc.workload, new RandomStreams(1), 'w.yaml')];
    expect(t).toEqual([1, 1.5, 1.75, 1.875, 1.9375]);
  });

  it('a linear Poisson ramp from 1 to 20 req/s arrives faster at the end than at the start', () => {
    const sc = scenario({ arrival: { process: 'poisson', rampUp: { strategy: 'linear', startRps: 1, endRps: 20 } } });
    const t = [...arrivalTimes(sc.workload, new RandomStreams(3), 'w.yaml')];
    const firstRate = 200 / t[199]!;
    const lastRate = 200 / (t[1999]! - t[1799]!);
    expect(firstRate).toBeLessThan(4); // rates 1..2.9 over the first tenth
    expect(lastRate).toBeGreaterThan(15); // rates 18.1..20 over the last tenth
    // Expected total: sum of 1 / r_i, within 10 % for 2000 draws.
    let expected = 0;
    for (let i = 0; i < 2000; i++) expected += 1 / rampRate({ strategy: 'linear', startRps: 1, endRps: 20 }, i, 2000);
    expect(t[1999]! / expected).toBeGreaterThan(0.9);
    expect(t[1999]! / expected).toBeLessThan(1.1);
  });

  it('refuses rate together with rampUp, naming the field', () => {
    const sc = scenario({ arrival: { process: 'poisson', rate: 2, rampUp: { strategy: 'linear', startRps: 1, endRps: 2 } } });
    expect(() => [...arrivalTimes({ ...sc.workload, requests: 10 }, new RandomStreams(1), 'w.yaml')]).toThrow(/w.yaml: \/workload\/arrival\/rate: give either "rate" or "rampUp"/);
    const burst = scenario({ arrival: { process: 'all-at-once', rampUp: { strategy: 'linear', startRps: 1, endRps: 2 } } });
    expect(() => [...arrivalTimes({ ...burst.workload, requests: 10 }, new RandomStreams(1), 'w.yaml')]).toThrow(/\/workload\/arrival\/rampUp: a ramp-up needs process poisson/);
  });
});

describe('random dataset lengths (--random-input-len, --random-range-ratio, --random-prefix-len)', () => {
  it('draws uniform integers in [floor(v(1-r)), ceil(v(1+r))] and adds the shared prefix', () => {
    const sc = scenario({
      arrival: { process: 'poisson', rate: 10 }, prefixLen: 32,
      input: { dist: 'random', value: 100, rangeRatio: 0.25 }, output: { dist: 'random', value: 3, rangeRatio: 0.9 },
    });
    const reqs = [...makeWorkload(sc.workload, '.', 'w.yaml', new RandomStreams(2)).requests()];
    const ins = reqs.map((r) => r.promptTokens - 32);
    const outs = reqs.map((r) => r.outputTokens);
    expect(Math.min(...ins)).toBe(75);
    expect(Math.max(...ins)).toBe(125);
    expect(Math.min(...outs)).toBe(1); // floor(0.3) = 0, clamped to 1 as vLLM does
    expect(Math.max(...outs)).toBe(6); // ceil(5.7)
    // Every prompt starts with the same two 16-token blocks (prefix caching sees them).
    expect(new Set(reqs.map((r) => r.prefixHashes!.slice(0, 2).join())).size).toBe(1);
    expect(reqs[0]!.prefixHashes![2]).not.toBe(reqs[1]!.prefixHashes![2]);
  });

  it('refuses prefixLen together with prefixSharing', () => {
    const sc = scenario({ arrival: { process: 'poisson', rate: 1 }, prefixLen: 8, prefixSharing: { sharedPrefixTokens: 16, groups: 2 } });
    expect(() => makeWorkload(sc.workload, '.', 'w.yaml', new RandomStreams(1))).toThrow(/\/workload\/prefixLen/);
  });
});
