/**
 * The `sweep` row of `npm run bench` (issue 14: "sweep runs its points in parallel on all cores,
 * results identical to a serial run"): one sweep of 8 arrival rates run serially (`-j 1`), with the
 * default (which runs this small sweep serially: src/plan/pool.ts PARALLEL_MIN_CPU_S) and on all
 * cores (`-j <cores>`), each a whole `node <bundle> sweep` process; wall and CPU seconds, peak RSS,
 * the speed-ups, and whether the three `sweep.jsonl` files are byte-identical.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

export const SWEEP_REGIME = {
  name: 'sweep',
  scenario: 'scenarios/quickstart.yaml',
  vary: 'workload.arrival.rate=2,4,8,12,16,24,32,48',
  requests: 5000,
} as const;

export interface SweepRun {
  wallS: number;
  cpuS: number;
  maxRssMB: number;
  /** sweep.jsonl as written. */
  lines: string;
}

const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** One whole-process sweep with `jobs` worker threads (undefined: the default). */
export function runSweep(root: string, cmd: readonly string[], outDir: string, jobs: number | undefined): SweepRun {
  const s = SWEEP_REGIME;
  const args = [...cmd, 'sweep', s.scenario, '--vary', s.vary, '--set', `workload.requests=${s.requests}`, '--out', outDir, ...(jobs === undefined ? [] : ['-j', String(jobs)])];
  const full = GNU_TIME ? [GNU_TIME, '-f', 'PDSIM_TIME %U %S %M', ...args] : args;
  const t0 = performance.now();
  const r = spawnSync(full[0]!, full.slice(1), { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`sweep ${s.scenario} failed (${r.status}):\n${r.stderr}`);
  const lines = readFileSync(path.join(outDir, 'sweep.jsonl'), 'utf8');
  rmSync(outDir, { recursive: true, force: true });
  const time = r.stderr.split('\n').find((l) => l.startsWith('PDSIM_TIME '));
  const [user, sys, rssKB] = time ? (time.split(' ').slice(1).map(Number) as [number, number, number]) : [NaN, NaN, NaN];
  return { wallS, cpuS: user + sys, maxRssMB: rssKB / 1024, lines };
}

/** The printed row and the verdict line. */
export function sweepReport(serial: SweepRun, byDefault: SweepRun, parallel: SweepRun): { row: string; verdict: string } {
  const cores = availableParallelism();
  const same = serial.lines.length > 0 && serial.lines === parallel.lines && serial.lines === byDefault.lines;
  const points = serial.lines.split('\n').filter((l) => l.length > 0).length;
  const fig = (r: SweepRun) => `${r.wallS.toFixed(2)} s wall ${r.cpuS.toFixed(2)} CPU-s ${r.maxRssMB.toFixed(0)} MB (${(serial.wallS / r.wallS).toFixed(2)}x)`;
  const row =
    `${'sweep'.padEnd(18)} ${points} points x ${SWEEP_REGIME.requests} requests: -j 1 ${serial.wallS.toFixed(2)} s wall ${serial.cpuS.toFixed(2)} CPU-s ${serial.maxRssMB.toFixed(0)} MB; ` +
    `default ${fig(byDefault)}; -j ${cores} ${fig(parallel)}; sweep.jsonl ${same ? 'identical' : 'DIFFERS'}`;
  const verdict = `${same ? 'MET   ' : 'MISSED'} ${'sweep'.padEnd(16)} default and ${cores}-thread results ${same ? 'identical to' : 'differ from'} serial; default ${(serial.wallS / byDefault.wallS).toFixed(2)}x, -j ${cores} ${(serial.wallS / parallel.wallS).toFixed(2)}x wall (load-sensitive)`;
  return { row, verdict };
}
