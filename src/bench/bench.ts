/**
 * `npm run bench`: the speed figures the project promises (issue 14), measured the way a user runs
 * pdsim, for every regime in src/bench/regimes.ts.
 *
 * 1. Build the bundle the `pdsim` command runs (src/build/bundle.ts; it removes the TypeScript
 *    transpile step that `tsx` redoes at every start), and check that bin/pdsim.mjs runs it.
 * 2. Per regime, run `node bin/pdsim.mjs simulate <scenario> --out DIR` (default outputs) in a fresh
 *    process `--runs` times (default 5; a regime whose first run takes over 30 s runs once) and
 *    print the medians: wall seconds (start-up included), simulated requests per wall-second, events
 *    per second, peak RSS (the child's own `process.resourceUsage().maxRSS`), and the child's CPU
 *    seconds (a loaded machine inflates wall time; CPU time less so).
 * 3. Peak RSS at 1,000,000 requests, only as measured (regimes.ts RssEvidence says why a linear
 *    extrapolation was dropped): a synthetic regime whose 1M run is estimated (its median wall
 *    time x 1M / requests) at <= 15 s (--million-budget S) runs once at 1M; the others run once at
 *    twice their requests and say "not measured" (--million runs every one at 1M); a trace regime
 *    runs once at half its trace. Both sizes are printed; nothing is extrapolated.
 * 4. A line per regime against its targets, and the parity speed-up against Vidur's 179 s.
 * 5. `sweep` (sweep-regime.ts): one sweep of 8 rates serially, with the default and on all cores,
 *    the speed-ups and whether all three wrote the same sweep.jsonl bytes.
 *
 * Options: --runs N, --only a,b, --million, --million-budget S (a regime whose trace, shipped under scenarios/traces,
 * is missing is skipped, saying so), --tsx (one extra parity run of the sources through tsx), --bundle FILE
 * (measure an already built bundle, e.g. an older one for a before/after table).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle } from '../build/bundle.js';
import { parse as parseYaml } from 'yaml';
import { runSweep, sweepReport, SWEEP_REGIME } from './sweep-regime.js';
import { fmtK, fmtRequests, isPlainParity, type Measured, medianOf, MILLION, millionFits, REGIMES, type Regime, type RssEvidence, runEnv, TARGETS, verdict, VIDUR_RSS_MB, VIDUR_WALL_S } from './regimes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SLOW_RUN_S = 30;
/** A synthetic regime runs once at 1M requests by default when that is estimated to take at most this. */
const MILLION_BUDGET_S = 15;

/** GNU time, when installed: the child's CPU seconds and peak RSS for any bundle (older ones print no cpuS). */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

function runOnce(cmd: string[], scenario: string, outDir: string, sets: string[], extra: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Measured {
  const t0 = performance.now();
  const args = [...cmd, 'simulate', scenario, '--out', outDir, '--no-progress', '--stats', ...extra, ...sets.flatMap((s) => ['--set', s])];
  const full = GNU_TIME ? [GNU_TIME, '-f', 'PDSIM_TIME %U %S %M', ...args] : args;
  const r = spawnSync(full[0]!, full.slice(1), { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, env });
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`simulate ${scenario} failed (${r.status}):\n${r.stderr}`);
  const line = r.stderr.split('\n').find((l) => l.startsWith('PDSIM_STATS '));
  if (!line) throw new Error(`no stats line in:\n${r.stderr}`);
  const s = JSON.parse(line.slice('PDSIM_STATS '.length)) as Omit<Measured, 'wallS' | 'cpuS'> & { cpuS?: number };
  rmSync(outDir, { recursive: true, force: true });
  const time = r.stderr.split('\n').find((l) => l.startsWith('PDSIM_TIME '));
  if (time) {
    const [user, sys, rssKB] = time.split(' ').slice(1).map(Number) as [number, number, number];
    return { wallS, events: s.events, requests: s.requests, cpuS: user + sys, maxRssMB: rssKB / 1024, ...(s.mainCpuS !== undefined ? { mainCpuS: s.mainCpuS } : {}) };
  }
  return { wallS, ...s, cpuS: s.cpuS ?? NaN };
}

/** Why a regime's trace is missing (the scenarios replay traces shipped under scenarios/traces), or undefined. */
function missingTrace(regime: Regime): string | undefined {
  if (!regime.replaysTrace) return undefined;
  const sc = parseYaml(readFileSync(path.join(root, regime.scenario), 'utf8')) as { workload?: { trace?: { path?: string } } };
  const own = sc.workload?.trace?.path;
  if (own !== undefined && existsSync(path.resolve(root, path.dirname(regime.scenario), own))) return undefined;
  return `trace not found (${own ?? '?'} beside the scenario)`;
}

function scenarioRequests(regime: Regime): number {
  const sc = parseYaml(readFileSync(path.join(root, regime.scenario), 'utf8')) as { workload?: { requests?: number } };
  return sc.workload?.requests ?? 1000;
}

/**
 * The run that tells a regime's peak RSS at 1M requests (regimes.ts RssEvidence says why nothing is
 * extrapolated): 1M itself for a synthetic regime under the time budget (or all with --million);
 * twice the scenario's requests for the other synthetic ones; half for a trace, which cannot grow.
 */
function rssEvidence(regime: Regime, m: Measured, runAt: (requests: number) => Measured, million: { all: boolean; budgetS: number }): { evidence: RssEvidence; run?: Measured } {
  const n = scenarioRequests(regime);
  const base = { requests: m.requests, maxRssMB: m.maxRssMB };
  if (regime.replaysTrace) {
    const half = runAt(Math.floor(n / 2));
    return { evidence: { ...base, smaller: { requests: half.requests, maxRssMB: half.maxRssMB }, whyNot1M: `a trace of ${fmtK(m.requests)} requests` }, run: half };
  }
  const estS = (m.wallS * MILLION) / m.requests;
  const run = runAt(million.all || millionFits(m, million.budgetS) ? MILLION : Math.min(MILLION, 2 * n));
  const whyNot1M = run.requests >= MILLION ? undefined : `about ${estS.toFixed(0)} s > the ${million.budgetS} s budget: --million runs it`;
  return { evidence: { requests: run.requests, maxRssMB: run.maxRssMB, smaller: base, ...(whyNot1M ? { whyNot1M } : {}) }, run };
}

/**
 * The `pdsim` command itself, bin/pdsim.mjs, as a user runs it, once it is known to run the fresh
 * bundle with its code cache: a stale check that misread the build's file list once sent every
 * start in a checkout through tsx (~0.5 CPU-s) while a bench of dist/pdsim.mjs did not see it.
 */
function binRunsBundle(): string {
  const bin = path.join(root, 'bin', 'pdsim.mjs');
  const r = spawnSync('node', [bin, '--version'], { cwd: root, encoding: 'utf8', env: { ...process.env, PDSIM_CODE_CACHE: 'check' } });
  if (r.status !== 0 || !r.stderr.includes('pdsim: code cache used')) throw new Error(`bin/pdsim.mjs does not run the fresh bundle with its code cache:\n${r.stderr}`);
  return bin;
}

function row(label: string, m: Measured, runs: number, extra = ''): string {
  return `${label.padEnd(18)} ${m.wallS.toFixed(2).padStart(7)} s ${m.cpuS.toFixed(2).padStart(7)} s ${fmtK(m.requests / m.wallS).padStart(6)} req/s ${fmtK(m.events / m.wallS).padStart(6)} ev/s ${(m.events / m.requests).toFixed(2).padStart(6)} ev/req ${m.maxRssMB.toFixed(0).padStart(5)} MB  ${String(runs).padStart(2)} run${runs > 1 ? 's' : ' '}${m.mainCpuS !== undefined ? `; main thread ${m.mainCpuS.toFixed(2)} CPU-s` : ''}${extra}`;
}

function opt(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runs = Math.max(1, Number(opt(args, '--runs') ?? 5) || 5);
  const only = opt(args, '--only')?.split(',');
  const million = { all: args.includes('--million'), budgetS: Number(opt(args, '--million-budget') ?? MILLION_BUDGET_S) };
  if (!(million.budgetS >= 0)) throw new Error('--million-budget: a number of seconds');
  const tmp = mkdtempSync(path.join(tmpdir(), 'pdsim-bench-'));
  // Inside the repository, so the bundle resolves node_modules like the sources do.
  const given = opt(args, '--bundle');
  // The bundle the `pdsim` command runs (bin/pdsim.mjs), rebuilt so it matches the sources.
  const bundle = given !== undefined ? path.resolve(given) : (await buildBundle(), binRunsBundle());
  const node = ['node', bundle];
  console.log(`pdsim bench: node ${path.relative(root, bundle) || bundle} simulate <scenario> --out DIR (default outputs), medians of up to ${runs} whole-process runs`);
  console.log(`${'regime'.padEnd(18)} ${'wall'.padStart(9)} ${'CPU'.padStart(9)} ${'simulated'.padStart(12)} ${'events'.padStart(11)} ${''.padStart(13)} peak RSS`);
  const verdicts: string[] = [];
  let n = 0;
  for (const regime of REGIMES) {
    if (only && !only.includes(regime.name)) continue;
    const missing = missingTrace(regime);
    if (missing !== undefined) {
      console.log(`${regime.name.padEnd(18)} skipped: ${missing}`);
      verdicts.push(`SKIP   ${regime.name.padEnd(16)} ${missing}`);
      continue;
    }
    const out = () => path.join(tmp, `run${n++}`);
    const env = runEnv(regime, process.env);
    const results = [runOnce(node, regime.scenario, out(), [], regime.args, env)];
    while (results.length < runs && results[0]!.wallS <= SLOW_RUN_S) results.push(runOnce(node, regime.scenario, out(), [], regime.args, env));
    const m = medianOf(results);
    const rss = rssEvidence(regime, m, (requests) => runOnce(node, regime.scenario, out(), [`workload.requests=${requests}`], regime.args, env), million);
    const big = rss.run;
    const tail = big === undefined ? '' : `\n${`  at ${fmtRequests(big.requests)} requests`.padEnd(18)} ${row('', big, 1).slice(19)}`;
    console.log(row(regime.name, m, results.length) + tail);
    if (isPlainParity(regime)) {
      console.log(`${''.padEnd(18)} ${(VIDUR_WALL_S / m.wallS).toFixed(0)}x Vidur's ${VIDUR_WALL_S} s wall, ${(VIDUR_RSS_MB / m.maxRssMB).toFixed(1)}x less memory than its ${VIDUR_RSS_MB} MB`);
      if (args.includes('--tsx')) console.log(row('  via tsx', runOnce(['node', '--import', 'tsx', path.join(root, 'src/cli/main.ts')], regime.scenario, out(), []), 1));
    }
    verdicts.push(verdict(regime, m, rss.evidence).text);
  }
  if (!only || only.includes(SWEEP_REGIME.name)) {
    const serial = runSweep(root, node, path.join(tmp, `run${n++}`), 1);
    const byDefault = runSweep(root, node, path.join(tmp, `run${n++}`), undefined);
    const { row: line, verdict: v } = sweepReport(serial, byDefault, runSweep(root, node, path.join(tmp, `run${n++}`), availableParallelism()));
    console.log(line);
    verdicts.push(v);
  }
  rmSync(tmp, { recursive: true, force: true });
  console.log(`\ntargets: parity <= ${TARGETS.parityWallS} s wall (${(VIDUR_WALL_S / TARGETS.parityWallS).toFixed(0)}x Vidur), every regime >= ${fmtK(TARGETS.minSimulatedReqPerS)} simulated req/s, peak RSS <= ${TARGETS.maxRssMBAt1M} MB at 1M requests`);
  console.log('MET: every target measured and met; MISSED: one measured and missed; OPEN: the rest met, RSS at 1M not measured (nothing is extrapolated)');
  for (const v of verdicts) console.log(v);
}

await main();
