import { afterEach, describe, expect, it, vi } from 'vitest';
import { compile } from 'vega-lite';
import { buildCharts, capTimeline, timelineSpec, withUniqueLabels } from './specs.js';
import { renderSvg } from './svg.js';
import { sampleInput, sampleRun } from './testing.js';
import type { TimelineSegment } from './types.js';

afterEach(() => vi.restoreAllMocks());

describe('buildCharts', () => {
  const charts = buildCharts(sampleInput());

  it('makes one chart per kind, two runs overlaid', () => {
    expect(charts.map((c) => c.id)).toEqual([
      'chart-cdf-ttft', 'chart-cdf-tpot', 'chart-cdf-itl', 'chart-cdf-e2el',
      'chart-throughput', 'chart-completions', 'chart-queue', 'chart-kv', 'chart-tiers',
      'chart-timeline-0', 'chart-timeline-1',
    ]);
  });

  it.each(charts.map((c) => [c.id, c] as const))('%s compiles without warnings and renders to SVG', async (_id, chart) => {
    const warn = vi.spyOn(console, 'warn');
    expect(() => compile(chart.spec)).not.toThrow();
    const svg = await renderSvg(chart.spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain(String(chart.spec.title));
    expect(warn).not.toHaveBeenCalled();
  });

  it('skips charts without data', () => {
    const run = { ...sampleRun('sim'), timeline: undefined, tiers: [], timeSeries: [] };
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
