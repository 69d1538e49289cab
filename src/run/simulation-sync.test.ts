// runSimulationSync is the same run as runSimulation without yielding to the event loop: the
// end-to-end table (src/cli/e2e.ts) simulates benches synchronously inside `calibrate`.
import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../scenario/load.js';
import { MemoryRecordWriter } from './record-writer.js';
import { runSimulation, runSimulationSync } from './simulation.js';

describe('runSimulationSync', () => {
  it('gives byte-identical summaries and records to runSimulation (closed loop at --max-concurrency 4)', async () => {
    const raw = {
      name: 'sync', model: 'qwen2.5-0.5b-instruct', engine: { vllmVersion: '0.23.0', maxModelLen: 4096 },
      deployment: { pools: [{ gpu: 'l4' }] },
      workload: { requests: 40, maxConcurrency: 4, arrival: { process: 'all-at-once' }, input: { dist: 'fixed', value: 256 }, output: { dist: 'fixed', value: 32 } },
    };
    const loaded = () => ({ scenario: resolveScenario(raw, 'sync.yaml'), file: 'sync.yaml', baseDir: '.' });
    const wa = new MemoryRecordWriter();
    const wb = new MemoryRecordWriter();
    const a = await runSimulation(loaded(), { writer: wa, shouldStop: () => false });
    const b = runSimulationSync(loaded(), { writer: wb });
    expect(JSON.stringify(b.summary)).toBe(JSON.stringify(a.summary));
    expect(JSON.stringify(wb)).toBe(JSON.stringify(wa));
    expect(b.summary.completed).toBe(40);
    expect(b.summary.max_concurrent_requests).toBeLessThanOrEqual(4);
  });
});
