/**
 * What the Jupyter notebooks (notebooks/*.ipynb) call: simulate a scenario in memory with
 * overrides, sweep one field, find the highest arrival rate that still meets the scenario's SLOs,
 * and tabulate the result. Kept here, typed and tested, so the notebooks stay a few lines a cell.
 */
import { loadScenario } from '../scenario/load.js';
import { runSimulation, type RunResult } from '../run/simulation.js';
import { NullRecordWriter } from '../run/record-writer.js';

/** One simulated point: the figures a capacity question needs (latencies in ms). */
export interface PointFigures {
  /** The value of the swept field (e.g. req/s). */
  value: number;
  completed: number;
  requestThroughput: number;
  outputTokS: number;
  /** Requests meeting every SLO / completed requests (1 without SLOs). */
  goodputFraction: number;
  medianTtftMs: number;
  p90TtftMs: number;
  p99TtftMs: number;
  medianTpotMs: number;
  p90TpotMs: number;
  p99TpotMs: number;
  /** KV cache capacity summed over every pool, tokens (what gpuMemoryUtilization and offload change). */
  kvTokens: number;
  preemptions: number;
}

/** Runs a scenario file with `path=value` overrides, in memory (no files written). */
export async function simulateScenario(file: string, overrides: readonly string[] = []): Promise<RunResult> {
  return runSimulation(loadScenario(file, overrides), { writer: new NullRecordWriter() });
}

export function figuresOf(value: number, r: RunResult): PointFigures {
  const s = r.summary as unknown as Record<string, number>;
  const extra = r.summary.pdsim as Record<string, unknown>;
  const good = extra['goodput_requests'];
  const pools = Object.values((extra['kv_capacity'] ?? {}) as Record<string, { kv_tokens: number }>);
  return {
    value,
    completed: s['completed']!,
    requestThroughput: s['request_throughput']!,
    outputTokS: s['output_throughput']!,
    goodputFraction: typeof good === 'number' && s['completed']! > 0 ? good / s['completed']! : 1,
    medianTtftMs: s['median_ttft_ms']!,
    p90TtftMs: s['p90_ttft_ms']!,
    p99TtftMs: s['p99_ttft_ms']!,
    medianTpotMs: s['median_tpot_ms']!,
    p90TpotMs: s['p90_tpot_ms']!,
    p99TpotMs: s['p99_tpot_ms']!,
    kvTokens: pools.reduce((sum, p) => sum + p.kv_tokens, 0),
    preemptions: typeof extra['preemptions'] === 'number' ? extra['preemptions'] : 0,
  };
}

/** One simulation per value of `field` (same seed), e.g. field `workload.arrival.rate`. */
export async function sweepField(file: string, field: string, values: readonly number[], overrides: readonly string[] = []): Promise<PointFigures[]> {
  const rows: PointFigures[] = [];
  for (const v of values) rows.push(figuresOf(v, await simulateScenario(file, [...overrides, `${field}=${v}`])));
  return rows;
}

/**
 * The largest swept value whose goodput fraction is at least `target`, scanning in increasing order
 * and stopping at the first miss (past saturation, queues only grow); undefined if the first misses.
 */
export function maxMeeting(rows: readonly PointFigures[], target: number): PointFigures | undefined {
  let best: PointFigures | undefined;
  for (const r of [...rows].sort((a, b) => a.value - b.value)) {
    if (r.goodputFraction < target) break;
    best = r;
  }
  return best;
}

/** A markdown table of rows (for Jupyter's text/markdown); numbers to `digits` significant digits. */
export function markdownTable(rows: readonly Record<string, string | number | null | undefined>[], digits = 4): string {
  if (rows.length === 0) return '(no rows)';
  const cols = Object.keys(rows[0]!);
  const cell = (v: string | number | null | undefined) => (typeof v === 'number' ? String(Number.isInteger(v) ? v : Number(v.toPrecision(digits))) : (v ?? '-'));
  return [`| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${cols.map((c) => cell(r[c])).join(' | ')} |`)].join('\n');
}
