/**
 * What one run hands to reports and comparisons: latency CDF points, time series, the compute and
 * transfer timeline and tier occupancy. Plain JSON (report.json stores it), produced by metrics and
 * the live adapters, drawn by src/report.
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
  /** Segments the run produced, when more than `timeline` keeps (the Gantt says what it shows). */
  timelineTotal?: number;
  tiers?: TierSample[];
  /** Time-series fields this run did not measure (a live run has no KV occupancy or queue gauge). */
  unmeasured?: ('queueLength' | 'kvOccupancy')[];
  /** P/D: CDF of the KV transfer time per request (requests.jsonl `kvTransferMs`), ms. */
  kvTransferMs?: CdfPoint[];
  /** P/D: each link direction's mean rate while carrying KV, GB/s (links summary: bytes / busy time). */
  linkBusyGBps?: Record<string, number>;
  /** Per-instance gauges over time (P/D back-pressure: prefill KV held for pulls, decode queues). */
  instances?: InstanceSample[];
  /** P/D back-pressure counters from the summary, for the chart's subtitle. */
  backPressure?: { decodeReservationWaits: number; decodeQueueMeanLength: number; decodeQueueMax: number };
}

/** One instance's gauges at one time. */
export interface InstanceSample {
  tS: number;
  instance: string;
  waiting: number;
  running: number;
  /** Fraction of the instance's KV blocks in use, 0..1. */
  kvOccupancy: number;
}
