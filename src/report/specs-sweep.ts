/**
 * Sweep charts, the ones Vidur's and vLLM's sweep plots give: latency percentiles (p50, p90, p99 of
 * TTFT, TPOT, ITL, E2EL) against the swept value on a log latency axis, and throughput and goodput
 * against it. A numeric swept value (a rate, a batch size) gets a quantitative x axis; anything else
 * (a GPU id, a policy) an ordinal one in sweep order.
 */
import type { TopLevelSpec } from 'vega-lite';
import { HEIGHT_PX, SCHEMA, WIDTH_PX } from './spec-parts.js';
import type { ReportInput } from './types.js';

const LATENCY = [
  { m: 'ttft', title: 'TTFT' },
  { m: 'tpot', title: 'TPOT' },
  { m: 'itl', title: 'ITL' },
  { m: 'e2el', title: 'E2EL' },
] as const;
const STATS = [
  { s: 'median', label: 'p50' },
  { s: 'p90', label: 'p90' },
  { s: 'p99', label: 'p99' },
] as const;

/** A friendlier axis title for the common swept fields. */
function xTitle(field: string): string {
  if (field === 'workload.arrival.rate') return 'arrival rate (req/s)';
  if (field.endsWith('maxConcurrency')) return 'max concurrency (requests)';
  return field;
}

function xEncoding(field: string, values: readonly string[]) {
  const numeric = values.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  return numeric
    ? { field: 'x', type: 'quantitative', title: xTitle(field) }
    : { field: 'x', type: 'ordinal', title: xTitle(field), sort: [...values] };
}

export function sweepCharts(sweep: ReportInput['sweep']): { id: string; spec: TopLevelSpec }[] {
  if (!sweep || sweep.points.length === 0) return [];
  const values = sweep.points.map((p) => p.value);
  const numeric = values.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  const xOf = (v: string): string | number => (numeric ? Number(v) : v);
  const x = xEncoding(sweep.field, values);
  const out: { id: string; spec: TopLevelSpec }[] = [];
  for (const { m, title } of LATENCY) {
    const rows = sweep.points.flatMap((p) =>
      STATS.map(({ s, label }) => ({ x: xOf(p.value), percentile: label, valueMs: p.figures[`${s}_${m}_ms`] ?? null })).filter((r) => r.valueMs !== null && r.valueMs > 0),
    );
    if (rows.length === 0) continue;
    out.push({
      id: `chart-sweep-${m}`,
      spec: {
        $schema: SCHEMA,
        title: `${title} percentiles vs ${xTitle(sweep.field)}`,
        width: WIDTH_PX,
        height: HEIGHT_PX,
        data: { values: rows },
        mark: { type: 'line', point: true, tooltip: true },
        encoding: {
          x,
          y: { field: 'valueMs', type: 'quantitative', title: `${title} (ms, log scale)`, scale: { type: 'log' } },
          color: { field: 'percentile', type: 'nominal', title: 'percentile', scale: { domain: STATS.map((s) => s.label) } },
        },
      } as TopLevelSpec,
    });
  }
  const rates = sweep.points.flatMap((p) => [
    { x: xOf(p.value), figure: 'throughput', reqPerS: p.figures['request_throughput'] ?? null },
    { x: xOf(p.value), figure: 'goodput', reqPerS: p.figures['request_goodput'] ?? null },
  ]).filter((r) => r.reqPerS !== null);
  if (rates.length > 0) {
    out.push({
      id: 'chart-sweep-goodput',
      spec: {
        $schema: SCHEMA,
        title: { text: `Throughput and goodput vs ${xTitle(sweep.field)}`, subtitle: 'goodput: completed requests meeting every SLO of the scenario, per second' },
        width: WIDTH_PX,
        height: HEIGHT_PX,
        data: { values: rates },
        mark: { type: 'line', point: true, tooltip: true },
        encoding: {
          x,
          y: { field: 'reqPerS', type: 'quantitative', title: 'requests/s' },
          color: { field: 'figure', type: 'nominal', title: 'figure', scale: { domain: ['throughput', 'goodput'] } },
        },
      } as TopLevelSpec,
    });
  }
  return out;
}
