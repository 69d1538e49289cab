/**
 * `npm run bench:llamacpp [-- --test-model ID --threads N --fractions 0.25,0.5,0.9 --input 32-256 --output 16-64 --quick-profile --warmup-rounds N --reprofile --profile-in-bench --calibration-warmup-s S --rate-order as-given|low-first|high-first|2,0,1 --no-sequence-level --out DIR]`:
 * predicted vs measured serving figures on the real engine (llama.cpp on this CPU) at several
 * arrival rates, set as fractions of the capacity the calibrated simulator predicts. Runs the loop
 * of loop.ts with the full profiling plan and writes DIR/bench.json and DIR/bench.md (the table
 * docs/accuracy.md's "live" section quotes), with the machine's load before and after.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { numFlag } from '../../src/cli/flags.js';
import { UserError } from '../../src/errors.js';
import { runLoop } from './loop.js';
import { formatRunOrder, parseRateOrder, resolveRateOrder } from './rate-order.js';
import { calibrationLevels, CALIBRATION_WARMUP_REQUESTS } from './server-overhead.js';
import { formatPassShapes } from './pass-shapes.js';
import { formatStepCheck } from './step-check.js';
import { formatTpotTerms } from './tpot-terms.js';

// A UserError (a server that cannot be reached, a bad flag) is one line and exit code 2, as in the pdsim CLI; anything else is a bug and keeps its stack.
process.on('uncaughtException', (e) => {
  if (!(e instanceof UserError)) throw e;
  process.stderr.write(`bench:llamacpp: error: ${e.message}\n`);
  process.exit(2);
});
const { values: a } = parseArgs({
  options: {
    'test-model': { type: 'string', default: 'llama-test-6l-512' },
    threads: { type: 'string', default: '1' },
    fractions: { type: 'string', default: '0.25,0.5,0.9' },
    out: { type: 'string' },
    'max-num-seqs': { type: 'string', default: '8' },
    input: { type: 'string', default: '32-256' },
    output: { type: 'string', default: '16-64' },
    // The CI plan (fewer shapes and rounds): for the larger test model, whose full profile takes minutes.
    'quick-profile': { type: 'boolean', default: false },
    // Untimed rounds before the profile's timed ones (0: the profiler of runs 7-18, without them).
    'warmup-rounds': { type: 'string' },
    // Profile again after serving and price the served passes with both fits.
    reprofile: { type: 'boolean', default: false },
    // Profile inside the serving process, its own engine, before it listens (serve-profile.ts): the
    // default since runs 40-43 (its served passes ran 0.95-1.03x their price; a profile taken in this
    // process, then served by another engine instance, 0.82-1.07x). --profile-in-bench: the old way.
    'profile-in-server': { type: 'boolean', default: true }, // kept so that older command lines still run
    'profile-in-bench': { type: 'boolean', default: false },
    // Serve warm-up requests for at least this long before the calibration run (the server's own cost falls over its first 30-60 s: server-overhead.ts).
    'calibration-warmup-s': { type: 'string' },
    // The order the rates are served in: as-given (default), low-first, high-first, or indices into --fractions (rate-order.ts).
    'rate-order': { type: 'string', default: 'as-given' },
    // Leave the served passes' per-sequence level out of the served profile (sequence-level.ts): the profile of runs 44-45.
    'no-sequence-level': { type: 'boolean', default: false },
  },
});
/** "MIN-MAX" token counts (uniform), as the flags give them. */
const range = (flag: string, v: string): { min: number; max: number } => {
  const m = /^(\d+)-(\d+)$/.exec(v);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < Number(m[1])) throw new UserError(`--${flag} must be MIN-MAX token counts (1 <= MIN <= MAX), got "${v}"`);
  return { min: Number(m[1]), max: Number(m[2]) };
};
const input = range('input', a.input!);
const output = range('output', a.output!);
const threads = Number(a.threads);
const model = a['test-model']!;
const out = a.out ?? join('runs', `bench-llamacpp-${model}-${threads}t`);
const fractions = a.fractions!.split(',').map(Number);
const profileInServer = !a['profile-in-bench'];
const rateOrder = parseRateOrder(a['rate-order']!);
// Checked against the rates now, not after the profile and calibration minutes later (the loop resolves it again on the rates it serves).
resolveRateOrder(rateOrder, fractions);

const KEYS: [string, string][] = [
  ['request_throughput', 'req/s'],
  ['output_throughput', 'tok/s out'],
  ['median_ttft_ms', 'TTFT median'],
  ['p90_ttft_ms', 'TTFT p90'],
  ['p99_ttft_ms', 'TTFT p99'],
  ['mean_tpot_ms', 'TPOT mean'],
  ['median_tpot_ms', 'TPOT median'],
  ['p99_tpot_ms', 'TPOT p99'],
  ['mean_itl_ms', 'ITL mean'],
  ['p90_itl_ms', 'ITL p90'],
  ['p99_itl_ms', 'ITL p99'],
  ['median_e2el_ms', 'E2EL median'],
  ['p90_e2el_ms', 'E2EL p90'],
];

const machine = (): string => `load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min) on ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`;
const before = machine();
const t0 = Date.now();
const r = await runLoop({
  testModel: model,
  threads,
  workDir: out,
  quick: a['quick-profile'],
  ...(a['warmup-rounds'] !== undefined ? { warmupRounds: Number(a['warmup-rounds']) } : {}),
  reprofile: a.reprofile,
  profileInServer,
  rateOrder,
  sequenceLevel: !a['no-sequence-level'],
  ...(a['calibration-warmup-s'] !== undefined ? { calibrationWarmupS: numFlag('--calibration-warmup-s', a['calibration-warmup-s'], 0, Number.MAX_VALUE, false, 's') } : {}),
  rates: { ofCapacity: fractions },
  // About 40 requests at low load, more as the rate grows, so each point spans a few minutes at most.
  requests: (rate) => Math.max(30, Math.min(80, Math.round(rate * 120))),
  input,
  output,
  maxNumSeqs: Number(a['max-num-seqs']),
  maxNumBatchedTokens: 512,
  maxModelLen: 1024,
  report: true,
  log: (s) => process.stderr.write(`${s}\n`),
});
const after = machine();

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(2));
const lines = [
  `model ${model} (llama.cpp via node-llama-cpp 3.21.1, CPU), ${threads} thread(s); max-num-seqs ${a['max-num-seqs']}, input uniform ${input.min}-${input.max}, output uniform ${output.min}-${output.max}, Poisson arrivals`,
  `machine before: ${before}; after: ${after}; ${((Date.now() - t0) / 60000).toFixed(1)} min in all`,
  `rates served in the order ${formatRunOrder(r.points.map((p) => (p.ofCapacity !== undefined ? `${p.ofCapacity} x cap` : `${p.rate} req/s`)), r.rateOrder, rateOrder)}`,
  `profile${profileInServer ? ' (in the serving process, its own engine)' : ''}: CPU / wall during its timed steps ${(r.profileTiming.cpuMs / r.profileTiming.wallMs).toFixed(3)}; the fit against its own decode rows, mean row / fit by batch: ${r.fitByBatch.map((g) => `b${g.batch} ${g.rowOverFit.toFixed(3)}`).join(', ')} (without the batch term: ${r.fitByBatchWithoutTerm.map((g) => `b${g.batch} ${g.rowOverFit.toFixed(3)}`).join(', ')})`,
  `server cost per iteration, priced (calibration run after ${CALIBRATION_WARMUP_REQUESTS} warm-up requests${a['calibration-warmup-s'] ? ` and at least ${a['calibration-warmup-s']} s of them` : ''}, closed loop at concurrency ${calibrationLevels(Number(a['max-num-seqs'])).map((l) => l.streams).join(', ')}): ${r.serverOverhead.baseMs.toFixed(3)} ms + ${r.serverOverhead.perSeqMs.toFixed(3)} ms per sequence (${r.serverOverhead.iterations} iterations)`,
  `served decode passes' per-sequence level against the engine's fit (sequence-level.ts; same calibration run), in the served profile's decode batch table: ${r.sequenceLevel ? `${r.sequenceLevel.perSeqMs.toFixed(3)} ms per sequence (${r.sequenceLevel.passes} passes)` : a['no-sequence-level'] ? 'off (--no-sequence-level)' : 'none (too few single decode passes)'}`,
  '',
  `| metric | ${r.points.map((p) => `${p.ofCapacity ?? ''} x cap = ${p.rate} req/s: predicted / measured (error)`).join(' | ')} |`,
  `|---|${r.points.map(() => '---').join('|')}|`,
  ...KEYS.map(([k, label]) => `| ${label} | ${r.points.map((p) => {
    const m = p.result.comparison.metrics[k]!;
    return `${fmt(m.predicted)} / ${fmt(m.measured)} (${m.errorPct === null ? '-' : `${m.errorPct >= 0 ? '+' : ''}${m.errorPct.toFixed(1)}%`})`;
  }).join(' | ')} |`),
  `| completed / failed | ${r.points.map((p) => `${p.result.live.completed} / ${p.result.live.failed}`).join(' | ')} |`,
  '',
  'The server\'s passes by shape (pass-shapes.ts; bN: N sequences of one token each, no padding), summed measured / summed price by the engine\'s fit, with its batch term (perf.decodeBatchMs) and without it:',
  '',
  ...formatPassShapes(r.points.map((p) => ({ label: p.ofCapacity !== undefined ? `${p.ofCapacity} x cap` : `${p.rate} req/s`, shapes: p.shapes ?? [] }))),
  '',
  ...r.points.map((p) => `- ${p.rate} req/s, the server's passes: ${p.steps ? formatStepCheck(p.steps) : 'no step log'}; host compute speed (speed-probe.ts) serving / profiling ${p.probeRatio?.toFixed(3) ?? '-'}, memory copy bandwidth ${p.probeCopyRatio?.toFixed(3) ?? '-'}`),
  ...r.points.filter((p) => p.tpot).map((p) => `- ${p.rate} req/s, ${formatTpotTerms(p.tpot!, p.result.comparison.metrics['mean_itl_ms']?.predicted, p.result.comparison.metrics['mean_itl_ms']?.measured)}`),
  ...r.points.filter((p) => p.stepsAfter).map((p) => `- ${p.rate} req/s, priced by the profile taken after serving: ${formatStepCheck(p.stepsAfter!)}`),
];
writeFileSync(join(out, 'bench.md'), `${lines.join('\n')}\n`);
writeFileSync(join(out, 'bench.json'), `${JSON.stringify({ model, threads, before, after, profileTiming: r.profileTiming, fitByBatch: r.fitByBatch, fitByBatchWithoutTerm: r.fitByBatchWithoutTerm, serverOverhead: r.serverOverhead, sequenceLevel: r.sequenceLevel, calibrationWindow: r.calibrationWindow, rateOrder: r.rateOrder, points: r.points.map((p) => ({ rate: p.rate, ofCapacity: p.ofCapacity, runIndex: p.runIndex, fromMs: p.fromMs, toMs: p.toMs, steps: p.steps, shapes: p.shapes, stepsAfter: p.stepsAfter, tpot: p.tpot, probeRatio: p.probeRatio, probeCopyRatio: p.probeCopyRatio, comparison: p.result.comparison })) }, null, 2)}\n`);
process.stdout.write(`${lines.join('\n')}\n\nwrote ${join(out, 'bench.md')}, ${join(out, 'bench.json')}\n`);
