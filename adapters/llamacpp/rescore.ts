/**
 * A finished `npm run bench:llamacpp` run scored again offline, so that a change to how the loop
 * derives its device profile can be judged on runs already measured, without new live runs (they
 * are noisy on a shared machine, and a quiet one is rare). From the run's directory it reads the
 * engine's fit (models-passes/), the prediction's profile (models/), the scenarios it validated
 * (scenario-rate*.json), the server's step log (steps.jsonl: the calibration run's iterations come
 * before the first validated rate's) and bench.json (each rate's window and measured figures).
 *
 * Per rate it simulates the scenario twice: as the run did, with its own models/ (which must give
 * back the run's saved prediction: a check that the tree still simulates as it did), and as the
 * loop would now: the scenario with the loop's engine fields (loop.ts LOOP_ENGINE) and the profile
 * it derives (server-overhead.ts: the engine's fit plus the server's cost, fitted on the
 * calibration iterations after its warm-up requests), and sets both beside the measured median
 * TTFT, mean TPOT and mean ITL; and splits the new prediction's per-token time into its terms on
 * the served shapes (tpot-terms.ts). `--served-cost` fits the server's cost on the validated
 * rates' own iterations instead: in-sample, so a bound on what a better calibration run could
 * give, not a prediction.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { NullRecordWriter } from '../../src/run/record-writer.js';
import { runSimulation } from '../../src/run/simulation.js';
import { loadScenario } from '../../src/scenario/load.js';
import { LOOP_ENGINE } from './loop.js';
import { afterWarmup, CALIBRATION_WARMUP_REQUESTS, fitServerOverhead, iterationOverheads, servedDeviceJson, type ServerOverhead } from './server-overhead.js';
import { passPricer, readStepLog } from './step-check.js';
import type { StepRecord } from './step-loop.js';
import { tpotTerms, type TpotTerms } from './tpot-terms.js';

/** The figures scored, as summary.json / comparison.json name them. */
export const RESCORED_METRICS = ['median_ttft_ms', 'mean_tpot_ms', 'mean_itl_ms'] as const;
type Metric = (typeof RESCORED_METRICS)[number];
type Figures = Record<Metric, number>;

/** What rescore reads of bench.json (bench.ts writes it). */
export interface BenchFile {
  model: string;
  threads: number;
  serverOverhead: ServerOverhead;
  /** The calibration run's window (epoch ms), in runs made since it is recorded. */
  calibrationWindow?: [number, number];
  points: { rate: number; fromMs: number; toMs: number; comparison: { metrics: Record<string, { predicted: number | null; measured: number | null }> } }[];
}

export interface RescoredPoint {
  rate: number;
  measured: Figures;
  old: Figures;
  /** The re-simulation with the run's models/ gave the run's saved prediction (to 1e-9 relative). */
  reproduced: boolean;
  new: Figures;
  /** The new prediction's per-token terms on the served shapes. */
  tpot: TpotTerms;
}

export interface RescoredRun {
  run: string;
  serverOverhead: { old: ServerOverhead; new: ServerOverhead };
  points: RescoredPoint[];
}

export interface RescoreOptions {
  /** Calibration requests left out at the start (a run made before the loop sent them apart). */
  warmupRequests?: number;
  /** Fit the server's cost on the validated rates' own iterations (in-sample; a bound). */
  servedCost?: boolean;
  /** Simulate the new profile on the run's scenario as it was, not with the loop's engine fields of now (to tell the two changes apart). */
  oldScenario?: boolean;
}

/** (predicted - measured) / measured x 100, as comparison.json gives it. */
export const errorPct = (predicted: number, measured: number): number => ((predicted - measured) / measured) * 100;

/** The calibration run's iterations: its recorded window, or else those before the first validated rate, without the warm-up requests. */
export function calibrationRecords(records: readonly StepRecord[], bench: BenchFile, warmupRequests: number): StepRecord[] {
  if (bench.calibrationWindow) {
    const [from, to] = bench.calibrationWindow;
    return records.filter((r) => r.atMs >= from && r.atMs <= to);
  }
  return afterWarmup(records.filter((r) => r.atMs < bench.points[0]!.fromMs), warmupRequests);
}

async function simulate(scenarioFile: string, modelsDir: string): Promise<Figures> {
  const r = await runSimulation(loadScenario(scenarioFile), { modelsDir, writer: new NullRecordWriter() });
  const s = r.summary as unknown as Record<string, number>;
  return Object.fromEntries(RESCORED_METRICS.map((k) => [k, s[k]!])) as Figures;
}

export async function rescoreRun(runDir: string, outDir: string, o: RescoreOptions = {}): Promise<RescoredRun> {
  const bench = JSON.parse(readFileSync(join(runDir, 'bench.json'), 'utf8')) as BenchFile;
  const deviceId = `llamacpp-cpu-${bench.threads}t`;
  const records = readStepLog(join(runDir, 'steps.jsonl'));
  const within = (p: { fromMs: number; toMs: number }): StepRecord[] => records.filter((r) => r.atMs >= p.fromMs && r.atMs <= p.toMs);
  // Samples per window, so no pair spans two windows (a validated rate's first iteration would pair with the last one before it).
  const samples = o.servedCost ? bench.points.flatMap((p) => iterationOverheads(within(p))) : iterationOverheads(calibrationRecords(records, bench, o.warmupRequests ?? CALIBRATION_WARMUP_REQUESTS));
  const cost = fitServerOverhead(samples);
  const modelsDir = join(outDir, 'models');
  rmSync(modelsDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  cpSync(join(runDir, 'models'), modelsDir, { recursive: true });
  const deviceFile = join('gpu', `${deviceId}.json`);
  writeFileSync(join(modelsDir, deviceFile), servedDeviceJson(readFileSync(join(runDir, 'models-passes', deviceFile), 'utf8'), cost));
  const enginePrice = passPricer(bench.model, deviceId, join(runDir, 'models-passes'));
  const newPrice = passPricer(bench.model, deviceId, modelsDir);
  const points: RescoredPoint[] = [];
  for (const p of bench.points) {
    const scenario = join(runDir, `scenario-rate${p.rate}.json`);
    const old = await simulate(scenario, join(runDir, 'models'));
    // The scenario as the loop writes it now: the run's, with the loop's engine fields (loop.ts LOOP_ENGINE).
    const raw = JSON.parse(readFileSync(scenario, 'utf8')) as { engine: Record<string, unknown> };
    const now = join(outDir, `scenario-rate${p.rate}.json`);
    writeFileSync(now, `${JSON.stringify({ ...raw, engine: { ...raw.engine, ...LOOP_ENGINE } }, null, 2)}\n`);
    const m = p.comparison.metrics;
    const reproduced = RESCORED_METRICS.every((k) => Math.abs(old[k] - m[k]!.predicted!) <= 1e-9 * Math.abs(m[k]!.predicted!));
    points.push({
      rate: p.rate,
      measured: Object.fromEntries(RESCORED_METRICS.map((k) => [k, m[k]!.measured!])) as Figures,
      old,
      reproduced,
      new: await simulate(o.oldScenario ? scenario : now, modelsDir),
      tpot: tpotTerms(within(p), enginePrice, newPrice, cost),
    });
  }
  return { run: basename(runDir), serverOverhead: { old: bench.serverOverhead, new: cost }, points };
}

export function formatRescored(r: RescoredRun): string[] {
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`;
  const c = (s: ServerOverhead): string => `${s.baseMs.toFixed(3)} + ${s.perSeqMs.toFixed(3)} ms per sequence (${s.iterations} iterations)`;
  const lines = [`${r.run}: server cost ${c(r.serverOverhead.old)} -> ${c(r.serverOverhead.new)}`];
  for (const p of r.points) {
    const e = (f: Figures, k: Metric): string => pct(errorPct(f[k], p.measured[k]));
    const t = p.tpot;
    lines.push(
      `  ${p.rate} req/s: median TTFT ${e(p.old, 'median_ttft_ms')} -> ${e(p.new, 'median_ttft_ms')}, mean TPOT ${e(p.old, 'mean_tpot_ms')} -> ${e(p.new, 'mean_tpot_ms')}, mean ITL ${e(p.old, 'mean_itl_ms')} -> ${e(p.new, 'mean_itl_ms')}${p.reproduced ? '' : ' (the run\'s own models/ no longer give its saved prediction)'}` +
        `; per decode token, predicted / measured ms: passes ${t.predicted.passMs.toFixed(2)} / ${t.measured.passMs.toFixed(2)}, server ${t.predicted.serverMs.toFixed(2)} / ${t.measured.serverMs.toFixed(2)}; simulated mean ITL ${p.new.mean_itl_ms.toFixed(2)} against ${t.predicted.totalMs.toFixed(2)} priced on the served shapes`,
    );
  }
  return lines;
}

/** `npx tsx adapters/llamacpp/rescore.ts RUN... [--out DIR] [--warmup-requests N] [--served-cost] [--old-scenario]` */
async function main(argv: string[]): Promise<void> {
  const { parseArgs } = await import('node:util');
  const { values: a, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string', default: join('runs', 'rescore-llamacpp') }, 'warmup-requests': { type: 'string' }, 'served-cost': { type: 'boolean', default: false }, 'old-scenario': { type: 'boolean', default: false } } });
  if (positionals.length === 0) {
    process.stderr.write('usage: npx tsx adapters/llamacpp/rescore.ts RUN_DIR... [--out DIR] [--warmup-requests N] [--served-cost] [--old-scenario]\n');
    process.exit(2);
  }
  const runs: RescoredRun[] = [];
  for (const dir of positionals) {
    if (!existsSync(join(dir, 'bench.json')) || !existsSync(join(dir, 'steps.jsonl'))) {
      process.stderr.write(`rescore: ${dir}: not a finished bench:llamacpp run (no bench.json or steps.jsonl)\n`);
      process.exit(2);
    }
    const r = await rescoreRun(dir, join(a.out!, basename(dir)), { ...(a['warmup-requests'] !== undefined ? { warmupRequests: Number(a['warmup-requests']) } : {}), servedCost: a['served-cost'], oldScenario: a['old-scenario'] });
    runs.push(r);
    process.stdout.write(`${formatRescored(r).join('\n')}\n`);
  }
  writeFileSync(join(a.out!, 'rescore.json'), `${JSON.stringify(runs, null, 2)}\n`);
  process.stdout.write(`wrote ${join(a.out!, 'rescore.json')}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) await main(process.argv.slice(2));
