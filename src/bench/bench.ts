/**
 * `npm run bench`: the speed figures the project promises, measured the way a user runs pdsim.
 *
 * 1. Build the bundle the `pdsim` command runs (src/build/bundle.ts; it removes the TypeScript
 *    transpile step that `tsx` redoes at every start).
 * 2. Run `simulate scenarios/bench/vidur-parity.yaml` (100,000 requests, requests.jsonl written,
 *    report off as Vidur's trace output was) in a fresh process, `--runs` times.
 * 3. Print wall seconds (start-up included), simulated requests per wall-second, events per second
 *    and peak RSS, for the bundle (what `pdsim` runs) and, once, for the sources through tsx.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle } from '../build/bundle.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VIDUR_WALL_S = 179; // scenarios/traces/README.md (Vidur @ 7d47513): Vidur on this machine type, trace output off
const VIDUR_RSS_MB = 1600;

interface Measured {
  wallS: number;
  events: number;
  requests: number;
  maxRssMB: number;
}

function runOnce(cmd: string[], outDir: string, scenario: string): Measured {
  const t0 = performance.now();
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), 'simulate', scenario, '--out', outDir, '--no-report', '--no-progress', '--stats'], { cwd: root, encoding: 'utf8' });
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`simulate failed (${r.status}):\n${r.stderr}`);
  const line = r.stderr.split('\n').find((l) => l.startsWith('PDSIM_STATS '));
  if (!line) throw new Error(`no stats line in:\n${r.stderr}`);
  const s = JSON.parse(line.slice('PDSIM_STATS '.length)) as Omit<Measured, 'wallS'>;
  return { wallS, ...s };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
  const scenario = 'scenarios/bench/vidur-parity.yaml';
  const tmp = mkdtempSync(path.join(tmpdir(), 'pdsim-bench-'));
  // The bundle the `pdsim` command runs (bin/pdsim.mjs), rebuilt so it matches the sources.
  const { entry: bundle } = await buildBundle();
  const results: Measured[] = [];
  for (let i = 0; i < runs; i++) results.push(runOnce(['node', bundle], path.join(tmp, `run${i}`), scenario));
  const tsx = runOnce(['node', '--import', 'tsx', path.join(root, 'src/cli/main.ts')], path.join(tmp, 'tsx'), scenario);
  rmSync(tmp, { recursive: true, force: true });
  const best = results.reduce((a, b) => (b.wallS < a.wallS ? b : a));
  const median = [...results].sort((a, b) => a.wallS - b.wallS)[Math.floor(results.length / 2)]!;
  const line = (label: string, m: Measured) =>
    `${label.padEnd(28)} wall ${m.wallS.toFixed(2)} s  ${(m.requests / m.wallS).toFixed(0)} req/s  ${(m.events / m.wallS / 1e3).toFixed(0)}k events/s  peak RSS ${m.maxRssMB.toFixed(0)} MB  (${(VIDUR_WALL_S / m.wallS).toFixed(0)}x Vidur)`;
  console.log(`pdsim bench: ${scenario} (${best.requests} requests, ${best.events} events), ${runs} runs`);
  console.log(line('bundled node, best', best));
  console.log(line('bundled node, median', median));
  console.log(line('tsx (sources), one run', tsx));
  console.log(`targets: wall < ${(VIDUR_WALL_S / 100).toFixed(2)} s (100x Vidur's ${VIDUR_WALL_S} s), peak RSS < 300 MB (Vidur ${VIDUR_RSS_MB} MB)`);
}

await main();
