/**
 * `pdsim compare A B`: simulates two scenarios on the same seeded workload (the seed of A unless
 * --seed is given; the workload sections must match, so arrivals and lengths are identical) and
 * prints the differences; writes both summaries and a report.html with overlaid CDFs into --out.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { formatRangeFlag, rangeFindings } from '../../perf/range-flags.js';
import { UserError } from '../../errors.js';
import { NullRecordWriter } from '../../run/record-writer.js';
import { runSimulation, type RunResult } from '../../run/simulation.js';
import { loadScenario, type LoadedScenario } from '../../scenario/load.js';
import { checkOutDir, prepareOutDir, seedFlag } from '../flags.js';
import { writeReport } from '../../report/write.js';
import { fmt, formatTable } from '../table.js';
import { collect, defaultOutDir } from './simulate.js';
import { compareFigures, deltaPct } from './compare-figures.js';
import { parseReplicates } from '../../plan/grid.js';
import { parseWorkers } from '../../plan/pool.js';
import { replicateSeeds } from '../../plan/replicates.js';
import { compareReplicates, runSeeds, type ComparedFigure } from '../../plan/replicated.js';
import { compareTable } from '../replicate-tables.js';
import { cliMessages } from '../../messages/cli.js';

export interface CompareResult {
  a: RunResult;
  b: RunResult;
  seed: number;
  table: string;
  /** With --replicates N > 1: per figure, both means and the Welch interval of the difference. */
  replicates?: ComparedFigure[];
}

/** Runs both scenarios with one seed; throws a UserError when their workloads differ. */
export async function compareScenarios(la: LoadedScenario, lb: LoadedScenario, seed: number): Promise<{ a: RunResult; b: RunResult }> {
  if (JSON.stringify(la.scenario.workload) !== JSON.stringify(lb.scenario.workload)) {
    throw new UserError(cliMessages.workloadsDiffer(la.file), lb.file, '/workload');
  }
  const a = await runSimulation(la, { seed, writer: new NullRecordWriter() });
  const b = await runSimulation(lb, { seed, writer: new NullRecordWriter() });
  return { a, b };
}

export async function compareCommand(fa: string, fb: string, o: { out?: string; seed?: string; set?: string[]; replicates?: string; jobs?: string }): Promise<CompareResult> {
  const seedArg = o.seed !== undefined ? seedFlag('--seed', o.seed) : undefined;
  if (o.out !== undefined) checkOutDir(o.out);
  const replicates = parseReplicates(o.replicates);
  const workers = parseWorkers(o.jobs);
  const la = loadScenario(fa, o.set ?? []);
  const lb = loadScenario(fb, o.set ?? []);
  const seed = seedArg ?? la.scenario.seed;
  const { a, b } = await compareScenarios(la, lb, seed);
  const [na, nb] = [la.scenario.name, lb.scenario.name];
  const figs = compareFigures(a.summary, b.summary);
  const table = formatTable(['figure', na, nb, 'B vs A'], figs.filter((f) => f.a !== null || f.b !== null).map((f) => [f.name, f.a, f.b, deltaPct(f)]));
  const outDir = o.out ?? defaultOutDir(`compare-${na}-vs-${nb}`);
  prepareOutDir(outDir);
  // As the README says: a/summary.json and b/summary.json, the same file a simulate run writes.
  for (const [side, r] of [['a', a], ['b', b]] as const) {
    mkdirSync(path.join(outDir, side), { recursive: true });
    writeFileSync(path.join(outDir, side, 'summary.json'), JSON.stringify(r.summary, null, 2) + '\n');
  }
  const rows = figs.filter((f) => f.a !== null || f.b !== null).map((f) => [f.name, f.a, f.b]);
  const rangeWarningLines = ([['A', a], ['B', b]] as const).flatMap(([side, r]) => rangeFindings(r.summary.pdsim.out_of_range).map((f) => `warning: ${side}: ${formatRangeFlag(f)}`));
  await writeReport(outDir, {
    title: `pdsim compare: ${na} vs ${nb}`,
    subtitle: `A ${la.file} · B ${lb.file} · seed ${seed} · same workload`,
    table: { columns: ['figure', na, nb], rows },
    runs: [{ ...a.series, label: na }, { ...b.series, label: nb }],
    notes: [...new Set([...a.built.uncalibratedGpus, ...b.built.uncalibratedGpus])].map((g) => `GPU profile "${g}" is not calibrated against measured data: expect a wider error (see models/gpu/${g}.json expectedError).`).concat(rangeWarningLines),
  });
  for (const w of rangeWarningLines) process.stderr.write(`${w}\n`);
  const out = process.stdout;
  out.write(`pdsim compare (seed ${seed}, ${fmt(a.summary.completed as number)} + ${fmt(b.summary.completed as number)} requests)\n  A: ${na}\n  B: ${nb}\n\n${table}\n\nresults: ${outDir}/{a/summary.json,b/summary.json,report.html}\n`);
  if (replicates < 2) return { a, b, seed, table };
  // Both scenarios run on the same N seeds; Welch's interval does not assume the pairing, so it is conservative.
  const seeds = replicateSeeds(seed, replicates);
  const sa = [a.summary, ...(await runSeeds(la, seeds.slice(1), workers))];
  const sb = [b.summary, ...(await runSeeds(lb, seeds.slice(1), workers))];
  const rep = compareReplicates(sa, sb);
  writeFileSync(path.join(outDir, 'replicates.json'), JSON.stringify({ seeds, figures: rep }, null, 2) + '\n');
  out.write(`\n${replicates} replicates (seeds ${seeds.join(', ')}): B - A with Welch's 95% t-interval; "larger than noise" when it excludes 0\n${compareTable(rep)}\nreplicates: ${outDir}/replicates.json\n`);
  return { a, b, seed, table, replicates: rep };
}

export function register(program: Command): void {
  program
    .command('compare')
    .description('Simulate two scenarios on the same seeded workload and print the differences; writes report.html with overlaid CDFs')
    .argument('<a>', 'scenario A (YAML or JSON)')
    .argument('<b>', 'scenario B (same workload section)')
    .option('-o, --out <dir>', 'output directory (default runs/compare-<a>-vs-<b>-<timestamp>)')
    .option('--seed <n>', "seed for both runs (default: A's)")
    .option('--set <path=value>', 'override a field in both scenarios, e.g. workload.arrival.rate=2 (repeatable)', collect, [])
    .option('--replicates <n>', 'run both on N seeds (derived from the seed): is each difference larger than the seed-to-seed noise? (Welch t-interval)')
    .option('-j, --jobs <n>', 'worker threads for the replicates (default: all cores)')
    .action(async (a: string, b: string, o: { out?: string; seed?: string; set?: string[]; replicates?: string; jobs?: string }) => {
      await compareCommand(a, b, o);
    });
}
