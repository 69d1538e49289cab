// perf, latency and simulate price one iteration the same way for the same inputs (issue 9):
// one request of 512 prompt tokens and 2 output tokens is one prefill step and one decode step
// in every command; simulate adds only the served front end (src/perf/front-end.ts).
import { describe, expect, it } from 'vitest';
import { frontEndCost } from '../../perf/front-end.js';
import { MemoryRecordWriter } from '../../run/record-writer.js';
import { runSimulation } from '../../run/simulation.js';
import { resolveScenario } from '../../scenario/load.js';
import { runLatency } from './latency.js';
import { runPerf } from './perf.js';

describe('perf, latency and simulate agree on one iteration', () => {
  for (const [vllmVersion, gen] of [['0.14.0', 'v1'], ['0.10.0', 'v1'], ['0.6.3', 'v0']] as const) {
    it(`vLLM ${vllmVersion}: simulate's E2EL = front end + (latency's prefill + decode steps) = front end + perf + perf`, async () => {
      const common = { model: 'llama-3.1-8b', gpu: 'h100-sxm', tp: '1', vllmVersion };
      const prefill = runPerf({ ...common, prefill: '512' }).totalMs;
      const decode = runPerf({ ...common, decodeBatch: '1', context: '512' }).totalMs;
      const lat = runLatency({ ...common, batchSize: '1', inputLen: '512', outputLen: '2', maxModelLen: '4096' });
      expect(lat.avg_latency_s * 1000).toBeCloseTo(prefill + decode, 9);
      const sc = resolveScenario({
        name: 'agree', model: 'llama-3.1-8b', engine: { vllmVersion, maxModelLen: 4096 },
        deployment: { pools: [{ gpu: 'h100-sxm' }] },
        workload: { requests: 1, arrival: { process: 'all-at-once' }, input: { dist: 'fixed', value: 512 }, output: { dist: 'fixed', value: 2 } },
      }, 'agree.yaml');
      const r = await runSimulation({ scenario: sc, file: 'agree.yaml', baseDir: '.' }, { writer: new MemoryRecordWriter() });
      const fe = frontEndCost(gen);
      expect(r.summary.mean_e2el_ms as number).toBeCloseTo(fe.requestMs + (1 + fe.perTokenFraction) * (prefill + decode), 6);
      expect(r.summary.mean_ttft_ms as number).toBeCloseTo(fe.requestMs + (1 + fe.perTokenFraction) * prefill, 6);
    });
  }
});
