/**
 * `pdsim sweep SCENARIO --vary path=v1,v2,...`: one simulation per value (same seed, so the same
 * request lengths; only the varied field changes), a table of the key figures, and a report with
 * the latency CDFs overlaid and latency percentiles, throughput and goodput against the value. Each point is appended to sweep.jsonl as soon as it finishes, so an
 * interrupted sweep keeps its finished points.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { loadScenario } from '../../scenario/load.js';
import { checkOutDir, prepareOutDir } from '../flags.js';
import { runSimulation } from '../../run/simulation.js';
import { NullRecordWriter } from '../../run/record-writer.js';
import { writeReport } from '../../report/write.js';
import type { RunSeries } from '../../metrics/run-series.js';
import type { SweepPoint } from '../../report/types.js';
import { formatTable } from '../table.js';
import { collect, defaultOutDir } from './simulate.js';

export const SWEEP_COLUMNS = ['request_throughput', 'output_throughput', 'request_goodput', 'median_ttft_ms', 'p99_ttft_ms', 'mean_tpot_ms', 'p99_tpot_ms', 'median_e2el_ms', 'completed', 'failed'] as const;

/** What the sweep charts plot per point: p50/p90/p99 of each latency metric, throughput and goodput. */
const SWEEP_FIGURES = [
  ...['ttft', 'tpot', 'itl', 'e2el'].flatMap((m) => ['median', 'p90', 'p99'].map((s) => `${s}_${m}_ms`)),
  'request_throughput', 'request_goodput', 'output_throughput',
];

export async function sweepCommand(file: string, o: { vary: string; out?: string; set?: string[] }): Promise<Record<string, unknown>[]> {
  const eq = o.vary.indexOf('=');
  if (eq <= 0) throw new UserError(`--vary expects path=v1,v2,..., got "${o.vary}"`);
  const field = o.vary.slice(0, eq);
  const values = o.vary.slice(eq + 1).split(',').filter((v) => v !== '');
  if (values.length === 0) throw new UserError('--vary needs at least one value');
  if (o.out !== undefined) checkOutDir(o.out);
  const first = loadScenario(file, o.set ?? []);
  const outDir = prepareOutDir(o.out ?? defaultOutDir(`${first.scenario.name}-sweep`));
  const jsonl = path.join(outDir, 'sweep.jsonl');
  writeFileSync(jsonl, '');
  const rows: Record<string, unknown>[] = [];
  const runs: RunSeries[] = [];
  const points: SweepPoint[] = [];
  for (const v of values) {
    const loaded = loadScenario(file, [...(o.set ?? []), `${field}=${v}`]);
    const r = await runSimulation(loaded, { writer: new NullRecordWriter() });
    const row: Record<string, unknown> = { [field]: v };
    for (const k of SWEEP_COLUMNS) row[k] = r.summary[k];
    rows.push(row);
    appendFileSync(jsonl, JSON.stringify({ ...row, summary: r.summary }) + '\n');
    runs.push({ ...r.series, label: `${field}=${v}`, timeline: undefined });
    points.push({ value: v, figures: Object.fromEntries(SWEEP_FIGURES.map((k) => [k, typeof r.summary[k] === 'number' ? (r.summary[k] as number) : null])) });
    process.stderr.write(`sweep: ${field}=${v} done (${rows.length}/${values.length})\n`);
  }
  process.stdout.write(formatTable([field, ...SWEEP_COLUMNS], rows.map((r) => [String(r[field]), ...SWEEP_COLUMNS.map((k) => r[k] as number | null)])) + '\n');
  await writeReport(outDir, { title: `pdsim sweep: ${first.scenario.name}, ${field}`, subtitle: first.file, runs, table: { columns: [field, ...SWEEP_COLUMNS], rows: rows.map((r) => [String(r[field]), ...SWEEP_COLUMNS.map((k) => r[k] as number | null)]) }, sweep: { field, points } });
  process.stdout.write(`results: ${outDir}/{sweep.jsonl,report.html}\n`);
  return rows;
}

export function register(program: Command): void {
  program
    .command('sweep')
    .description('Simulate a scenario once per value of one field (e.g. the arrival rate) and tabulate the key figures')
    .argument('<scenario>', 'scenario file')
    .requiredOption('--vary <path=v1,v2,...>', 'field and values, e.g. workload.arrival.rate=2,4,8,16')
    .option('-o, --out <dir>', 'output directory')
    .option('--set <path=value>', 'fixed override (repeatable)', collect, [])
    .action(async (file: string, o: { vary: string; out?: string; set?: string[] }) => {
      await sweepCommand(file, o);
    });
}
