/**
 * What a complete plan (one run, or merged shards) writes after plan.jsonl: frontier.json, the
 * console table of the frontier, report.html with the frontier charts, and the best candidates as
 * scenario files with their `vllm serve` / proxy lines. Works from plan.jsonl lines alone plus the
 * base scenario, which is why `pdsim merge` produces the same files as a single run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { UserError } from '../errors.js';
import type { RangeFlag } from '../perf/range-flags.js';
import { writeReport } from '../report/write.js';
import type { Scenario } from '../scenario/schema.js';
import { vllmServeLines } from '../../adapters/vllm/vllm-serve-lines.js';
import { formatTable } from './table.js';
import { frontiers, type PlanLine } from '../plan/frontier.js';
import { frontierChart } from '../plan/frontier-chart.js';
import { formatInterval } from './interval-format.js';
import { applyCandidate, type Candidate } from '../plan/space.js';
import { cliMessages } from '../messages/cli.js';

export interface PlanContext {
  base: Record<string, unknown>;
  scenarioName: string;
  latencyKey: string;
  attainment: number;
}

function mostCommonReason(lines: readonly PlanLine[]): string {
  const counts = new Map<string, number>();
  for (const l of lines) {
    const r = (l.reason ?? '').replace(/[\d.]+ (req\/s|ms)/g, 'N $1').replace(/^\d+ requests/, 'N requests');
    counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  const [reason, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  return `${n} of ${lines.length} candidates: ${reason}`;
}

/** One note per distinct out-of-range flag (uncalibrated profiles have theirs), with how many candidates it touches. */
function rangeNotes(lines: readonly PlanLine[]): string[] {
  const byKind = new Map<string, { flag: RangeFlag; candidates: Set<number> }>();
  for (const l of lines) {
    for (const f of l.outOfRange ?? []) {
      if (f.what === 'gpu profile') continue;
      const key = `${f.gpu}\u0000${f.what}\u0000${f.calibratedRange}`;
      const e = byKind.get(key) ?? { flag: f, candidates: new Set<number>() };
      e.candidates.add(l.point);
      byKind.set(key, e);
    }
  }
  return [...byKind.values()].map(({ flag, candidates }) => `${candidates.size} of ${lines.length} candidates on ${flag.gpu}: ${flag.what} outside the calibrated range (${flag.calibratedRange}), e.g. ${flag.value}; plan.jsonl lists each (outOfRange)`);
}

export async function finishPlan(outDir: string, lines: readonly PlanLine[], ctx: PlanContext): Promise<{ table: string; best: string[] }> {
  const ok = lines.filter((l) => l.status === 'ok');
  if (ok.length === 0) throw new UserError(cliMessages.noCandidateMeetsSlo(ctx.attainment, path.join(outDir, 'plan.jsonl'), mostCommonReason(lines)));
  const f = frontiers(lines);
  writeFileSync(path.join(outDir, 'frontier.json'), JSON.stringify({ perGpu: f.perGpu.map((i) => lines[i]!.point), perDollar: f.perDollar.map((i) => lines[i]!.point) }, null, 2) + '\n');
  const shown = [...new Set([...f.perGpu, ...f.perDollar])].sort((a, b) => lines[a]!.latencyMs!.mean - lines[b]!.latencyMs!.mean);
  const cols = ['candidate', 'GPUs', '$/h', 'max rate req/s', 'req/s/GPU', 'req/$', `${ctx.latencyKey}`, 'p99 TTFT ms', 'mean TPOT ms', 'frontier'];
  const rows = shown.map((i) => {
    const l = lines[i]!;
    return [l.label, l.gpus, l.costPerHour, formatInterval(l.maxRate!), l.ratePerGpu!, l.requestsPerDollar ?? null, formatInterval(l.latencyMs!), formatInterval(l.p99TtftMs!), formatInterval(l.meanTpotMs!), [f.perGpu.includes(i) ? 'GPU' : '', f.perDollar.includes(i) ? '$' : ''].filter((s) => s).join('+')];
  });
  const table = formatTable(cols, rows);
  // The best knob setting of each hardware group (by rate per GPU), top 10: how the shapes compare.
  const bestOfGroup = new Map<number, PlanLine>();
  for (const l of ok) if (!bestOfGroup.has(l.group) || l.ratePerGpu! > bestOfGroup.get(l.group)!.ratePerGpu!) bestOfGroup.set(l.group, l);
  const groupRows = [...bestOfGroup.values()].sort((a, b) => b.ratePerGpu! - a.ratePerGpu! || a.point - b.point).slice(0, 10);
  const groupTable = formatTable(['best of each hardware (top 10 by req/s/GPU)', 'GPUs', 'max rate req/s', 'req/s/GPU', 'req/$', ctx.latencyKey], groupRows.map((l) => [l.label, l.gpus, formatInterval(l.maxRate!), l.ratePerGpu!, l.requestsPerDollar ?? null, formatInterval(l.latencyMs!)]));
  // Best: the highest rate per dollar, the highest per GPU, and the lowest latency on either frontier.
  const pick = (xs: number[], key: (l: PlanLine) => number) => (xs.length ? xs.reduce((a, b) => (key(lines[b]!) > key(lines[a]!) ? b : a)) : undefined);
  const bests: [string, number | undefined][] = [
    ['per-dollar', pick(f.perDollar, (l) => l.requestsPerDollar ?? -1)],
    ['per-gpu', pick(f.perGpu, (l) => l.ratePerGpu ?? -1)],
    ['lowest-latency', shown[0]],
  ];
  const bestDir = path.join(outDir, 'best');
  mkdirSync(bestDir, { recursive: true });
  const best: string[] = [];
  for (const [name, i] of bests) {
    if (i === undefined) continue;
    const l = lines[i]!;
    const cand = { hardware: l.deployment, knobs: l.knobs, gpus: l.gpus } as unknown as Candidate;
    const sc = applyCandidate(ctx.base, cand, Number(l.maxRate!.mean.toPrecision(3)), (ctx.base.workload as { requests: number }).requests) as unknown as Scenario;
    sc.name = `${ctx.scenarioName}-plan-${name}`;
    sc.description = `pdsim plan ${name}: ${l.label}; highest rate meeting ${ctx.attainment} SLO attainment ${formatInterval(l.maxRate!)} req/s`;
    const file = path.join(bestDir, `${name}.yaml`);
    writeFileSync(file, stringify(sc));
    const serve = vllmServeLines(sc, { host: '127.0.0.1', basePort: 8100, scenarioFile: file });
    writeFileSync(path.join(bestDir, `${name}.sh`), ['#!/bin/sh', `# ${sc.description}`, ...serve.lines, ...serve.notes.map((n) => `# note: ${n}`)].join('\n') + '\n');
    best.push(`${name}: ${l.label} -> ${file}`);
  }
  const charts = (['perGpu', 'perDollar'] as const).flatMap((axis) => {
    const spec = frontierChart(lines, f[axis], axis, ctx.latencyKey);
    return spec ? [{ title: axis, spec }] : [];
  });
  const uncal = [...new Set(lines.flatMap((l) => l.uncalibratedGpus ?? []))].sort();
  const notes = [
    ...uncal.map((g) => `GPU profile "${g}" is not calibrated against measured data: expect a wider error (see models/gpu/${g}.json expectedError); plan.jsonl flags each candidate using it (uncalibratedGpus).`),
    ...rangeNotes(ok),
  ];
  const counts = ['ok', 'pruned', 'infeasible'].map((s) => `${lines.filter((l) => l.status === s).length} ${s}`).join(', ');
  await writeReport(outDir, {
    title: `pdsim plan: ${ctx.scenarioName}`,
    subtitle: `${lines.length} candidates (${counts}); highest arrival rate with >= ${ctx.attainment} of requests meeting every SLO; mean ±95% interval over seeds`,
    table: { columns: cols, rows },
    runs: [],
    extraCharts: charts,
    notes,
  });
  return { table: `${table}\n\n${groupTable}\n(${counts}; ${lines.reduce((s, l) => s + l.evaluations, 0)} simulations)${notes.map((n) => `\nnote: ${n}`).join('')}`, best };
}
