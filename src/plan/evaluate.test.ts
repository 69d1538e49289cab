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

  it('the summary flags what lies outside the calibrated profile (quickstart: Llama-3.1-8B on H100, fitted on Llama-2 shapes)', async () => {
    const q = loadScenario('scenarios/quickstart.yaml', ['workload.requests=20', 'engine.kvCacheDtype=fp8']);
    const { summary } = await evaluate({ raw: q.scenario as unknown as Record<string, unknown>, file: q.file, baseDir: q.baseDir, seed: 1 });
    const flags = summary.pdsim.out_of_range as { what: string; value: unknown; calibratedRange: string }[];
    // Its geometry matches neither Llama-2 shape, but each dimension lies between the 7B's and the 70B's: one model flag.
    expect(flags.map((f) => f.what)).toEqual(['model', 'KV cache dtype']);
    expect(flags[0]!.calibratedRange).toBe('Llama-2-70b-hf, Llama-2-7b-hf');
    // The L4 pools of the dual-L4 scenario have no measured range at all: one flag per pool.
    const pd = await evaluate({ raw, file: l.file, baseDir: l.baseDir, seed: 1 });
    expect((pd.summary.pdsim.out_of_range as { what: string }[]).map((f) => f.what)).toEqual(['gpu profile', 'gpu profile']);
  }, 60_000);

  it('maxMisses is the largest miss count that still meets the target', () => {
    expect(maxMisses(100, 0.95)).toBe(5);
    expect(maxMisses(300, 0.95)).toBe(15);
    expect(maxMisses(40, 0.9)).toBe(4);
    expect(maxMisses(10, 0.99)).toBe(0);
  });
});
