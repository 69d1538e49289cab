/**
 * `pdsim plan SCENARIO --gpus a,b [...]`: which deployment, of which GPUs and knobs, serves the
 * scenario's workload under its SLO at the highest rate per GPU and per dollar. Enumerates the
 * space (src/plan/space.ts), searches each hardware group on all cores (src/plan/search.ts),
 * streams plan.jsonl in candidate order, then writes the frontier, report and best scenarios
 * (src/plan/finish.ts). `--shard i/N` runs a slice of the groups; `--emit slurm|k8s` writes the
 * cluster job that runs all slices instead of running anything.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { loadScenario } from '../../scenario/load.js';
import { inShard, parseReplicates, parseShard } from '../../plan/grid.js';
import { parseWorkers, runPool } from '../../plan/pool.js';
import { planSettings, type PlanFlags } from '../../plan/options.js';
import { replicateSeeds } from '../../plan/replicates.js';
import { enumerate, type Candidate } from '../../plan/space.js';
import type { SearchSettings } from '../../plan/search.js';
import { withEfficiency, type PlanLine } from '../../plan/frontier.js';
import { finishPlan } from '../plan-finish.js';
import { k8sJob, slurmScript } from '../../plan/emit.js';
import { writeShardInfo } from '../../plan/shard-files.js';
import type { Task } from '../../plan/tasks.js';
import { collect, defaultOutDir } from './simulate.js';
import { cliMessages } from '../../messages/cli.js';

export interface PlanOptions extends PlanFlags {
  out?: string;
  set?: string[];
  replicates?: string;
  shard?: string;
  jobs?: string;
  latency?: string;
  emit?: string;
  shards?: string;
  image?: string;
  claim?: string;
}

/** The flags that define the plan's points and results, re-emitted for cluster jobs. */
const DEFINING: (keyof PlanOptions)[] = ['gpus', 'price', 'maxGpus', 'attainment', 'tp', 'modes', 'maxNumSeqs', 'maxNumBatchedTokens', 'transferPolicies', 'transferPaths', 'requests', 'relTol', 'replicates', 'latency', 'modelsDir'];
const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function definingArgv(o: PlanOptions): Record<string, unknown> {
  return Object.fromEntries(DEFINING.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]).concat([['set', o.set ?? []]]));
}

function planArgs(file: string, o: PlanOptions): string[] {
  const words = ['plan', file];
  for (const k of DEFINING) if (o[k] !== undefined) words.push(`--${kebab(k)}`, String(o[k]));
  for (const s of o.set ?? []) words.push('--set', s);
  return words;
}

export interface PlanResult {
  lines: PlanLine[];
  candidates: number;
  outDir: string;
  wallS: number;
}

export async function planCommand(file: string, o: PlanOptions): Promise<PlanResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const loaded = loadScenario(file, o.set ?? [], o.modelsDir);
  const sc = loaded.scenario;
  const settings = planSettings(o, sc, loaded.file);
  const replicates = parseReplicates(o.replicates ?? '3');
  const shard = parseShard(o.shard);
  const workers = parseWorkers(o.jobs);
  const latencyKey = o.latency ?? 'median_e2el_ms';
  if (!/^(mean|median|p90|p99)_(ttft|tpot|itl|e2el)_ms$/.test(latencyKey)) throw new UserError(cliMessages.latencyNotASummaryKey(latencyKey));
  const candidates = enumerate(settings.space);
  const outDir = o.out ?? defaultOutDir(`${sc.name}-plan`);
  mkdirSync(outDir, { recursive: true });
  if (o.emit !== undefined) {
    if (o.emit !== 'slurm' && o.emit !== 'k8s') throw new UserError(cliMessages.unknownEmit(o.emit));
    const shards = Number(o.shards ?? '4');
    if (!Number.isInteger(shards) || shards < 1) throw new UserError(cliMessages.shardsNotPositiveInteger(o.shards));
    const e = { name: sc.name, planArgs: planArgs(file, o), shards, outDir: o.emit === 'slurm' ? path.resolve(outDir) : '/results', cpusPerTask: workers ?? 2 };
    const target = path.join(outDir, o.emit === 'slurm' ? 'plan.slurm.sh' : 'plan.k8s.yaml');
    writeFileSync(target, o.emit === 'slurm' ? slurmScript(e) : k8sJob({ ...e, image: o.image ?? 'pdsim:latest', claim: o.claim ?? 'pdsim-results' }), { mode: 0o755 });
    process.stdout.write(`${candidates.length} candidates in ${new Set(candidates.map((c) => c.group)).size} groups, ${shards} shards: ${target}\n`);
    return { lines: [], candidates: candidates.length, outDir, wallS: (performance.now() - t0) / 1000 };
  }
  const search: SearchSettings = { seeds: replicateSeeds(sc.seed, replicates), attainment: settings.attainment, requests: settings.requests, startRate: sc.workload.arrival!.rate ?? 1, relTol: settings.relTol, latencyKey };
  const groups = new Map<number, Candidate[]>();
  for (const c of candidates) if (inShard(c.group, shard)) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  const base = sc as unknown as Record<string, unknown>;
  const tasks: Task[] = [...groups.values()].map((cs) => ({ kind: 'group', group: { base, file: loaded.file, baseDir: loaded.baseDir, modelsDir: o.modelsDir, candidates: cs, settings: search } }));
  const jsonl = path.join(outDir, 'plan.jsonl');
  writeFileSync(jsonl, '');
  writeShardInfo(outDir, { kind: 'plan', file: loaded.file, argv: { ...definingArgv(o), base }, total: candidates.length, shard });
  const lines: PlanLine[] = [];
  const byIndex = new Map(candidates.map((c) => [c.index, c]));
  let done = 0;
  const nInShard = [...groups.values()].reduce((s, g) => s + g.length, 0);
  process.stderr.write(`plan: ${candidates.length} candidates in ${new Set(candidates.map((c) => c.group)).size} hardware groups${shard ? `, shard ${shard.index}/${shard.count}: ${nInShard} candidates in ${groups.size} groups` : ''}; ${replicates} seeds, ${settings.requests} requests per run\n`);
  const used = { count: 0 };
  await runPool(tasks, {
    workers,
    threads: used,
    onResult: (_i, res) => {
      if (res.kind !== 'group') throw new Error('plan: unexpected task result');
      for (const r of res.output) {
        const c = byIndex.get(r.point)!;
        const line = withEfficiency({ ...r, group: c.group, gpus: c.gpus, costPerHour: c.costPerHour, deployment: c.hardware, knobs: c.knobs });
        lines.push(line);
        appendFileSync(jsonl, JSON.stringify(line) + '\n');
      }
      done += res.output.length;
      process.stderr.write(`plan: ${done}/${nInShard} candidates (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    },
  });
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  // The main thread runs tasks too; the default may start fewer threads on a busy machine (pool.ts idleCores).
  const threads = used.count + 1;
  // The cost figures of every plan (and shard): CPU-s is what compares across loaded machines, wall time is what a user waits.
  const cost = `${lines.length} candidates, ${lines.reduce((n, l) => n + l.evaluations, 0)} simulations, ${wallS.toFixed(1)} s wall (${(lines.length / wallS).toFixed(2)} candidates/s), ${cpuS.toFixed(1)} s CPU (all threads, ${(cpuS / Math.max(lines.length, 1)).toFixed(2)} CPU-s per candidate), ${threads} worker threads`;
  if (shard) {
    process.stdout.write(`shard ${shard.index}/${shard.count}: ${cost} -> ${jsonl}; join the shards with \`pdsim merge\`\n`);
    return { lines, candidates: candidates.length, outDir, wallS };
  }
  const { table, best } = await finishPlan(outDir, lines, { base, scenarioName: sc.name, latencyKey, attainment: settings.attainment });
  const out = process.stdout;
  out.write(`pdsim plan ${sc.name}: ${cost}\n\nPareto frontier (throughput per GPU / per dollar vs ${latencyKey}; mean ±95% interval over ${replicates} seeds):\n${table}\n\nbest candidates (scenario + vllm serve lines):\n${best.map((b) => `  ${b}`).join('\n')}\nresults: ${outDir}/{plan.jsonl,frontier.json,report.html,best/}\n`);
  return { lines, candidates: candidates.length, outDir, wallS };
}

export function register(program: Command): void {
  program
    .command('plan')
    .description('Search deployments (GPU types and counts, colocated or xPyD, TP, knobs) for the highest rate meeting the SLO; Pareto frontier per GPU and per dollar')
    .argument('<scenario>', "scenario file: its workload and slo are planned for; its engine and transfer settings are the defaults of the knobs")
    .requiredOption('--gpus <ids>', 'GPU types to consider, e.g. l4,a100-sxm-80gb,h100-sxm')
    .option('--price <gpu=usd,...>', 'price per GPU-hour, overriding the defaults (src/plan/prices.ts)')
    .option('--max-gpus <n>', 'GPUs per deployment at most', '4')
    .option('--attainment <f>', 'fraction of requests that must meet every SLO', '0.95')
    .option('--tp <list>', 'tensor-parallel degrees', '1,2,4,8')
    .option('--modes <list>', 'colocated and/or disagg', 'colocated,disagg')
    .option('--max-num-seqs <list>', "engine maxNumSeqs values (default: the scenario's)")
    .option('--max-num-batched-tokens <list>', "engine maxNumBatchedTokens values (default: the scenario's)")
    .option('--transfer-policies <list>', "whole and/or layerwise (default: the scenario's)")
    .option('--transfer-paths <list>', "direct, staging, network, disk (default: the scenario's)")
    .option('--requests <n>', 'requests per simulation (default: the scenario\'s, at most 300)')
    .option('--rel-tol <f>', 'bisection stops at this relative width of the rate bracket', '0.05')
    .option('--replicates <n>', 'seeds per candidate (derived from the scenario seed)', '3')
    .option('--latency <key>', 'latency figure of the frontier (a summary key)', 'median_e2el_ms')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--shard <i/N>', 'search only the hardware groups whose index is i modulo N (join with `pdsim merge`)')
    .option('-j, --jobs <n>', 'worker threads (default: all cores; 1 = serial, in-process)')
    .option('--emit <kind>', 'write a cluster job running the shards instead: slurm (job array) or k8s (Indexed Job)')
    .option('--shards <n>', 'shards for --emit', '4')
    .option('--image <ref>', '--emit k8s: container image holding the pdsim checkout', 'pdsim:latest')
    .option('--claim <name>', '--emit k8s: PersistentVolumeClaim for /results', 'pdsim-results')
    .option('-o, --out <dir>', 'output directory (default runs/<scenario>-plan-<timestamp>)')
    .option('--models-dir <dir>', 'catalog directory (default: models/)')
    .action(async (file: string, o: PlanOptions) => {
      await planCommand(file, o);
    });
}
