/**
 * `pdsim plan` for the notebooks (notebooks/plan.ipynb): runs the very command the CLI runs, into a
 * temporary folder and with its console output held back, and hands back what a cell tabulates or
 * charts: every candidate's line (plan.jsonl), the frontiers, and the frontier chart specs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { planCommand, type PlanOptions } from '../cli/commands/plan.js';
import { formatInterval } from '../cli/interval-format.js';
import { frontierChart } from '../plan/frontier-chart.js';
import type { Frontiers, PlanLine } from '../plan/frontier.js';

export interface PlanAnswer {
  lines: PlanLine[];
  frontier: Frontiers;
  outDir: string;
  /** The plan's own cost line (candidates, simulations, wall and CPU seconds). */
  costLine: string;
}

/** Runs `pdsim plan file` with the CLI's flags (camelCase, as strings); serial (`jobs: '1'`) unless given. */
export async function planDeployments(file: string, flags: Partial<PlanOptions> & { gpus: string }): Promise<PlanAnswer> {
  const outDir = flags.out ?? mkdtempSync(path.join(tmpdir(), 'pdsim-plan-'));
  const chunks: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  // The command's tables and progress lines would flood the cell; its first stdout line (the cost) is kept.
  process.stdout.write = ((s: string | Uint8Array) => (chunks.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  let lines: PlanLine[];
  try {
    lines = (await planCommand(file, { jobs: '1', ...flags, out: outDir })).lines;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  const byPoint = new Map(lines.map((l, i) => [l.point, i]));
  const f = JSON.parse(readFileSync(path.join(outDir, 'frontier.json'), 'utf8')) as Frontiers;
  const frontier = { perGpu: f.perGpu.map((p) => byPoint.get(p)!), perDollar: f.perDollar.map((p) => byPoint.get(p)!) };
  return { lines, frontier, outDir, costLine: chunks.join('').split('\n')[0] ?? '' };
}

/** Rows for markdownTable: the feasible candidates, best rate per GPU first, with their 95% intervals. */
export function planRows(a: PlanAnswer, top = 10): Record<string, string | number | null>[] {
  const on = (i: number) => [a.frontier.perGpu.includes(i) ? 'GPU' : '', a.frontier.perDollar.includes(i) ? '$' : ''].filter((s) => s).join('+');
  return a.lines
    .map((l, i) => ({ l, i }))
    .filter(({ l }) => l.status === 'ok')
    .sort((x, y) => y.l.ratePerGpu! - x.l.ratePerGpu! || x.l.point - y.l.point)
    .slice(0, top)
    .map(({ l, i }) => ({
      candidate: l.label,
      GPUs: l.gpus,
      'max rate req/s (±95%)': formatInterval(l.maxRate!),
      'req/s per GPU': l.ratePerGpu!,
      'req per $': l.requestsPerDollar ?? null,
      'median E2EL ms (±95%)': formatInterval(l.latencyMs!),
      'p99 TTFT ms (±95%)': formatInterval(l.p99TtftMs!),
      frontier: on(i) || null,
      'outside calibration': [...new Set((l.outOfRange ?? []).map((f) => f.what.split(' (')[0]))].join(', ') || null,
    }));
}

/** The frontier charts (per GPU, and per dollar where prices exist), as Vega-Lite specs. */
export function planCharts(a: PlanAnswer, latencyKey = 'median_e2el_ms'): TopLevelSpec[] {
  return (['perGpu', 'perDollar'] as const).flatMap((axis) => {
    const spec = frontierChart(a.lines, a.frontier[axis], axis, latencyKey);
    // frontierChart builds a Vega-Lite layer spec as plain JSON (the report embeds it as such).
    return spec ? [spec as unknown as TopLevelSpec] : [];
  });
}
