// The notebooks' plan helper: the same plan as the CLI (a tiny hand-made space), its rows and charts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownModelsDir } from '../plan/testing.js';
import { planCharts, planDeployments, planRows } from './plan.js';

describe('planDeployments', () => {
  const { modelsDir, scenario } = knownModelsDir();

  it('returns the lines plan.jsonl holds, the frontier as line indices, rows with intervals and both charts', async () => {
    const a = await planDeployments(scenario, { gpus: 'slow,fast', price: 'slow=1,fast=3', maxGpus: '1', modes: 'colocated', replicates: '2', requests: '40', set: ['slo.ttftMs=1500', 'workload.arrival.process=poisson'], modelsDir });
    const fromFile = readFileSync(path.join(a.outDir, 'plan.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { point: number });
    expect(a.lines.map((l) => l.point)).toEqual(fromFile.map((l) => l.point));
    expect(a.costLine).toMatch(/^pdsim plan known: 2 candidates, \d+ simulations, .* candidates\/s\), .* s CPU/);
    const rows = planRows(a);
    expect(rows).toHaveLength(2);
    // Best rate per GPU first: the fast GPU (twice the roofline) sustains more.
    expect(rows[0]!.candidate).toContain('fast');
    expect(rows[0]!['req/s per GPU']! as number).toBeGreaterThan(rows[1]!['req/s per GPU'] as number);
    expect(String(rows[0]!['max rate req/s (±95%)'])).toMatch(/±/);
    expect(rows[0]!['outside calibration']).toBe('gpu profile');
    // Per GPU the fast one is on the frontier; per dollar (fast costs 3x for about 2x) the slow one.
    expect(a.frontier.perGpu.map((i) => a.lines[i]!.label).join()).toContain('fast');
    expect(a.frontier.perDollar.map((i) => a.lines[i]!.label).join()).toContain('slow');
    expect(planCharts(a)).toHaveLength(2);
  }, 120_000);
});
