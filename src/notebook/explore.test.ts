// The notebooks' library: capacity search on hand-made points, tables, sweeps over a real (small)
// scenario checked against invariants, and the Jupyter display bundles they produce.
import { describe, expect, it } from 'vitest';
import { goodputVsValueSpec, latencyVsValueSpec } from './charts.js';
import { markdownTable, maxMeeting, sweepField, type PointFigures } from './explore.js';
import { chart, markdown } from './jupyter.js';
import { scenarioFile } from './index.js';

const point = (value: number, goodputFraction: number): PointFigures => ({
  value, goodputFraction, completed: 10, requestThroughput: value, outputTokS: 100 * value,
  medianTtftMs: 100, p90TtftMs: 200, p99TtftMs: 400, medianTpotMs: 10, p90TpotMs: 20, p99TpotMs: 40, kvTokens: 1000, preemptions: 0,
});

describe('maxMeeting', () => {
  it('is the last value before the first miss, in increasing order of value', () => {
    const rows = [point(3, 0.5), point(1, 1), point(2, 0.96), point(4, 0.99)];
    expect(maxMeeting(rows, 0.95)?.value).toBe(2); // 4 recovers, but past the first miss queues only grow
    expect(maxMeeting(rows, 0.4)?.value).toBe(4);
    expect(maxMeeting(rows, 1.01)).toBeUndefined();
  });
});

describe('markdownTable', () => {
  it('writes a header, a rule and rows, numbers to significant digits', () => {
    expect(markdownTable([{ a: 1, b: 0.123456, c: null }, { a: 20, b: 1.5, c: 'x' }], 3)).toBe('| a | b | c |\n|---|---|---|\n| 1 | 0.123 | - |\n| 20 | 1.5 | x |');
    expect(markdownTable([])).toBe('(no rows)');
  });
});

describe('sweepField on laptop-2080', () => {
  const file = scenarioFile('laptop-2080.yaml');
  it('completes every request; KV capacity grows with gpuMemoryUtilization, latency with the rate', async () => {
    const util = await sweepField(file, 'engine.gpuMemoryUtilization', [0.55, 0.75], ['workload.requests=40']);
    expect(util.map((p) => p.value)).toEqual([0.55, 0.75]);
    for (const p of util) expect(p.completed).toBe(40);
    expect(util[1]!.kvTokens).toBeGreaterThan(util[0]!.kvTokens);
    const rate = await sweepField(file, 'workload.arrival.rate', [0.25, 20], ['workload.requests=60']);
    expect(rate[1]!.p90TtftMs).toBeGreaterThan(rate[0]!.p90TtftMs);
    expect(rate[1]!.goodputFraction).toBeLessThanOrEqual(rate[0]!.goodputFraction);
    expect(rate[1]!.requestThroughput).toBeGreaterThan(rate[0]!.requestThroughput);
  }, 60_000);
});

describe('Jupyter output', () => {
  const display = (d: object) => (d as Record<symbol, () => Record<string, string>>)[Symbol.for('Jupyter.display')]!();
  it('renders sweep charts to SVG with their titles and unit-labelled axes', async () => {
    const rows = [point(1, 1), point(2, 0.9)].map((p) => ({ ...p, series: 'a' }));
    const spec = latencyVsValueSpec(rows, 'ttft', { xTitle: 'arrival rate (req/s)' });
    expect((spec as { data: { values: unknown[] } }).data.values).toHaveLength(6); // 3 percentiles per point
    const svg = display(await chart(spec))['image/svg+xml']!;
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('TTFT (ms, log scale)');
    expect(svg).toContain('arrival rate (req/s)');
    const g = display(await chart(goodputVsValueSpec(rows, 0.95, { xTitle: 'arrival rate (req/s)' })))['image/svg+xml']!;
    expect(g).toContain('fraction of requests meeting every SLO');
  }, 30_000);

  it('shows markdown as text/markdown', () => {
    expect(display(markdown('| a |'))).toEqual({ 'text/markdown': '| a |', 'text/plain': '| a |' });
  });
});
