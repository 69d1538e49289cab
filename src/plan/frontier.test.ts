import { describe, expect, it, vi } from 'vitest';
import { compile, type TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../report/svg.js';
import { frontiers, withEfficiency, type PlanLine } from './frontier.js';
import { frontierChart } from './frontier-chart.js';
import { meanInterval } from './stats.js';

const line = (point: number, rates: number[], latency: number, gpus: number, cost: number | null): PlanLine =>
  withEfficiency({ point, label: `c${point}`, status: 'ok', rates, maxRate: meanInterval(rates), latencyMs: meanInterval([latency]), evaluations: 1, gpus, costPerHour: cost, group: point, deployment: {}, knobs: {} });

describe('plan frontier', () => {
  // c0: 1 GPU $1, 2 req/s, 100 ms. c1: 2 GPUs $4, 6 req/s, 80 ms. c2: 1 GPU $1, 1.5 req/s, 120 ms (dominated by c0).
  // c3: 1 GPU $3, 2.5 req/s, 200 ms (best per GPU, worst per dollar and latency).
  const lines = [line(0, [2, 2], 100, 1, 1), line(1, [6, 6], 80, 2, 4), line(2, [1.5, 1.5], 120, 1, 1), line(3, [2.5, 2.5], 200, 1, 3)];

  it('per GPU and per dollar by hand', () => {
    expect(lines[1]!.ratePerGpu).toBe(3);
    expect(lines[1]!.requestsPerDollar).toBe((6 * 3600) / 4);
    const f = frontiers(lines);
    // Per GPU: c1 (3 req/s/GPU at 80 ms) dominates every other point.
    expect(f.perGpu).toEqual([1]);
    // Per dollar: c0 7200 req/$ at 100 ms, c1 5400 at 80 ms: both non-dominated; c2 and c3 are dominated.
    expect(f.perDollar).toEqual([1, 0]);
  });

  it('the chart compiles and renders', async () => {
    const warn = vi.spyOn(console, 'warn');
    const spec = frontierChart(lines, frontiers(lines).perDollar, 'perDollar', 'median_e2el_ms') as unknown as TopLevelSpec;
    expect(() => compile(spec)).not.toThrow();
    const svg = await renderSvg(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });
});
