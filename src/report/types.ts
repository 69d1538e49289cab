/**
 * The input of a report: what one or more runs (a simulation, a live measurement, scenario A/B)
 * hand to the report writer. It is plain JSON on purpose: `report.json` stores it beside
 * `report.html`, so a report can be re-rendered (`pdsim report <runDir>`) without re-running.
 */

import type { RunSeries } from '../metrics/run-series.js';

export type { CdfPoint, InstanceSample, RunSeries, TierSample, TimelineSegment, TimeSample } from '../metrics/run-series.js';

/** One point of a sweep: the swept value and the figures of its run (summary.json keys). */
export interface SweepPoint {
  value: string;
  figures: Record<string, number | null>;
}

export interface ReportInput {
  title: string;
  /** e.g. scenario file, seed, date. */
  subtitle?: string;
  /** Key figures shown as a table at the top: rows of [name, value per run]. */
  table?: { columns: string[]; rows: (string | number | null)[][] };
  /** One run = simulate; two = compare/validate overlays. */
  runs: RunSeries[];
  /** Warnings such as "uses uncalibrated GPU profile l4". */
  notes?: string[];
  /** Charts a command builds itself (e.g. the plan's frontier), as Vega-Lite specs, shown after the table. */
  extraCharts?: { title: string; spec: Record<string, unknown> }[];
  /** `pdsim sweep`: the swept field and one point per value, for the figures-vs-value charts. */
  sweep?: { field: string; points: SweepPoint[] };
}
