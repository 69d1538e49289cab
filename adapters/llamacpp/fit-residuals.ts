/**
 * `npx tsx adapters/llamacpp/fit-residuals.ts DIR [--test-model ID] [--threads N]`: the calibrated
 * fit (DIR/models-passes) against the profile's own decode rows (DIR/profile.csv), as row / fit per
 * (batch, KV length), with the fit's decode price split into its KV-free part and its KV (attention)
 * slope; the KV lengths the served decode-only passes ran at (DIR/steps.jsonl) and their measured
 * time over the fit's, the rows' (interpolated) and the rows' least-squares lines in KV, per batch;
 * and, with --hold-out B, each row of batch B predicted by a fit on the profile without it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadGpu, loadLlm } from '../../src/model/catalog.js';
import { profiledEngineOverhead } from '../../src/perf/engine-setup.js';
import { RooflinePerfModel } from '../../src/perf/perf-model.js';
import { fitEngineIterations, predictEngineIterationMs } from '../../src/calibrate/fit-iterations.js';
import { readSource } from '../../src/calibrate/sources.js';
import { parseProfileCsv, rowLinePricer, rowPricer } from './profile-rows.js';
import { readStepLog } from './step-check.js';

const { values: a, positionals } = parseArgs({ allowPositionals: true, options: { 'hold-out': { type: 'string' }, 'test-model': { type: 'string', default: 'llama-test-6l-512' }, threads: { type: 'string', default: '1' } } });
const dir = positionals[0];
if (!dir) throw new Error('usage: fit-residuals.ts DIR');
const gpu = loadGpu(`llamacpp-cpu-${a.threads}t`, join(dir, 'models-passes'));
const model = new RooflinePerfModel(loadLlm(a['test-model']!, join(dir, 'models-passes')), gpu, { tp: 1, overhead: profiledEngineOverhead(gpu) });
const rows = parseProfileCsv(readFileSync(join(dir, 'profile.csv'), 'utf8')).filter((r) => r.op === 'iter_decode');
const kvs = [...new Set(rows.map((r) => r.kvLen!))].sort((x, y) => x - y);
const batches = [...new Set(rows.map((r) => r.batch))].sort((x, y) => x - y);
const price = (b: number, kv: number): number => model.iterationMs(Array.from({ length: b }, () => ({ newTokens: 1, contextTokens: kv - 1 })));
const out: string[] = [];
out.push(`row / fit by batch (rows) and KV length (columns); fit = fixed + slope x b x kv`);
out.push(`b \\ kv ${kvs.map((k) => String(k).padStart(6)).join('')}   fixed_ms slope_us/tok`);
for (const b of batches) {
  const cells = kvs.map((kv) => {
    const r = rows.find((x) => x.batch === b && x.kvLen === kv);
    return r ? (r.ms / price(b, kv)).toFixed(3).padStart(6) : '     -';
  });
  const c = model.decodeCoefficients(b);
  out.push(`b${String(b).padEnd(5)} ${cells.join('')}   ${c.fixedMs.toFixed(2).padStart(8)} ${(1000 * c.perContextTokenMs).toFixed(2).padStart(8)}`);
}
// Per batch: measured rows' own slope in KV (least squares) beside the fit's, and the rows' intercept.
out.push('per batch, least-squares line of the rows in kv: ms = a + s x kv, beside the fit\'s (a, s)');
for (const b of batches) {
  const pts = rows.filter((r) => r.batch === b).map((r) => [r.kvLen!, r.ms] as const);
  const n = pts.length;
  const mx = pts.reduce((s, p) => s + p[0], 0) / n;
  const my = pts.reduce((s, p) => s + p[1], 0) / n;
  const s = pts.reduce((t, p) => t + (p[0] - mx) * (p[1] - my), 0) / pts.reduce((t, p) => t + (p[0] - mx) ** 2, 0);
  const fs = (price(b, 1001) - price(b, 1)) / 1000;
  out.push(`b${b}: rows a ${(my - s * mx).toFixed(2)} ms, s ${(1000 * s).toFixed(2)} us/kv; fit a ${price(b, 1).toFixed(2)} ms, s ${(1000 * fs).toFixed(2)} us/kv`);
}
const steps = join(dir, 'steps.jsonl');
if (existsSync(steps)) {
  const kvBy = new Map<number, number[]>();
  for (const rec of readStepLog(steps)) for (const p of rec.passes) {
    if (p.entries.length === 0 || !p.entries.every(([n]) => n === 1)) continue;
    const mean = p.entries.reduce((s, [, c]) => s + c + 1, 0) / p.entries.length;
    (kvBy.get(p.entries.length) ?? kvBy.set(p.entries.length, []).get(p.entries.length)!).push(mean);
  }
  const rowP = rowPricer(rows);
  const lineP = rowLinePricer(rows);
  // Per rate when bench.json gives each rate's window (its fromMs / toMs), else all passes together.
  const benchFile = join(dir, 'bench.json');
  const bench = existsSync(benchFile) ? (JSON.parse(readFileSync(benchFile, 'utf8')) as { points?: { rate: number; fromMs?: number; toMs?: number }[]; profileTiming?: { cpuMs: number; wallMs: number } }) : {};
  const points = bench.points ?? [];
  // The profile's CPU / wall over its timed steps: a served pass's CPU time against line x that share
  // says whether the engine did more work than while profiling (CPU) or waited longer for a core (wall).
  const profCpu = bench.profileTiming ? bench.profileTiming.cpuMs / bench.profileTiming.wallMs : null;
  const windows = points.every((p) => p.fromMs !== undefined && p.toMs !== undefined) && points.length > 0 ? points.map((p) => ({ label: `${p.rate} req/s`, from: p.fromMs!, to: p.toMs! })) : [{ label: 'all passes', from: -Infinity, to: Infinity }];
  const log = readStepLog(steps);
  out.push(`served decode-only passes without padding: sum measured / sum priced by the fit, the rows, the rows' lines in KV; line / fit; CPU / wall${profCpu !== null ? `; CPU / (line x the profile's CPU / wall ${profCpu.toFixed(3)})` : ''}`);
  for (const w of windows) {
    const sums = new Map<number, { n: number; m: number; f: number; r: number; l: number; c: number; cm: number; cl: number }>();
    for (const rec of log) {
      if (rec.atMs < w.from || rec.atMs >= w.to) continue;
      for (const p of rec.passes) {
        if (p.pad || p.entries.length === 0 || !p.entries.every(([n]) => n === 1)) continue;
        const e = p.entries.map(([n, c]) => ({ newTokens: n, contextTokens: c }));
        const r = rowP(e);
        const l = lineP(e);
        if (r === null || l === null) continue;
        const g = sums.get(e.length) ?? sums.set(e.length, { n: 0, m: 0, f: 0, r: 0, l: 0, c: 0, cm: 0, cl: 0 }).get(e.length)!;
        if (p.cpuMs !== undefined) {
          g.c += p.cpuMs;
          g.cm += p.ms;
          g.cl += l;
        }
        g.n++;
        g.m += p.ms;
        g.f += model.iterationMs(e);
        g.r += r;
        g.l += l;
      }
    }
    out.push(`${w.label}: ` + [...sums].sort(([x], [y]) => x - y).map(([b, g]) => `b${b} ${(g.m / g.f).toFixed(2)} / ${(g.m / g.r).toFixed(2)} / ${(g.m / g.l).toFixed(2)}; ${(g.l / g.f).toFixed(3)}${g.cm > 0 ? `; ${(g.c / g.cm).toFixed(2)}${profCpu !== null ? `; ${(g.c / (profCpu * g.cl)).toFixed(2)}` : ''}` : ''} (${g.n})`).join(', '));
  }
  out.push('served decode-only passes, mean KV length per pass: median [p10, p90] (n)');
  for (const [b, xs] of [...kvBy].sort(([x], [y]) => x - y)) {
    xs.sort((x, y) => x - y);
    const q = (f: number): number => xs[Math.min(xs.length - 1, Math.floor(f * xs.length))]!;
    out.push(`b${b}: ${q(0.5).toFixed(0)} [${q(0.1).toFixed(0)}, ${q(0.9).toFixed(0)}] (${xs.length})`);
  }
}
if (a['hold-out'] !== undefined) {
  // Leave one row out, refit the whole device profile on the rest (as `pdsim calibrate` fits it), price the row.
  const hb = Number(a['hold-out']);
  const set = readSource(join(dir, 'profile.csv'));
  out.push(`held out one at a time, batch ${hb}: row / fit-without-it (row / fit-with-all)`);
  for (const s of set.iterations.filter((x) => x.phase === 'decode' && x.batch === hb)) {
    const perf = { ...gpu.perf, ...fitEngineIterations(set.iterations.filter((x) => x !== s), gpu, { check: false }) };
    out.push(`kv ${s.kvLen}: ${(s.ms / predictEngineIterationMs(gpu, perf, s)).toFixed(3)} (${(s.ms / predictEngineIterationMs(gpu, gpu.perf, s)).toFixed(3)})`);
  }
}
process.stdout.write(out.join('\n') + '\n');
