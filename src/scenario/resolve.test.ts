import { describe, expect, it } from 'vitest';
import { loadScenario } from './load.js';
import { poolEngine } from './build/index.js';

describe('pool engine overrides', () => {
  it('a pool engine block overrides only what it names; the rest is the scenario engine, not vLLM defaults', () => {
    const l = loadScenario('scenarios/dual-l4-colocated.yaml', ['engine.gpuMemoryUtilization=0.55', 'deployment.pools.0.engine.maxNumSeqs=8']);
    const e = poolEngine(l.scenario, l.scenario.deployment.pools[0]!);
    expect(e.maxNumSeqs).toBe(8);
    expect(e.gpuMemoryUtilization).toBe(0.55);
    expect(e.maxNumBatchedTokens).toBe(4096);
    expect(l.scenario.deployment.pools[0]!.engine).toEqual({ maxNumSeqs: 8 });
  });
  it('a pool without an engine block takes the scenario engine as is', () => {
    const l = loadScenario('scenarios/dual-l4-colocated.yaml', ['engine.gpuMemoryUtilization=0.55']);
    expect(poolEngine(l.scenario, l.scenario.deployment.pools[0]!)).toEqual(l.scenario.engine);
  });
});
