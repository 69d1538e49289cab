import { afterEach, describe, expect, it, vi } from 'vitest';
import { compile } from 'vega-lite';
import { buildCharts, capTimeline, timelineSpec, withUniqueLabels } from './specs.js';
import { renderSvg } from './svg.js';
import { sampleInput, sampleRun, sampleSweepInput } from './testing.js';
import type { TimelineSegment } from './types.js';

afterEach(() => vi.restoreAllMocks());

describe('buildCharts', () => {
  const charts = buildCharts(sampleInput());

  it('makes one chart per kind, two runs overlaid', () => {
    expect(charts.map((c) => c.id)).toEqual([
      'chart-cdf-ttft', 'chart-cdf-tpot', 'chart-cdf-itl', 'chart-cdf-e2el',
      'chart-kv-transfer', 'chart-link-bw-0', 'chart-backpressure-0', 'chart-link-bw-1', 'chart-backpressure-1',
      'chart-throughput', 'chart-completions', 'chart-queue', 'chart-kv', 'chart-tiers',
      'chart-timeline-0', 'chart-timeline-1',
    ]);
  });

  it.each(charts.map((c) => [c.id, c] as const))('%s compiles without warnings and renders to SVG', async (_id, chart) => {
    const warn = vi.spyOn(console, 'warn');
    expect(() => compile(chart.spec)).not.toThrow();
    const svg = await renderSvg(chart.spec);
    expect(svg.startsWith('<svg')).toBe(true);
    const title = chart.spec.title as string | { text: string; subtitle?: string };
    expect(svg).toContain(typeof title === 'string' ? title : title.text);
    // No empty axis or legend title.
    for (const m of JSON.stringify(chart.spec).matchAll(/"title":"([^"]*)"/g)) expect(m[1]).not.toBe('');
    expect(warn).not.toHaveBeenCalled();
  });

  it('skips charts without data', () => {
    const run = { ...sampleRun('sim'), timeline: undefined, tiers: [], timeSeries: [], kvTransferMs: undefined, instances: undefined };
    run.cdf = { ...run.cdf, itlMs: [] };
    const ids = buildCharts({ title: 't', runs: [run] }).map((c) => c.id);
    expect(ids).toEqual(['chart-cdf-ttft', 'chart-cdf-tpot', 'chart-cdf-e2el']);
    expect(buildCharts({ title: 't', runs: [] })).toEqual([]);
  });

  it('keeps runs with the same label apart', () => {
    expect(withUniqueLabels([sampleRun('a'), sampleRun('a'), sampleRun('b')]).map((r) => r.label)).toEqual(['a', 'a #2', 'b']);
  });
});

describe('timeline cap', () => {
  const segments: TimelineSegment[] = Array.from({ length: 100 }, (_, i) => ({
    resource: `gpu${i % 2}`, kind: 'decode', startS: i * 0.1, endS: i * 0.1 + 0.1,
  }));

  it('shows everything under the cap', () => {
    expect(capTimeline(segments, { maxTimelineBars: 100 })).toMatchObject({ total: 100, endS: undefined });
  });

  it('cuts at a time so the window holds at most maxBars bars, and says so in the title', async () => {
    const { shown, endS } = capTimeline(segments, { maxTimelineBars: 10 });
    expect(shown).toHaveLength(10);
    expect(endS).toBeCloseTo(1.0);
    const spec = timelineSpec({ ...sampleRun('sim'), timeline: segments }, { maxTimelineBars: 10 })!;
    expect(spec.title).toBe('Timeline: sim (first 1 s: 10 of 100 segments)');
    expect(await renderSvg(spec)).toContain('<svg');
  });

  it('says so in the title when the run kept only its first segments', () => {
    // The collector kept 100 segments (ending at 10 s) of 5,000 the run produced.
    const spec = timelineSpec({ ...sampleRun('sim'), timeline: segments, timelineTotal: 5000 })!;
    expect(spec.title).toBe(`Timeline: sim (first ${segments.at(-1)!.endS - segments[0]!.startS} s: 100 of 5000 segments)`);
  });

  it('honours a time window', () => {
    expect(capTimeline(segments, { maxTimelineS: 2.05 }).shown).toHaveLength(21);
  });
});

describe('charts people expect', () => {
  it('marks p50, p90 and p99 of each run on a log latency axis; the ITL CDF counts gaps', () => {
    const charts = buildCharts(sampleInput());
    const itl = charts.find((c) => c.id === 'chart-cdf-itl')!.spec as unknown as { layer: { encoding: { x: { scale: { type: string }; title: string }; y: { title?: string } }; data: { values: { run: string; label?: string; valueMs: number }[] } }[] };
    expect(itl.layer[0]!.encoding.x.scale.type).toBe('log');
    expect(itl.layer[0]!.encoding.x.title).toBe('latency (ms, log scale)');
    expect(itl.layer[0]!.encoding.y.title).toBe('fraction of inter-token gaps ≤ x');
    const marks = itl.layer[1]!.data.values;
    expect(marks.map((m) => m.label!.split(' ')[0])).toEqual(['p50', 'p90', 'p99', 'p50', 'p90', 'p99']);
    // sampleRun's ITL samples are 18 x (1 + i/10), i = 0..49: the first sample at or above p50 is i = 24.
    expect(marks[0]!.valueMs).toBeCloseTo(18 * 3.4, 9);
    const ttft = charts.find((c) => c.id === 'chart-cdf-ttft')!.spec as unknown as { layer: { encoding: { y: { title?: string } } }[] };
    expect(ttft.layer[0]!.encoding.y.title).toBe('fraction of requests ≤ x');
  });

  it('a sweep gets latency percentiles (log) and throughput/goodput against the swept value', async () => {
    const charts = buildCharts(sampleSweepInput());
    expect(charts.slice(0, 5).map((c) => c.id)).toEqual(['chart-sweep-ttft', 'chart-sweep-tpot', 'chart-sweep-itl', 'chart-sweep-e2el', 'chart-sweep-goodput']);
    const ttft = charts[0]!.spec as unknown as { title: string; encoding: { x: { type: string; title: string }; y: { scale: { type: string } } }; data: { values: { x: number; percentile: string; valueMs: number }[] } };
    expect(ttft.title).toBe('TTFT percentiles vs arrival rate (req/s)');
    expect(ttft.encoding.x.type).toBe('quantitative');
    expect(ttft.encoding.y.scale.type).toBe('log');
    expect(ttft.data.values.filter((v) => v.x === 8).map((v) => [v.percentile, v.valueMs])).toEqual([['p50', 80], ['p90', 160], ['p99', 320]]);
    for (const c of charts.slice(0, 5)) expect(await renderSvg(c.spec)).toContain('<svg');
  }, 60_000);

  it('P/D: link bandwidth from transfer bars x the mean busy rate conserves the bytes moved', async () => {
    const { linkBandwidthRows } = await import('./specs-pd.js');
    const run = { ...sampleRun('pd'), timeline: [
      { resource: 'l', kind: 'transfer', startS: 0, endS: 1 },
      { resource: 'l', kind: 'transfer', startS: 0.5, endS: 1.5 }, // overlaps: the link is busy 0..1.5 once, not twice
      { resource: 'l', kind: 'transfer', startS: 3, endS: 4 },
      { resource: 'gpu0', kind: 'prefill', startS: 0, endS: 4 },
    ], linkBusyGBps: { l: 10 } };
    const rows = linkBandwidthRows(run);
    const width = 4 / 120;
    // busy 2.5 s at 10 GB/s = 25 GB in all.
    expect(rows.reduce((a, r) => a + r.GBps * width, 0)).toBeCloseTo(25, 6);
    expect(Math.max(...rows.map((r) => r.GBps))).toBeCloseTo(10, 9);
  });

  it('a run that did not measure a gauge is left out of that chart (no legend entry without a line)', () => {
    const live = { ...sampleRun('live'), unmeasured: ['queueLength', 'kvOccupancy'] as ('queueLength' | 'kvOccupancy')[] };
    const charts = buildCharts({ title: 't', runs: [sampleRun('sim'), live] });
    const kv = charts.find((c) => c.id === 'chart-kv')!.spec as unknown as { encoding: { color: { scale: { domain: string[] } } }; data: { values: { run: string }[] } };
    expect(kv.encoding.color.scale.domain).toEqual(['sim']);
    expect(new Set(kv.data.values.map((v) => v.run))).toEqual(new Set(['sim']));
    const tp = charts.find((c) => c.id === 'chart-throughput')!.spec as unknown as { encoding: { color: { scale: { domain: string[] } } } };
    expect(tp.encoding.color.scale.domain).toEqual(['sim', 'live']);
  });
});
