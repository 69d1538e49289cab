import { describe, expect, it } from 'vitest';
import { MemoryRecordWriter } from '../run/record-writer.js';
import { runSimulation } from '../run/simulation.js';
import { resolveScenario } from '../scenario/load.js';

/**
 * busy_fraction = sum of iteration durations / D (D = last completion; docs/metrics.md). Two requests
 * far apart on one instance: the GPU executes iterations only while one runs, and is idle between.
 */
describe('instances.<name>.busy_fraction (hand-computed)', () => {
  it('is the sum of the iterations\' durations over the run, idle gaps excluded', async () => {
    const raw = {
      name: 't', seed: 1, model: 'qwen2.5-1.5b-instruct',
      engine: { maxNumSeqs: 8, maxNumBatchedTokens: 2048, maxModelLen: 2048, gpuMemoryUtilization: 0.55 },
      deployment: { pools: [{ role: 'colocated', gpu: 'rtx-2080-super-maxq' }] },
      workload: { requests: 2, arrival: { process: 'constant', rate: 0.2 }, input: { dist: 'fixed', value: 300 }, output: { dist: 'fixed', value: 5 } },
    };
    const writer = new MemoryRecordWriter();
    const r = await runSimulation({ scenario: resolveScenario(raw, 't.yaml'), file: 't.yaml', baseDir: '.' }, { writer, fastForward: true });
    const perf = r.built.pools[0]!.instances[0]!.perf;
    // Per request: one 300-token prefill, then 4 decode steps over 300..303 tokens of context.
    let perRequestS = perf.iterationMs([{ newTokens: 300, contextTokens: 0 }]) / 1000;
    for (let c = 300; c < 304; c++) perRequestS += perf.iterationMs([{ newTokens: 1, contextTokens: c }]) / 1000;
    const recs = writer.records;
    // 5 s apart: the first is done long before the second arrives, so nothing overlaps.
    expect(recs[0]!.finishS!).toBeLessThan(recs[1]!.arrivalS);
    const D = Math.max(...recs.map((x) => x.finishS!));
    const all = Object.values(r.summary.pdsim.instances as Record<string, { busy_fraction: number; iterations: number }>);
    expect(all).toHaveLength(1);
    const inst = all[0]!;
    expect(inst.iterations).toBe(10);
    expect(inst.busy_fraction).toBeCloseTo((2 * perRequestS) / D, 6);
    expect(inst.busy_fraction).toBeLessThan(0.1);
  });
});
