/**
 * Latency CDF charts: one step line per run on a log latency axis, so the tail (p99 and beyond,
 * where serving SLOs live) is not squashed against the body, with p50, p90 and p99 of each run
 * marked and labelled. The y axis says what is counted: requests, or inter-token gaps for ITL.
 */
import type { TopLevelSpec } from 'vega-lite';
import { HEIGHT_PX, runColor, SCHEMA, WIDTH_PX } from './spec-parts.js';
import type { CdfPoint, RunSeries } from './types.js';

export const CDF_METRICS = [
  { key: 'ttftMs', id: 'ttft', title: 'Time to first token (TTFT)', of: 'requests' },
  { key: 'tpotMs', id: 'tpot', title: 'Time per output token (TPOT)', of: 'requests' },
  // ITL pools every gap between consecutive tokens of every request (as vllm bench does).
  { key: 'itlMs', id: 'itl', title: 'Inter-token latency (ITL)', of: 'inter-token gaps' },
  { key: 'e2elMs', id: 'e2el', title: 'End-to-end latency (E2EL)', of: 'requests' },
] as const;

/** The percentiles marked on every CDF. */
export const MARKED_PERCENTILES = [50, 90, 99] as const;

/** The first CDF point at or above each marked percentile: what the chart labels p50/p90/p99. */
export function percentileMarks(points: readonly CdfPoint[]): { q: number; valueMs: number; p: number }[] {
  const out: { q: number; valueMs: number; p: number }[] = [];
  for (const q of MARKED_PERCENTILES) {
    const pt = points.find((x) => x.p >= q / 100 - 1e-12);
    if (pt) out.push({ q, valueMs: pt.valueMs, p: q / 100 });
  }
  return out;
}

/**
 * A latency CDF per run on a log latency axis (so the tail is not squashed against the body), with
 * the p50, p90 and p99 of each run marked and labelled.
 */
export function cdfSpec(
  runs: readonly RunSeries[],
  metric: keyof RunSeries['cdf'] | ((r: RunSeries) => readonly CdfPoint[] | undefined),
  title: string,
  of: string = 'requests',
): TopLevelSpec | undefined {
  const pointsOf = typeof metric === 'function' ? metric : (r: RunSeries) => r.cdf[metric];
  const withData = runs.filter((r) => (pointsOf(r) ?? []).length > 0);
  const values = withData.flatMap((r) => pointsOf(r)!.map((pt) => ({ run: r.label, valueMs: pt.valueMs, p: pt.p })));
  if (values.length === 0) return undefined;
  const marks = withData.flatMap((r) => percentileMarks(pointsOf(r)!).map((m) => ({ run: r.label, valueMs: m.valueMs, p: m.p, label: `p${m.q} ${fmtMs(m.valueMs)} ms` })));
  // A log axis needs positive values; a zero latency (a 1-token TPOT, a same-chunk ITL) falls back to symlog.
  const scale = values.every((v) => v.valueMs > 0) ? { type: 'log' } : { type: 'symlog' };
  const x = { field: 'valueMs', type: 'quantitative', title: 'latency (ms, log scale)', scale };
  const color = runColor(withData);
  return {
    $schema: SCHEMA,
    title,
    width: WIDTH_PX,
    height: HEIGHT_PX,
    layer: [
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after', tooltip: true },
        encoding: {
          x,
          y: { field: 'p', type: 'quantitative', title: `fraction of ${of} ≤ x`, scale: { domain: [0, 1] }, axis: { format: '.0%' } },
          color,
          // Keep each run's points in p order even if two points share a value.
          order: { field: 'p', type: 'quantitative' },
        },
      },
      {
        data: { values: marks },
        mark: { type: 'point', filled: true, size: 40, tooltip: true },
        encoding: { x, y: { field: 'p', type: 'quantitative' }, color },
      },
      {
        data: { values: marks },
        mark: { type: 'text', align: 'right', dx: -6, dy: -6, fontSize: 10 },
        encoding: { x, y: { field: 'p', type: 'quantitative' }, text: { field: 'label' }, color },
      },
    ],
  } as TopLevelSpec;
}

function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

