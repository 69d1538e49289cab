/**
 * Vega-Lite specs for the report charts. Pure functions: ReportInput in, specs out, no I/O; html.ts
 * embeds them and svg.ts renders them headless. Data is inlined (`data.values`) so every spec is
 * self-contained. Runs are told apart by color (and by dash where color already encodes something
 * else), with the run order fixing the color order so "sim" and "live" keep their color across charts.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CDF_METRICS, cdfSpec } from './spec-cdf.js';
import { HEIGHT_PX, lineOverTime, runColor, SCHEMA, seriesLineSpec, WIDTH_PX } from './spec-parts.js';
import { pdCharts } from './specs-pd.js';
import { sweepCharts } from './specs-sweep.js';
import type { ReportInput, RunSeries, TimelineSegment } from './types.js';

export { cdfSpec, percentileMarks, MARKED_PERCENTILES } from './spec-cdf.js';

/** A chart ready to embed: `id` is a safe HTML id built from fixed words and indices, never from labels. */
export interface ChartSpec {
  id: string;
  spec: TopLevelSpec;
}

export interface ChartOptions {
  /** Cap on Gantt bars per run; browsers and SVG viewers bog down past a few thousand. Default 5000. */
  maxTimelineBars?: number;
  /** Show only the first seconds of the timeline (from its first segment). Default: no limit. */
  maxTimelineS?: number;
}

const DEFAULT_MAX_TIMELINE_BARS = 5000;

/** Colors for the kinds the simulator emits, so prefill/decode look the same in every report. */
const KIND_COLORS: Record<string, string> = {
  prefill: '#4c78a8',
  decode: '#f58518',
  mixed: '#54a24b',
  transfer: '#e45756',
  offload: '#b279a2',
  onload: '#72b7b2',
  idle: '#bab0ac',
};
const KNOWN_KINDS = Object.keys(KIND_COLORS);
const EXTRA_COLORS = ['#eeca3b', '#9d755d', '#ff9da6', '#79706e', '#d67195', '#439894'];

/** All charts with data, in display order. Charts whose data is empty are left out. */
export function buildCharts(input: ReportInput, options: ChartOptions = {}): ChartSpec[] {
  const runs = withUniqueLabels(input.runs);
  const charts: ChartSpec[] = [...(input.extraCharts ?? []).map((c, i) => ({ id: `chart-extra-${i}`, spec: c.spec as unknown as TopLevelSpec })), ...sweepCharts(input.sweep)];
  for (const m of CDF_METRICS) {
    const spec = cdfSpec(runs, m.key, m.title, m.of);
    if (spec) charts.push({ id: `chart-cdf-${m.id}`, spec });
  }
  charts.push(...pdCharts(runs));
  const series = [
    ['chart-throughput', throughputSpec(runs)],
    ['chart-completions', completionsSpec(runs)],
    ['chart-queue', queueSpec(runs)],
    ['chart-kv', kvOccupancySpec(runs)],
    ['chart-tiers', tierOccupancySpec(runs)],
  ] as const;
  for (const [id, spec] of series) if (spec) charts.push({ id, spec });
  runs.forEach((run, i) => {
    const spec = timelineSpec(run, options);
    if (spec) charts.push({ id: `chart-timeline-${i}`, spec });
  });
  return charts;
}

/** Two runs labelled alike would merge into one line; suffix repeats ("sim", "sim #2"). */
export function withUniqueLabels(runs: readonly RunSeries[]): RunSeries[] {
  const seen = new Map<string, number>();
  return runs.map((run) => {
    const count = (seen.get(run.label) ?? 0) + 1;
    seen.set(run.label, count);
    return count === 1 ? run : { ...run, label: `${run.label} #${count}` };
  });
}

function timeLineSpec(
  runs: readonly RunSeries[],
  title: string,
  field: 'outputTokensPerS' | 'requestsCompletedPerS' | 'kvOccupancy',
  yTitle: string,
): TopLevelSpec | undefined {
  // Only runs that measured the field and have samples: a legend entry always has a line.
  const drawn = runs.filter((r) => r.timeSeries.length > 0 && !(field === 'kvOccupancy' && r.unmeasured?.includes('kvOccupancy')));
  const values = drawn.flatMap((r) => r.timeSeries.map((s) => ({ run: r.label, tS: s.tS, [field]: s[field] })));
  const y = field === 'kvOccupancy'
    ? { field, type: 'quantitative', title: yTitle, scale: { domain: [0, 1] }, axis: { format: '.0%' } }
    : { field, type: 'quantitative', title: yTitle };
  return lineOverTime(title, values, { y, color: runColor(drawn) });
}

export const throughputSpec = (runs: readonly RunSeries[]) =>
  timeLineSpec(runs, 'Output throughput over time', 'outputTokensPerS', 'output tokens/s');
export const completionsSpec = (runs: readonly RunSeries[]) =>
  timeLineSpec(runs, 'Completed requests over time', 'requestsCompletedPerS', 'requests/s');
export const kvOccupancySpec = (runs: readonly RunSeries[]) =>
  timeLineSpec(runs, 'KV cache occupancy over time (all GPUs pooled: used / total blocks; per GPU in the tier chart)', 'kvOccupancy', 'KV occupancy');

/** Waiting vs running requests. */
export function queueSpec(runs: readonly RunSeries[]): TopLevelSpec | undefined {
  const drawn = runs.filter((r) => r.timeSeries.length > 0);
  const values = drawn.flatMap((r) =>
    r.timeSeries.flatMap((s) => [
      ...(r.unmeasured?.includes('queueLength') ? [] : [{ run: r.label, tS: s.tS, series: 'waiting', requests: s.queueLength }]),
      { run: r.label, tS: s.tS, series: 'running', requests: s.running },
    ]),
  );
  return seriesLineSpec(drawn, 'Queue length and running requests over time', values, { field: 'requests', title: 'requests' }, { field: 'series', title: 'requests', scale: { domain: ['waiting', 'running'] } });
}

/** KV occupancy per tier. */
export function tierOccupancySpec(runs: readonly RunSeries[]): TopLevelSpec | undefined {
  const drawn = runs.filter((r) => (r.tiers ?? []).length > 0);
  const values = drawn.flatMap((r) => (r.tiers ?? []).map((s) => ({ run: r.label, tS: s.tS, tier: s.tier, occupancy: s.occupancy })));
  return seriesLineSpec(drawn, 'KV occupancy per tier over time', values, { field: 'occupancy', title: 'fraction of tier capacity', scale: { domain: [0, 1] }, axis: { format: '.0%' } }, { field: 'tier', title: 'tier' });
}

export function capTimeline(segments: readonly TimelineSegment[], options: ChartOptions = {}) {
  const maxBars = options.maxTimelineBars ?? DEFAULT_MAX_TIMELINE_BARS;
  const sorted = [...segments].sort((a, b) => a.startS - b.startS || a.endS - b.endS);
  const firstS = sorted[0]?.startS ?? 0;
  let endS = options.maxTimelineS === undefined ? Infinity : firstS + options.maxTimelineS;
  // Cut at a time, not at a bar count, so the window shows every bar that starts inside it.
  if (sorted.length > maxBars) endS = Math.min(endS, sorted[maxBars]!.startS);
  const shown = sorted.filter((s) => s.startS < endS);
  return { shown, total: sorted.length, firstS, endS: Number.isFinite(endS) ? endS : undefined };
}

export function timelineSpec(run: RunSeries, options: ChartOptions = {}): TopLevelSpec | undefined {
  const segments = run.timeline ?? [];
  if (segments.length === 0) return undefined;
  const { shown, total: kept, firstS, endS: capEndS } = capTimeline(segments, options);
  // The collector keeps only the first segments of a long run: say so rather than stop silently.
  const total = Math.max(kept, run.timelineTotal ?? 0);
  const endS = capEndS ?? (total > kept ? Math.max(...shown.map((x) => x.endS)) : undefined);
  const cut = shown.length < total && endS !== undefined
    ? ` (first ${fmtS(endS - firstS)} s: ${shown.length} of ${total} segments)`
    : '';
  // Known kinds first, in pipeline order (prefill before decode), then the rest alphabetically.
  const rank = (k: string) => (k in KIND_COLORS ? KNOWN_KINDS.indexOf(k) : KNOWN_KINDS.length);
  const kinds = [...new Set(shown.map((s) => s.kind))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  let extra = 0;
  const range = kinds.map((k) => KIND_COLORS[k] ?? EXTRA_COLORS[extra++ % EXTRA_COLORS.length]!);
  const values = shown.map((s) => ({ resource: s.resource, kind: s.kind, startS: s.startS, endS: s.endS, label: s.label ?? s.kind }));
  return {
    $schema: SCHEMA,
    title: `Timeline: ${run.label}${cut}`,
    width: WIDTH_PX,
    height: { step: 22 },
    data: { values },
    mark: { type: 'bar', clip: true, tooltip: true },
    encoding: {
      x: {
        field: 'startS',
        type: 'quantitative',
        title: 'time (s)',
        ...(endS !== undefined ? { scale: { domain: [firstS, endS] } } : {}),
      },
      x2: { field: 'endS' },
      y: { field: 'resource', type: 'nominal', title: null },
      color: { field: 'kind', type: 'nominal', title: 'kind', scale: { domain: kinds, range } },
    },
  };
}

function fmtS(s: number): string {
  return Number(s.toPrecision(3)).toString();
}
