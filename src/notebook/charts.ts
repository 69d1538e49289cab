/**
 * Vega-Lite specs for swept points (PointFigures): latency percentiles against the swept value on
 * a log axis (tails span decades), and the goodput fraction against it with the target drawn.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { PointFigures } from './explore.js';

export interface SweepChartOptions {
  /** Axis title of the swept value, with its unit, e.g. "arrival rate (req/s)". */
  xTitle: string;
  /** One line per series; rows carry a `series` label (e.g. the scenario). */
  width?: number;
}

type Row = PointFigures & { series: string };

/** p50/p90/p99 of TTFT or TPOT against the swept value, one colour per series, one dash per percentile. */
export function latencyVsValueSpec(rows: readonly Row[], metric: 'ttft' | 'tpot', o: SweepChartOptions): TopLevelSpec {
  const key = metric === 'ttft' ? 'Ttft' : 'Tpot';
  const values = rows.flatMap((r) =>
    (['median', 'p90', 'p99'] as const).map((p) => ({ series: r.series, value: r.value, percentile: p === 'median' ? 'p50' : p, ms: r[`${p}${key}Ms`] })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${metric.toUpperCase()} percentiles vs ${o.xTitle}`,
    width: o.width ?? 520,
    height: 260,
    data: { values },
    // No point marks: with them the dash legend shows dots, which cannot tell p50 from p99.
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x: { field: 'value', type: 'quantitative', title: o.xTitle },
      y: { field: 'ms', type: 'quantitative', title: `${metric.toUpperCase()} (ms, log scale)`, scale: { type: 'log' } },
      color: { field: 'series', type: 'nominal', title: null },
      strokeDash: { field: 'percentile', type: 'nominal', title: 'percentile', sort: ['p50', 'p90', 'p99'] },
    },
  };
}

/** Fraction of requests meeting every SLO against the swept value, with the target as a rule. */
export function goodputVsValueSpec(rows: readonly Row[], target: number, o: SweepChartOptions): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Requests meeting the SLOs vs ${o.xTitle}`,
    width: o.width ?? 520,
    height: 220,
    layer: [
      {
        data: { values: rows.map((r) => ({ series: r.series, value: r.value, fraction: r.goodputFraction })) },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'value', type: 'quantitative', title: o.xTitle },
          y: { field: 'fraction', type: 'quantitative', title: 'fraction of requests meeting every SLO', scale: { domain: [0, 1] }, axis: { format: '%' } },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
      { data: { values: [{ target }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { y: { field: 'target', type: 'quantitative' } } },
    ],
  };
}
