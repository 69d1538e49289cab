/**
 * `pdsim simulate SCENARIO`: virtual-time run. Writes summary.json, requests.jsonl (streamed),
 * scenario.resolved.json and report.html into --out (default runs/<scenario>-<timestamp>).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadScenario } from '../../scenario/load.js';
import { runSimulation, type RunResult } from '../../run/simulation.js';
import { JsonlRecordWriter } from '../../run/record-writer.js';
import { writeReport } from '../../report/write.js';
import { ProgressReporter } from '../progress.js';
import { fmt, formatTable } from '../table.js';
import type { Summary } from '../../metrics/summary.js';
import { parseReplicates } from '../../plan/grid.js';
import { parseWorkers } from '../../plan/pool.js';
import { replicateIntervals, replicateSeeds } from '../../plan/replicates.js';
import { runSeeds } from '../../plan/replicated.js';
import { intervalTable } from '../replicate-tables.js';
import { DetailedRecorder } from '../../metrics/bench-detailed.js';

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function defaultOutDir(name: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
  return path.join('runs', `${name}-${stamp}`);
}

/** The console table: the same figures as summary.json. */
export function summaryTable(s: Summary): string {
  const g = (k: string) => s[k] as number | null;
  const lines = [
    `requests  completed ${s.completed}, failed ${s.failed}, duration ${fmt(g('duration'))} s`,
    `throughput  ${fmt(g('request_throughput'))} req/s, output ${fmt(g('output_throughput'))} tok/s, total ${fmt(g('total_token_throughput'))} tok/s${g('request_goodput') !== null ? `, goodput ${fmt(g('request_goodput'))} req/s` : ''}`,
    '',
    formatTable(['metric (ms)', 'mean', 'median', 'p90', 'p99'], ['ttft', 'tpot', 'itl', 'e2el'].map((m) => [m.toUpperCase(), g(`mean_${m}_ms`), g(`median_${m}_ms`), g(`p90_${m}_ms`), g(`p99_${m}_ms`)])),
  ];
  const p = s.pdsim;
  const inst = p.instances as Record<string, { busy_fraction: number; mean_batch_size: number; preemptions: number }>;
  lines.push('', formatTable(['instance', 'busy', 'mean batch', 'preemptions'], Object.entries(inst).map(([k, v]) => [k, v.busy_fraction, v.mean_batch_size, v.preemptions])));
  return lines.join('\n');
}

export interface SimulateCliOptions {
  out?: string;
  seed?: string;
  set?: string[];
  progress?: boolean;
  report?: boolean;
  stats?: boolean;
  replicates?: string;
  jobs?: string;
  saveDetailed?: boolean;
}

export async function simulateCommand(file: string, o: SimulateCliOptions): Promise<RunResult> {
  const replicates = parseReplicates(o.replicates);
  const workers = parseWorkers(o.jobs);
  const loaded = loadScenario(file, o.set ?? []);
  const sc = loaded.scenario;
  const seed = o.seed !== undefined ? Number(o.seed) : sc.seed;
  const outDir = o.out ?? defaultOutDir(sc.name);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'scenario.resolved.json'), JSON.stringify({ ...sc, seed }, null, 2) + '\n');
  const writer = new JsonlRecordWriter(path.join(outDir, 'requests.jsonl'));
  const detailed = o.saveDetailed ? new DetailedRecorder(writer) : undefined;
  const progress = new ProgressReporter('simulate');
  let stop = false;
  const onSigint = () => {
    stop = true;
  };
  process.once('SIGINT', onSigint);
  let result: RunResult;
  try {
    result = await runSimulation(loaded, {
      seed,
      writer: detailed ?? writer,
      shouldStop: () => stop,
      onProgress: o.progress === false ? undefined : (p) => progress.update(p.requestsDone, p.requestsTotal, `sim ${p.simTimeS.toFixed(0)}s`),
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
    writer.close();
    progress.done();
  }
  const summaryOut = detailed ? { ...result.summary, ...detailed.arrays(result.queueS) } : result.summary;
  writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summaryOut, null, 2) + '\n');
  const notes = result.built.uncalibratedGpus.map((g) => `GPU profile "${g}" is not calibrated against measured data: expect a wider error (see models/gpu/${g}.json expectedError).`);
  const warnings = result.built.warnings ?? [];
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  if (o.report !== false) await writeReport(outDir, {
    title: `pdsim simulate: ${sc.name}`,
    subtitle: `${loaded.file} · seed ${seed} · model ${sc.model}`,
    table: { columns: ['metric', sc.name], rows: ['ttft', 'tpot', 'itl', 'e2el'].flatMap((m) => [[`median ${m} ms`, result.summary[`median_${m}_ms`] as number], [`p99 ${m} ms`, result.summary[`p99_${m}_ms`] as number]]).concat([['output tok/s', result.summary.output_throughput as number], ['completed', result.summary.completed as number]]) },
    runs: [result.series],
    notes: [...warnings.map((w) => `warning: ${w}`), ...notes],
  });
  const out = process.stdout;
  out.write(`pdsim simulate ${sc.name} (seed ${seed})\n\n${summaryTable(result.summary)}\n\n`);
  for (const n of notes) out.write(`note: ${n}\n`);
  if (result.interrupted) out.write(`interrupted: partial results (${result.summary.completed} requests) are in ${outDir}\n`);
  out.write(`results: ${outDir}/{summary.json,requests.jsonl,scenario.resolved.json${o.report !== false ? ',report.html' : ''}}\n`);
  if (replicates > 1) {
    // The base seed's run above keeps every output as without --replicates; the other seeds add the intervals.
    const seeds = replicateSeeds(seed, replicates);
    const summaries = [result.summary, ...(await runSeeds(loaded, seeds.slice(1), workers))];
    const intervals = replicateIntervals(summaries);
    writeFileSync(path.join(outDir, 'replicates.json'), JSON.stringify({ seeds, intervals }, null, 2) + '\n');
    out.write(`\n${replicates} replicates (seeds ${seeds.join(', ')}): mean and 95% interval of the mean (Student t)\n${intervalTable(intervals)}\nreplicates: ${outDir}/replicates.json\n`);
  }
  if (o.stats) {
    // Machine-readable run statistics for `npm run bench` (peak RSS as the OS counts it).
    process.stderr.write(`PDSIM_STATS ${JSON.stringify({ events: result.events, requests: result.summary.completed, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
  }
  return result;
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('Simulate a scenario in virtual time and write summary.json, requests.jsonl, scenario.resolved.json and report.html')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('-o, --out <dir>', 'output directory (default runs/<scenario>-<timestamp>)')
    .option('--seed <n>', 'seed (overrides the scenario\'s)')
    .option('--set <path=value>', 'override a scenario field, e.g. workload.requests=5000 (repeatable)', collect, [])
    .option('--no-progress', 'no progress output')
    .option('--no-report', 'skip report.html')
    .option('--stats', 'print run statistics (events, peak RSS) to stderr')
    .option('--replicates <n>', 'also run N-1 more seeds (derived from the seed) and print mean and 95% interval per figure (replicates.json)')
    .option('-j, --jobs <n>', 'worker threads for the replicates (default: all cores)')
    .option('--save-detailed', 'add vllm bench serve --save-detailed per-request arrays to summary.json (input_lens, output_lens, ttfts, start_times, latencies, errors; seconds)')
    .action(async (file: string, o: SimulateCliOptions) => {
      await simulateCommand(file, o);
    });
}
