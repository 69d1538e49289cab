import { describe, expect, it } from 'vitest';
import { loadScenario } from '../scenario/load.js';
import { evaluate } from './evaluate.js';
import { maxMisses } from './search.js';

describe('the engine adapter', () => {
  const l = loadScenario('scenarios/dual-l4-disagg.yaml', ['workload.requests=120', 'workload.arrival.rate=3']);
  const raw = l.scenario as unknown as Record<string, unknown>;
  const slo = { ttftMs: 1000, tpotMs: 100 };

  it('counts SLO misses exactly as the summary does, and stops a run once the target is out of reach', async () => {
    const full = await evaluate({ raw, file: l.file, baseDir: l.baseDir, seed: 3, stopAfterMisses: { slo, maxMisses: Infinity } });
    expect(full.stoppedEarly).toBe(false);
    const s = full.summary;
    const misses = (s.completed as number) + (s.failed as number) - (s.pdsim.goodput_requests as number);
    expect(misses).toBeGreaterThan(6); // overloaded: the early stop below has something to cut
    const stopped = await evaluate({ raw, file: l.file, baseDir: l.baseDir, seed: 3, stopAfterMisses: { slo, maxMisses: 6 } });
    expect(stopped.stoppedEarly).toBe(true);
    expect(stopped.summary.completed as number).toBeLessThan(s.completed as number);
    const unlimited = await evaluate({ raw, file: l.file, baseDir: l.baseDir, seed: 3, stopAfterMisses: { slo, maxMisses: misses } });
    expect(unlimited.stoppedEarly).toBe(false);
    expect(JSON.stringify(unlimited.summary)).toBe(JSON.stringify(s));
  }, 60_000);

  it('maxMisses is the largest miss count that still meets the target', () => {
    expect(maxMisses(100, 0.95)).toBe(5);
    expect(maxMisses(300, 0.95)).toBe(15);
    expect(maxMisses(40, 0.9)).toBe(4);
    expect(maxMisses(10, 0.99)).toBe(0);
  });
});
