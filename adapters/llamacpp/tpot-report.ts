/**
 * `npx tsx adapters/llamacpp/tpot-report.ts DIR [--test-model ID] [--threads N]`: the TPOT terms
 * (tpot-terms.ts) of a finished `bench:llamacpp` run, from what it left in DIR (steps.jsonl, bench.json,
 * models/ and models-passes/), per rate and by decode batch size. Runs of an older bench, whose
 * bench.json has no windows, are split at the scenario files' times (each written just before its rate).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkSteps, passPricer, readStepLog } from './step-check.js';
import { fitByBatch, parseProfileCsv, rowLinePricer } from './profile-rows.js';
import type { ServerOverhead } from './server-overhead.js';
import type { StepRecord } from './step-loop.js';
import { formatTpotTerms, tpotTerms } from './tpot-terms.js';

const { values: a, positionals } = parseArgs({ allowPositionals: true, options: { 'test-model': { type: 'string', default: 'llama-test-6l-512' }, threads: { type: 'string', default: '1' } } });
const dir = positionals[0];
if (!dir) throw new Error('usage: tpot-report.ts DIR');
const deviceId = `llamacpp-cpu-${a.threads}t`;
interface Point { rate: number; fromMs?: number; toMs?: number; comparison: { metrics: Record<string, { predicted: number | null; measured: number | null }> } }
const bench = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8')) as { serverOverhead: ServerOverhead; points: Point[] };
const records = readStepLog(join(dir, 'steps.jsonl'));
const starts = bench.points.map((p) => p.fromMs ?? statSync(join(dir, `scenario-rate${p.rate}.json`)).mtimeMs);
const pass = passPricer(a['test-model']!, deviceId, join(dir, 'models-passes'));
const served = passPricer(a['test-model']!, deviceId, join(dir, 'models'));
const profileRows = parseProfileCsv(readFileSync(join(dir, 'profile.csv'), 'utf8'));
const rowPrice = rowLinePricer(profileRows);
process.stdout.write(`the fit against its own decode rows, mean row / fit: ${fitByBatch(profileRows, pass).map((g) => `b${g.batch} ${g.rowOverFit.toFixed(3)}`).join(', ')}\n`);

/** Decode sequences of a record's first pass: its batch for the split below. */
const batchOf = (r: StepRecord): number => (r.passes[0]?.entries ?? []).filter(([n]) => n === 1).length;
bench.points.forEach((p, i) => {
  const to = p.toMs ?? starts[i + 1] ?? Infinity;
  const mine = records.filter((r) => r.atMs >= starts[i]! && r.atMs <= to);
  const itl = p.comparison.metrics['mean_itl_ms'];
  process.stdout.write(`rate ${p.rate}: ${formatTpotTerms(tpotTerms(mine, pass, served, bench.serverOverhead), itl?.predicted, itl?.measured)}\n`);
  const byRows = checkSteps(mine, pass, rowPrice).decodeByBatch;
  process.stdout.write(`  decode-only passes by batch, served / fit [served / profile rows' lines in KV]: ${byRows.map((g) => `b${g.batch} ${g.ratio.toFixed(3)} [${g.rows?.toFixed(3) ?? '-'}] (${g.n})`).join(', ')}\n`);
  // By batch: each record with the next one's gap (pairs), so the split keeps the gap that follows an iteration.
  const byBatch = new Map<number, StepRecord[][]>();
  for (let k = 0; k + 1 < mine.length; k++) {
    const b = batchOf(mine[k]!);
    if (b > 0) byBatch.set(b, [...(byBatch.get(b) ?? []), [mine[k]!, mine[k + 1]!]]);
  }
  for (const [b, pairs] of [...byBatch].sort(([x], [y]) => x - y)) {
    const t = pairs.map((pr) => tpotTerms(pr, pass, served, bench.serverOverhead)).filter((x) => x.tokens > 0);
    const w = t.reduce((s, x) => s + x.tokens, 0);
    const mean = (f: (x: (typeof t)[number]) => number): number => t.reduce((s, x) => s + f(x) * x.tokens, 0) / w;
    const mixed = pairs.filter(([r]) => r!.passes.length > 1).length;
    process.stdout.write(`  batch ${b}: ${pairs.length} iterations (${mixed} with prompt chunks); predicted / measured ms: passes ${mean((x) => x.predicted.passMs).toFixed(2)} / ${mean((x) => x.measured.passMs).toFixed(2)}, server ${mean((x) => x.predicted.serverMs).toFixed(2)} / ${mean((x) => x.measured.serverMs).toFixed(2)}, refit ${mean((x) => x.predicted.refitMs).toFixed(2)}\n`);
  }
});
