/**
 * The input of a report: what one or more runs (a simulation, a live measurement, scenario A/B)
 * hand to the report writer. It is plain JSON on purpose: `report.json` stores it beside
 * `report.html`, so a report can be re-rendered (`pdsim report <runDir>`) without re-running.
 */

/** One point of a latency CDF: P(latency <= valueMs) = p. */
export interface CdfPoint {
  valueMs: number;
  /** Cumulative fraction of requests, in [0, 1]. */
  p: number;
}

/** One sample of the time series, taken at fixed intervals of simulated or wall time. */
export interface TimeSample {
  tS: number;
  outputTokensPerS: number;
  requestsCompletedPerS: number;
  queueLength: number;
  running: number;
  /** Fraction of the KV cache in use, 0..1. */
  kvOccupancy: number;
}

/** One bar of the Gantt timeline: compute or a transfer on one resource (a GPU or a link direction). */
export interface TimelineSegment {
  resource: string;
  /** 'prefill' | 'decode' | 'mixed' | 'transfer' | 'offload' | anything else the producer emits. */
  kind: string;
  startS: number;
  endS: number;
  label?: string;
}

/** KV occupancy of one tier (GPU HBM, CPU DRAM, disk...) as a fraction of that tier's capacity. */
export interface TierSample {
  tS: number;
  tier: string;
  occupancy: number;
}

/** One run: a simulation, a live measurement, or one side of an A/B comparison. */
export interface RunSeries {
  /** e.g. "sim", "live", "dual-l4-disagg". */
  label: string;
  /** Latency CDF points per metric, already down-sampled (<= ~200 points each; see cdf.ts). */
  cdf: { ttftMs: CdfPoint[]; tpotMs: CdfPoint[]; itlMs: CdfPoint[]; e2elMs: CdfPoint[] };
  timeSeries: TimeSample[];
  timeline?: TimelineSegment[];
  tiers?: TierSample[];
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
}
