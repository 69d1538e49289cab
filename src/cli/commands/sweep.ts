/**
 * `pdsim sweep SCENARIO --vary path=v1,v2,... [--vary ...]`: one simulation per grid point (the
 * cartesian product of the --vary flags; same seed, so the same request lengths; only the varied
 * fields change), on all cores when the work is worth it (src/plan/pool.ts PARALLEL_MIN_CPU_S: on
 * 2 cores a second thread's cold JIT made small sweeps slower), `--replicates N` seeds per point with 95% intervals, `--shard i/N`
 * for a deterministic slice (joined by `pdsim merge`). sweep.jsonl gets one line per point in point
 * order as soon as the points before it are done, so it is byte-identical whatever the thread count.
 * The report overlays the latency CDFs and charts latency percentiles, throughput and goodput per point.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadScenario } from '../../scenario/load.js';
import { checkOutDir, prepareOutDir } from '../flags.js';
import { writeReport } from '../../report/write.js';
import type { RunSeries } from '../../metrics/run-series.js';
import type { SweepPoint } from '../../report/types.js';
import { figureOf, type Summary } from '../../metrics/summary.js';
import { gridPoints, inShard, parseAxes, parseReplicates, parseShard, type Axis } from '../../plan/grid.js';
import { replicateIntervals, replicateSeeds } from '../../plan/replicates.js';
import { parseWorkers, Pool } from '../../plan/pool.js';
import type { Task } from '../../plan/tasks.js';
import { formatInterval } from '../interval-format.js';
import { writeShardInfo } from '../../plan/shard-files.js';
import type { Interval } from '../../plan/stats.js';
import { formatTable } from '../table.js';
import { collect, defaultOutDir } from './simulate.js';

export const SWEEP_COLUMNS = ['request_throughput', 'output_throughput', 'request_goodput', 'median_ttft_ms', 'p99_ttft_ms', 'mean_tpot_ms', 'p99_tpot_ms', 'median_e2el_ms', 'completed', 'failed'] as const;

/** What the sweep charts plot per point: p50/p90/p99 of each latency metric, throughput and goodput. */
const SWEEP_FIGURES = [
  ...['ttft', 'tpot', 'itl', 'e2el'].flatMap((m) => ['median', 'p90', 'p99'].map((s) => `${s}_${m}_ms`)),
  'request_throughput', 'request_goodput', 'output_throughput',
];

export interface SweepOptions {
  vary: string[];
  out?: string;
  set?: string[];
  replicates?: string;
  shard?: string;
  jobs?: string;
  report?: boolean;
}

export type SweepRow = Record<string, unknown>;

/** One sweep.jsonl line: the point's index and values, the key figures (means over replicates), intervals, the base seed's summary. */
function sweepLine(point: number, values: Record<string, string>, summaries: Summary[], seeds: number[]): SweepRow {
  const row: SweepRow = { point, ...values };
  const iv = summaries.length > 1 ? replicateIntervals(summaries) : undefined;
  for (const k of SWEEP_COLUMNS) row[k] = iv?.[k]?.mean ?? summaries[0]![k];
  if (iv) {
    row.seeds = seeds;
    const keys: string[] = [...SWEEP_COLUMNS, 'slo_attainment'];
    row.intervals = Object.fromEntries(keys.filter((k) => iv[k]).map((k) => [k, iv[k]!]));
  }
  row.summary = summaries[0];
  return row;
}

/** The console table of sweep rows (from a run or from merged shards). */
export function sweepTable(axes: readonly string[], rows: readonly SweepRow[]): { columns: string[]; rows: (string | number | null)[][] } {
  const cell = (r: SweepRow, k: string): string | number | null => {
    const iv = (r.intervals as Record<string, Interval> | undefined)?.[k];
    return iv ? formatInterval(iv) : (r[k] as number | null);
  };
  return { columns: [...axes, ...SWEEP_COLUMNS], rows: rows.map((r) => [...axes.map((a) => String(r[a])), ...SWEEP_COLUMNS.map((k) => cell(r, k))]) };
}

export async function sweepCommand(file: string, o: SweepOptions): Promise<SweepRow[]> {
  const axes: Axis[] = parseAxes(o.vary);
  const replicates = parseReplicates(o.replicates);
  const shard = parseShard(o.shard);
  const workers = parseWorkers(o.jobs);
  if (o.out !== undefined) checkOutDir(o.out);
  const first = loadScenario(file, o.set ?? []);
  const seeds = replicateSeeds(first.scenario.seed, replicates);
  const points = gridPoints(axes).map((values, index) => ({ values, index })).filter((p) => inShard(p.index, shard));
  // With -j the threads boot while the points load (each load parses the file again); by default they start when the work is known to be worth it.
  const pool = new Pool(workers, points.length * seeds.length);
  let rows: SweepRow[];
  let runs: RunSeries[];
  let chartPoints: SweepPoint[];
  let outDir: string;
  try {
    // Every point is loaded (validated) here, so a bad value fails before any simulation starts.
    const tasks: Task[] = points.flatMap((p) => {
      const loaded = loadScenario(file, [...(o.set ?? []), ...Object.entries(p.values).map(([f, v]) => `${f}=${v}`)]);
      return seeds.map((seed, r): Task => ({ kind: 'eval', input: { raw: loaded.scenario as unknown as Record<string, unknown>, file: loaded.file, baseDir: loaded.baseDir, seed, series: r === 0 && o.report !== false } }));
    });
    outDir = prepareOutDir(o.out ?? defaultOutDir(`${first.scenario.name}-sweep`));
    const jsonl = path.join(outDir, 'sweep.jsonl');
    writeFileSync(jsonl, '');
    writeShardInfo(outDir, { kind: 'sweep', file: first.file, argv: { vary: o.vary, set: o.set ?? [], replicates }, total: gridPoints(axes).length, shard });
    rows = [];
    runs = [];
    chartPoints = [];
    let pending: Summary[] = [];
    await pool.run(tasks, (i, res) => {
      if (res.kind !== 'eval') throw new Error('sweep: unexpected task result');
      pending.push(res.output.summary);
      if (res.output.series) runs.push({ ...res.output.series, label: Object.entries(points[Math.floor(i / replicates)]!.values).map(([f, v]) => `${f}=${v}`).join(' ') });
      if (pending.length < replicates) return;
      const p = points[Math.floor(i / replicates)]!;
      const row = sweepLine(p.index, p.values, pending, seeds);
      const pending0 = pending[0]!;
      pending = [];
      rows.push(row);
      const s0 = pending0;
      chartPoints.push({ value: Object.values(p.values).join(', '), figures: Object.fromEntries(SWEEP_FIGURES.map((k) => [k, figureOf(s0, k)])) });
      appendFileSync(jsonl, JSON.stringify(row) + '\n');
      process.stderr.write(`sweep: point ${p.index} (${Object.entries(p.values).map(([f, v]) => `${f}=${v}`).join(', ')}) done (${rows.length}/${points.length})\n`);
    });
  } finally {
    await pool.close();
  }
  const table = sweepTable(axes.map((a) => a.field), rows);
  process.stdout.write(formatTable(table.columns, table.rows) + '\n');
  if (replicates > 1) process.stdout.write(`${replicates} replicates per point (seeds ${seeds.join(', ')}): mean ±95% half-width (Student t)\n`);
  if (o.report !== false) await writeReport(outDir, { title: `pdsim sweep: ${first.scenario.name}, ${axes.map((a) => a.field).join(' x ')}`, subtitle: first.file, runs, table, sweep: { field: axes.map((a) => a.field).join(' x '), points: chartPoints } });
  process.stdout.write(`results: ${outDir}/{sweep.jsonl${o.report !== false ? ',report.html' : ''}}\n`);
  return rows;
}

export function register(program: Command): void {
  program
    .command('sweep')
    .description('Simulate a scenario at every point of a grid (repeat --vary), on all cores when the work is large enough to gain from them, and tabulate the key figures')
    .argument('<scenario>', 'scenario file')
    .requiredOption('--vary <path=v1,v2,...>', 'field and values, e.g. workload.arrival.rate=2,4,8,16; repeat for a grid', collect, [])
    .option('-o, --out <dir>', 'output directory')
    .option('--set <path=value>', 'fixed override (repeatable)', collect, [])
    .option('--replicates <n>', 'seeds per point (derived from the scenario seed): mean and 95% interval per figure', '1')
    .option('--shard <i/N>', 'run only the points whose index is i modulo N (join shards with `pdsim merge`)')
    .option('-j, --jobs <n>', 'worker threads (default: all cores once the work is estimated at 2 CPU-s or more, else serial; 1 = serial, in-process; results identical either way)')
    .option('--no-report', 'skip report.html')
    .action(async (file: string, o: SweepOptions) => {
      await sweepCommand(file, o);
    });
}
