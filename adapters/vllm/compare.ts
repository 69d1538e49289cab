/**
 * Predicted (simulation) against measured (live or an imported bench result), metric by metric.
 * The error is signed and relative to the measurement: (predicted - measured) / measured x 100,
 * so +12 means the simulator predicted 12% too high. It is null when either side is missing or
 * the measurement is 0.
 */
import { LATENCY_METRICS, type BenchSummary } from './types.js';

export interface MetricComparison {
  predicted: number | null;
  measured: number | null;
  errorPct: number | null;
}

export interface Comparison {
  metrics: Record<string, MetricComparison>;
}

/** The metrics compared by default, in table order. */
export const COMPARED_KEYS: readonly string[] = [
  'completed',
  'failed',
  'duration',
  'request_throughput',
  'output_throughput',
  ...LATENCY_METRICS.flatMap((m) => [`mean_${m}_ms`, `median_${m}_ms`, `p90_${m}_ms`, `p99_${m}_ms`]),
];

const value = (s: BenchSummary, key: string): number | null => {
  const v = (s as unknown as Record<string, unknown>)[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

export function signedErrorPct(predicted: number | null, measured: number | null): number | null {
  if (predicted === null || measured === null || measured === 0) return null;
  return ((predicted - measured) / Math.abs(measured)) * 100;
}

export function compareSummaries(predicted: BenchSummary, measured: BenchSummary, keys = COMPARED_KEYS): Comparison {
  const metrics: Record<string, MetricComparison> = {};
  for (const k of keys) {
    const p = value(predicted, k);
    const m = value(measured, k);
    metrics[k] = { predicted: p, measured: m, errorPct: signedErrorPct(p, m) };
  }
  return { metrics };
}

const cell = (v: number | null, digits = 2): string => (v === null ? '-' : v.toFixed(digits));

/** A fixed-width text table for the terminal. */
export function formatComparisonTable(c: Comparison, labels: [string, string] = ['predicted', 'measured']): string {
  const rows = Object.entries(c.metrics).map(([k, m]) => [
    k,
    cell(m.predicted),
    cell(m.measured),
    m.errorPct === null ? '-' : `${m.errorPct >= 0 ? '+' : ''}${m.errorPct.toFixed(1)}%`,
  ]);
  const header = ['metric', labels[0], labels[1], 'error'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c2, i) => (i === 0 ? c2.padEnd(widths[i]!) : c2.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}
