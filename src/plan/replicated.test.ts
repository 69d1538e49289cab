import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareCommand } from '../cli/commands/compare.js';
import { simulateCommand } from '../cli/commands/simulate.js';
import { quiet } from './testing.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'pdsim-rep-'));

describe('--replicates on simulate and compare', () => {
  it('simulate: the first seed writes the usual files; replicates.json has every figure over N seeds', async () => {
    const out = tmp();
    const r = await quiet(() => simulateCommand('scenarios/quickstart.yaml', { out, set: ['workload.requests=80'], replicates: '3', jobs: '1', report: false, progress: false }));
    const rep = JSON.parse(readFileSync(path.join(out, 'replicates.json'), 'utf8')) as { seeds: number[]; intervals: Record<string, { mean: number; lo: number; hi: number; n: number }> };
    expect(rep.seeds[0]).toBe(1);
    expect(rep.intervals.median_ttft_ms!.n).toBe(3);
    expect(rep.intervals.completed!.mean).toBe(80);
    const t = rep.intervals.mean_tpot_ms!;
    // Different seeds give different request lengths: a real spread, an interval around the mean.
    expect(t.lo).toBeLessThan(t.mean);
    expect(t.hi).toBeGreaterThan(t.mean);
    expect(r.summary.pdsim.seed).toBe(1);
    expect(existsSync(path.join(out, 'requests.jsonl'))).toBe(true);
  }, 60_000);

  it('compare: the verdict is "larger than noise" exactly when the Welch interval excludes 0; a clear effect is found', async () => {
    const out = tmp();
    const r = await quiet(() => compareCommand('scenarios/dual-l4-disagg.yaml', 'scenarios/dual-l4-colocated.yaml', { out, set: ['workload.requests=100', 'workload.arrival.rate=1'], replicates: '4', jobs: '2' }));
    const rows = r.replicates!;
    for (const f of rows) expect(f.diff.significant).toBe(f.diff.lo > 0 || f.diff.hi < 0);
    // Colocated replicas stall decode steps behind prefill chunks, 1P1D does not: p99 ITL is several
    // times higher (docs/reproductions.md: 2.8-4.3x from 0.5 to 1.25 req/s), far beyond seed noise.
    const itl = rows.find((f) => f.figure === 'p99_itl_ms')!;
    expect(itl.a.n).toBe(4);
    expect(itl.diff.significant).toBe(true);
    expect(itl.diff.lo).toBeGreaterThan(0);
  }, 120_000);
});
