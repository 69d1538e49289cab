import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NullRecordWriter } from '../../src/run/record-writer.js';
import { runSimulation } from '../../src/run/simulation.js';
import { loadScenario } from '../../src/scenario/load.js';
import { loopScenario, type LoopOptions } from './loop.js';

const work = mkdtempSync(join(tmpdir(), 'pdsim-loop-scenario-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the scenario the llama.cpp loop simulates', () => {
  it('schedules as llamacpp-serve does: synchronously (an arrival during an iteration joins the next one), not with the catalog version\'s async scheduling', async () => {
    const o = { testModel: 'llama-test-6l-512', threads: 1, maxNumSeqs: 8, maxNumBatchedTokens: 512, maxModelLen: 1024, input: { min: 32, max: 64 }, output: { min: 8, max: 16 } } as LoopOptions;
    const file = join(work, 'sc.json');
    writeFileSync(file, JSON.stringify(loopScenario(o, 'llamacpp-cpu-1t', 2, 10)));
    const r = await runSimulation(loadScenario(file), { writer: new NullRecordWriter() });
    expect(r.built.pools[0]!.setup.asyncScheduling).toBe(false);
    expect(r.built.pools[0]!.setup.regime).toBe('profile');
    // Without it the catalog's default vLLM version schedules asynchronously.
    const sc = loopScenario(o, 'llamacpp-cpu-1t', 2, 10) as { engine: Record<string, unknown> };
    delete sc.engine['asyncScheduling'];
    writeFileSync(file, JSON.stringify(sc));
    expect((await runSimulation(loadScenario(file), { writer: new NullRecordWriter() })).built.pools[0]!.setup.asyncScheduling).toBe(true);
  });
});
