/**
 * The planner's answer from its per-candidate results: throughput per GPU and per dollar (from
 * the mean maximum rate) and the Pareto frontiers of each against latency (higher throughput,
 * lower latency). Pure: it is computed the same way from a run's plan.jsonl or from merged shards.
 */
import type { CandidateResult } from './search.js';

/** One plan.jsonl line: the candidate's result plus its hardware facts. */
export interface PlanLine extends CandidateResult {
  gpus: number;
  costPerHour: number | null;
  group: number;
  deployment: unknown;
  knobs: unknown;
  /** Requests per second per GPU at the maximum rate. */
  ratePerGpu?: number;
  /** Requests served per dollar at the maximum rate (rate x 3600 / cost per hour). */
  requestsPerDollar?: number | null;
}

export function withEfficiency(line: Omit<PlanLine, 'ratePerGpu' | 'requestsPerDollar'>): PlanLine {
  if (!line.maxRate) return line;
  const r = line.maxRate.mean;
  return { ...line, ratePerGpu: r / line.gpus, requestsPerDollar: line.costPerHour !== null && line.costPerHour > 0 ? (r * 3600) / line.costPerHour : null };
}

/** Indices (into `lines`) of the non-dominated points for (value up, latency down), sorted by latency. */
export function paretoFront(lines: readonly PlanLine[], value: (l: PlanLine) => number | null | undefined): number[] {
  const pts = lines
    .map((l, i) => ({ i, v: value(l), lat: l.latencyMs?.mean }))
    .filter((p): p is { i: number; v: number; lat: number } => p.v !== null && p.v !== undefined && p.lat !== undefined && lines[p.i]!.status === 'ok');
  const front = pts.filter((p) => !pts.some((q) => q.v >= p.v && q.lat <= p.lat && (q.v > p.v || q.lat < p.lat)));
  return front.sort((a, b) => a.lat - b.lat || b.v - a.v || a.i - b.i).map((p) => p.i);
}

export interface Frontiers {
  perGpu: number[];
  perDollar: number[];
}

export function frontiers(lines: readonly PlanLine[]): Frontiers {
  return { perGpu: paretoFront(lines, (l) => l.ratePerGpu), perDollar: paretoFront(lines, (l) => l.requestsPerDollar) };
}
