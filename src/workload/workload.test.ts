import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../kernel/random.js';
import { resolveScenario } from '../scenario/load.js';
import { makeWorkload } from './generator.js';
import { readTrace, traceRows } from './traces.js';

const fx = (f: string) => path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', f);

describe('trace readers', () => {
  it('reads vidur CSV and Mooncake JSONL (arrivals relative to the first, seconds)', () => {
    expect(readTrace(fx('vidur.csv'), 'vidur')).toEqual([
      { arrivalS: 0, promptTokens: 100, outputTokens: 10, line: 2 },
      { arrivalS: 1, promptTokens: 200, outputTokens: 20, line: 3 },
    ]);
    const m = readTrace(fx('mooncake.jsonl'), 'mooncake');
    expect(m[1]).toEqual({ arrivalS: 0.5, promptTokens: 600, outputTokens: 3, prefixHashes: [0, 2], line: 2 });
  });

  it('names file, line and column of a bad value', () => {
    expect(() => readTrace(fx('azure-bad.csv'), 'azure')).toThrow(/azure-bad.csv: line 4: column "GeneratedTokens" must be a positive integer \(tokens\), got "x"/);
    expect(() => readTrace(fx('vidur.csv'), 'azure')).toThrow(/line 1: missing column "TIMESTAMP"/);
    expect(() => readTrace(fx('missing.csv'), 'vidur')).toThrow(/trace file not found/);
  });
});

describe('synthetic workload', () => {
  const sc = (arrival: object) => resolveScenario({
    name: 'w', model: 'llama-3.1-8b', deployment: { pools: [{ gpu: 'h100-sxm' }] },
    workload: { requests: 20000, arrival, input: { dist: 'uniform', min: 10, max: 20 }, output: { dist: 'fixed', value: 7 } },
  }, 'w.yaml');

  it('Poisson and gamma arrivals keep the requested mean rate; lengths stay in range', () => {
    for (const arrival of [{ process: 'poisson', rate: 4 }, { process: 'gamma', rate: 4, burstiness: 0.25 }]) {
      const reqs = [...makeWorkload(sc(arrival).workload, '.', 'w.yaml', new RandomStreams(1)).requests()];
      const rate = reqs.length / reqs[reqs.length - 1]!.arrivalS;
      expect(rate).toBeGreaterThan(3.8);
      expect(rate).toBeLessThan(4.2);
      expect(reqs.every((r) => r.promptTokens >= 10 && r.promptTokens <= 20 && r.outputTokens === 7)).toBe(true);
    }
  });

  it('rescales delays so N requests span exactly N / rate (vllm bench serve), unless told not to', () => {
    const last = (arrival: object) => {
      const reqs = [...makeWorkload(sc(arrival).workload, '.', 'w.yaml', new RandomStreams(5)).requests()];
      return reqs[reqs.length - 1]!.arrivalS;
    };
    expect(last({ process: 'gamma', rate: 4, burstiness: 0.5 })).toBeCloseTo(20000 / 4, 6);
    expect(Math.abs(last({ process: 'poisson', rate: 4, rescale: false }) - 5000)).toBeGreaterThan(1e-3);
  });

  it('gamma with burstiness < 1 is burstier than Poisson (higher inter-arrival CV)', () => {
    const cv = (arrival: object) => {
      const reqs = [...makeWorkload(sc(arrival).workload, '.', 'w.yaml', new RandomStreams(2)).requests()];
      const gaps = reqs.slice(1).map((r, i) => r.arrivalS - reqs[i]!.arrivalS);
      const m = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      const v = gaps.reduce((a, b) => a + (b - m) ** 2, 0) / gaps.length;
      return Math.sqrt(v) / m;
    };
    expect(cv({ process: 'poisson', rate: 4 })).toBeCloseTo(1, 1);
    expect(cv({ process: 'gamma', rate: 4, burstiness: 0.25 })).toBeGreaterThan(1.7); // theory: 1/sqrt(0.25) = 2
  });

  it('a trace workload honours requests, timeScale and hash ids', () => {
    const s = resolveScenario({
      name: 'm', model: 'llama-3.1-8b', deployment: { pools: [{ gpu: 'h100-sxm' }] },
      workload: { requests: 5, trace: { path: 'mooncake.jsonl', format: 'mooncake', timeScale: 2 } },
    }, 'm.yaml');
    const reqs = [...makeWorkload(s.workload, path.dirname(fx('x')), 'm.yaml', new RandomStreams(1)).requests()];
    expect(reqs.map((r) => r.arrivalS)).toEqual([0, 1]);
    expect(reqs[1]!.prefixBlockTokens).toBe(512);
  });

  it('a cursor pulls the same requests as requests(), each cursor from the first, then undefined', () => {
    const s = resolveScenario({
      name: 'v', model: 'llama-3.1-8b', deployment: { pools: [{ gpu: 'h100-sxm' }] },
      workload: { requests: 10, trace: { path: 'vidur.csv', format: 'vidur' } },
    }, 'v.yaml');
    for (const w of [s.workload, sc({ process: 'poisson', rate: 4 }).workload]) {
      const make = () => makeWorkload(w, path.dirname(fx('x')), 'v.yaml', new RandomStreams(3));
      const all = [...make().requests()];
      const wl = make();
      const a = wl.cursor();
      const pulled = [];
      for (let r = a(); r !== undefined; r = a()) pulled.push(r);
      expect(a()).toBeUndefined();
      expect(pulled).toEqual(all);
      expect(pulled.length).toBe(wl.count);
      // A second cursor starts again (the synthetic one from its own fresh streams' positions).
      if (w.trace) expect(wl.cursor()()).toEqual(all[0]);
    }
    // Token counts are the trace's numbers (small integers as read, not converted values).
    const rows = [...traceRows(fx('vidur.csv'), 'vidur')];
    const reqs = [...makeWorkload(s.workload, path.dirname(fx('x')), 'v.yaml', new RandomStreams(3)).requests()];
    expect(reqs.map((r) => [r.promptTokens, r.outputTokens])).toEqual(rows.map((r) => [r.promptTokens, r.outputTokens]));
  });
});
