import { describe, expect, it } from 'vitest';
import { isPlainParity, median, medianOf, millionFits, REGIMES, runEnv, verdict } from './regimes.js';
import { existsSync } from 'node:fs';
import { loadScenario } from '../scenario/load.js';

describe('bench arithmetic', () => {
  it('median of odd and even counts', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
    expect(medianOf([
      { wallS: 3, cpuS: 2, events: 10, requests: 100, maxRssMB: 50 },
      { wallS: 1, cpuS: 1, events: 30, requests: 100, maxRssMB: 70 },
      { wallS: 2, cpuS: 3, events: 20, requests: 100, maxRssMB: 60 },
    ])).toEqual({ wallS: 2, cpuS: 2, events: 20, requests: 100, maxRssMB: 60 });
    // The main thread's CPU: a median when every run has it, absent (an older bundle) otherwise.
    const m = { wallS: 1, cpuS: 1, events: 1, requests: 1, maxRssMB: 1 };
    expect(medianOf([{ ...m, mainCpuS: 0.9 }, { ...m, mainCpuS: 0.5 }, { ...m, mainCpuS: 0.7 }]).mainCpuS).toBe(0.7);
    expect('mainCpuS' in medianOf([{ ...m, mainCpuS: 0.9 }, m])).toBe(false);
  });

  it('claims RSS at 1M only when measured there, or when a smaller run is already over', () => {
    const m = { wallS: 1, cpuS: 1, events: 1, requests: 100_000, maxRssMB: 100 };
    const synthetic = REGIMES.find((r) => !r.parity && !r.replaysTrace)!;
    const at1M = verdict(synthetic, m, { requests: 1_000_000, maxRssMB: 276, smaller: { requests: 100_000, maxRssMB: 252 } });
    expect(at1M.tag).toBe('MET');
    expect(at1M.text).toContain('276 MB (measured) <= 300 MB');
    expect(verdict(synthetic, m, { requests: 1_000_000, maxRssMB: 301 }).tag).toBe('MISSED');
    // Below 1M and under the target: nothing is claimed, only the two sizes and their growth.
    const open = verdict(synthetic, m, { requests: 200_000, maxRssMB: 262, smaller: { requests: 100_000, maxRssMB: 252 }, whyNot1M: 'budget' });
    expect(open.tag).toBe('OPEN');
    expect(open.ok).toBe(false);
    expect(open.text).toContain('RSS at 1M not measured (budget; 262 MB at 200k (252 MB at 100k))');
    expect(open.text).not.toMatch(/> 300 MB/);
    const over = verdict(synthetic, m, { requests: 200_000, maxRssMB: 320 });
    expect(over.tag).toBe('MISSED');
    expect(over.text).toContain('already > 300 MB before 1M');
    // A speed miss is a miss whatever is known of RSS.
    expect(verdict(synthetic, { ...m, requests: 10_000 }, { requests: 200_000, maxRssMB: 120 }).tag).toBe('MISSED');
  });

  it('a 1M run fits the budget by the measured wall time scaled by requests', () => {
    // h100x16-p2c: 1.9 s for 200k -> ~9.5 s at 1M; dual-l4-disagg 3.9 s for 100k -> ~39 s.
    expect(millionFits({ wallS: 1.9, requests: 200_000 }, 15)).toBe(true);
    expect(millionFits({ wallS: 3.9, requests: 100_000 }, 15)).toBe(false);
    expect(millionFits({ wallS: 1.5, requests: 100_000 }, 15)).toBe(true);
  });

  it('every regime names a scenario that exists and validates', () => {
    for (const r of REGIMES) {
      expect(existsSync(r.scenario), r.scenario).toBe(true);
      expect(() => loadScenario(r.scenario), r.scenario).not.toThrow();
    }
  });

  it('parity-uncached is the parity run with the trace cache off, and only the plain parity run is set against Vidur', () => {
    const byName = new Map(REGIMES.map((r) => [r.name, r]));
    const plain = byName.get('parity')!;
    const uncached = byName.get('parity-uncached')!;
    const { name: _a, env, ...rest } = uncached;
    const { name: _b, ...plainRest } = plain;
    expect(rest).toEqual(plainRest);
    expect(env).toEqual({ PDSIM_TRACE_CACHE: 'off' });
    expect(REGIMES.filter(isPlainParity).map((r) => r.name)).toEqual(['parity']);
    // The regime's variables over the bench's; a regime without any runs in the bench's own.
    const base = { PATH: '/bin', PDSIM_TRACE_CACHE: 'check' };
    expect(runEnv(uncached, base)).toEqual({ PATH: '/bin', PDSIM_TRACE_CACHE: 'off' });
    expect(runEnv(plain, base)).toBe(base);
    expect(base.PDSIM_TRACE_CACHE).toBe('check');
  });
});
