/**
 * Building blocks every report chart shares: size, the run color scale (run order fixes color order,
 * so "sim" and "live" keep their color across charts) and the line-over-time envelope.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { RunSeries } from './types.js';

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const WIDTH_PX = 640;
export const HEIGHT_PX = 220;

export function runColor(runs: readonly RunSeries[]) {
  return {
    field: 'run',
    type: 'nominal',
    title: 'run',
    scale: { domain: runs.map((r) => r.label) },
  } as const;
}


/** A line chart over time: the envelope every time-series chart shares. */
export function lineOverTime(title: string, values: Record<string, unknown>[], encoding: Record<string, unknown>): TopLevelSpec | undefined {
  if (values.length === 0) return undefined;
  return {
    $schema: SCHEMA,
    title,
    width: WIDTH_PX,
    height: HEIGHT_PX,
    data: { values },
    mark: { type: 'line', tooltip: true },
    encoding: { x: { field: 'tS', type: 'quantitative', title: 'time (s)' }, ...encoding },
  } as TopLevelSpec;
}


/** A line chart over time where color tells series apart and dash tells runs apart. */
export function seriesLineSpec(runs: readonly RunSeries[], title: string, values: Record<string, unknown>[], y: Record<string, unknown>, color: Record<string, unknown>): TopLevelSpec | undefined {
  return lineOverTime(title, values, {
    y: { type: 'quantitative', ...y },
    color: { type: 'nominal', ...color },
    strokeDash: { field: 'run', type: 'nominal', title: 'run', scale: { domain: runs.map((r) => r.label) } },
  });
}

