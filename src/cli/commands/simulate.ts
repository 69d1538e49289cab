/**
 * `pdsim simulate SCENARIO`: virtual-time run. Writes summary.json, requests.jsonl (streamed),
 * scenario.resolved.json and report.html into --out (default runs/<scenario>-<timestamp>).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { UserError } from '../../errors.js';
import { formatRangeFlag, rangeFindings } from '../../perf/range-flags.js';
import path from 'node:path';
import type { Command } from 'commander';
import { loadScenario } from '../../scenario/load.js';
import { checkOutDir, prepareOutDir, seedFlag } from '../flags.js';
import { runSimulation, type RunResult } from '../../run/simulation.js';
import { JsonlRecordWriter, NullRecordWriter } from '../../run/record-writer.js';
import { openRecordSink, type RecordSink } from '../../run/record-thread.js';
import { writeReport } from '../../report/write.js';
import { ProgressReporter } from '../progress.js';
import { fmt, formatTable } from '../table.js';
import { figureOf, type Summary } from '../../metrics/summary.js';
import { parseReplicates } from '../../plan/grid.js';
import { parseWorkers } from '../../plan/pool.js';
import { replicateIntervals, replicateSeeds } from '../../plan/replicates.js';
import { runSeeds } from '../../plan/replicated.js';
import { intervalTable } from '../replicate-tables.js';
import { DetailedRecorder } from '../../metrics/bench-detailed.js';
import { cliMessages } from '../../messages/cli.js';

/**
 * Writes a file whole or not at all: to a temporary name, then renamed over the target, so a full
 * disk or a kill mid-write never leaves half a JSON document.
 */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(cliMessages.cannotWriteOutput(code === 'ENOSPC' ? 'the disk is full' : code ?? (e as Error).message), file);
  }
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function defaultOutDir(name: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
  return path.join('runs', `${name}-${stamp}`);
}

/** The console table: the same figures as summary.json. */
export function summaryTable(s: Summary): string {
  const g = (k: string) => figureOf(s, k);
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
  vllmVersion?: string;
  /** false: no requests.jsonl (`--no-requests`). */
  requests?: boolean;
}

export async function simulateCommand(file: string, o: SimulateCliOptions): Promise<RunResult> {
  const seedArg = o.seed !== undefined ? seedFlag('--seed', o.seed) : undefined;
  if (o.out !== undefined) checkOutDir(o.out);
  const loaded = loadScenario(file, withVersion(o.set ?? [], o.vllmVersion));
  const replicates = parseReplicates(o.replicates);
  const workers = parseWorkers(o.jobs);
  const sc = loaded.scenario;
  const seed = seedArg ?? sc.seed;
  const outDir = prepareOutDir(o.out ?? defaultOutDir(sc.name));
  writeFileAtomic(path.join(outDir, 'scenario.resolved.json'), JSON.stringify({ ...sc, seed }, null, 2) + '\n');
  // A long run writes requests.jsonl on a second thread (same bytes; see src/run/record-thread.ts).
  const jsonl = path.join(outDir, 'requests.jsonl');
  const writer: RecordSink = o.requests === false ? new JsonlRecordWriter(jsonl) : openRecordSink(jsonl, sc.workload.requests);
  // --no-requests: records go nowhere, and the (empty) file is removed after the run.
  const records = o.requests === false ? new NullRecordWriter() : writer;
  const detailed = o.saveDetailed ? new DetailedRecorder(records) : undefined;
  const progress = new ProgressReporter('simulate');
  // SIGINT (Ctrl-C) and SIGTERM (kill, a container stop) both stop at the next event boundary and
  // keep everything so far; a second signal ends the process at once (the default handler is back).
  let stopSignal: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    stopSignal = sig;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let result: RunResult;
  try {
    result = await runSimulation(loaded, {
      seed,
      writer: detailed ?? records,
      shouldStop: () => stopSignal !== undefined || writer.error !== undefined,
      onProgress: o.progress === false ? undefined : (p) => progress.update(p.requestsDone, p.requestsTotal, `sim ${p.simTimeS.toFixed(0)}s`),
    });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    // Waits for the record thread: every record handed over is in the file before summary.json.
    await writer.close();
    if (o.requests === false) rmSync(writer.file, { force: true });
    progress.done();
  }
  // pdsim.interrupted is set by the run; say why, and how much of requests.jsonl a disk error kept.
  if (stopSignal) result.summary.pdsim.interrupt_reason = stopSignal;
  if (writer.error) {
    result.summary.pdsim.interrupted = true;
    result.summary.pdsim.interrupt_reason = writer.error.message;
    result.summary.pdsim.requests_jsonl_records = writer.flushed;
  }
  try {
    const summaryOut = detailed ? { ...result.summary, ...detailed.arrays(result.queueS) } : result.summary;
    writeFileAtomic(path.join(outDir, 'summary.json'), JSON.stringify(summaryOut, null, 2) + '\n');
  } catch (e) {
    // The first failure is the one to report; the summary's is its consequence.
    if (writer.error) throw new UserError(cliMessages.summaryNotWrittenEither(writer.errorDetail), writer.file);
    throw e;
  }
  if (writer.error) throw writer.error;
  const notes = [...(loaded.notes ?? []), ...result.built.uncalibratedGpus.map((g) => `GPU profile "${g}" is not calibrated against measured data: expect a wider error (see models/gpu/${g}.json expectedError).`)];
  // Uncalibrated profiles already have their note; the other out-of-range flags get a warning line each.
  const warnings = [...(result.built.warnings ?? []), ...rangeFindings(result.summary.pdsim.out_of_range).map(formatRangeFlag)];
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  if (o.report !== false) await writeReport(outDir, {
    title: `pdsim simulate: ${sc.name}`,
    subtitle: `${loaded.file} · seed ${seed} · model ${sc.model}`,
    table: { columns: ['metric', sc.name], rows: ['ttft', 'tpot', 'itl', 'e2el'].flatMap((m) => [[`median ${m} ms`, figureOf(result.summary, `median_${m}_ms`) as number], [`p99 ${m} ms`, figureOf(result.summary, `p99_${m}_ms`) as number]]).concat([['output tok/s', result.summary.output_throughput as number], ['completed', result.summary.completed as number]]) },
    runs: [result.series],
    notes: [...warnings.map((w) => `warning: ${w}`), ...notes],
  });
  const out = process.stdout;
  out.write(`pdsim simulate ${sc.name} (seed ${seed})\n\n${summaryTable(result.summary)}\n\n`);
  for (const n of notes) out.write(`note: ${n}\n`);
  if (result.interrupted) {
    out.write(`interrupted (${stopSignal ?? 'stopped'}): partial results (${result.summary.completed} requests) are in ${outDir}\n`);
    // 128 + signal number, as a shell reports a process a signal ended.
    process.exitCode = stopSignal === 'SIGTERM' ? 143 : 130;
  }
  out.write(`results: ${outDir}/{summary.json,${o.requests !== false ? 'requests.jsonl,' : ''}scenario.resolved.json${o.report !== false ? ',report.html' : ''}}\n`);
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
    // CPU seconds of this process too (start-up included): a loaded machine inflates them less than wall time.
    const ru = process.resourceUsage();
    process.stderr.write(`PDSIM_STATS ${JSON.stringify({ events: result.events, requests: result.summary.completed, maxRssMB: ru.maxRSS / 1024, cpuS: (ru.userCPUTime + ru.systemCPUTime) / 1e6, mainCpuS: mainThreadCpuS() })}\n`);
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
    .option('--no-requests', 'skip requests.jsonl (per-request records; a quarter of a 100k-request run\'s CPU time)')
    .option('--stats', 'print run statistics (events, peak RSS) to stderr')
    .option('--replicates <n>', 'also run N-1 more seeds (derived from the seed) and print mean and 95% interval per figure (replicates.json)')
    .option('-j, --jobs <n>', 'worker threads for the replicates (default: all cores)')
    .option('--save-detailed', 'add vllm bench serve --save-detailed per-request arrays to summary.json (input_lens, output_lens, ttfts, start_times, latencies, errors; seconds)')
    .option('--vllm-version <x.y.z>', 'vLLM version to predict (same as --set engine.vllmVersion=X)')
    .action(async (file: string, o: SimulateCliOptions) => {
      await simulateCommand(file, o);
    });
}

/** `--vllm-version X` is `--set engine.vllmVersion=X` (quoted so YAML keeps "0.10" a string). */
export function withVersion(set: readonly string[], version: string | undefined): string[] {
  return version === undefined ? [...set] : [...set, `engine.vllmVersion=${JSON.stringify(version)}`];
}

/**
 * CPU seconds of this (the main) thread alone, where Linux says (/proc/thread-self/schedstat, in
 * ns): the run's own thread, without the record thread's and the GC helpers' time, so what bounds
 * the wall time on an idle machine. Undefined elsewhere (JSON.stringify then drops the key).
 */
function mainThreadCpuS(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9;
  } catch {
    return undefined;
  }
}
