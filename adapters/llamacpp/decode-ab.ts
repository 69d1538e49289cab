/**
 * `npx tsx adapters/llamacpp/decode-ab.ts [--batch B] [--kv C] [--rounds N] [--spread S]`: in-process
 * A/B of the profiler's decode step against served-like ones, to find why served decode passes of
 * 2-4 sequences ran 1.10-1.23x their profiled price while batch 1 was priced right (runs 23-34,
 * docs/accuracy-live.md). One engine of the server's shape (8 sequences x 1,024 cells, 512-token
 * batches), warmed up as llamacpp-serve warms up; every condition times ONE decode step of B
 * sequences whose KV holds C - 1 tokens on average, in a shuffled order each round, so load from
 * other processes falls on all alike. Prints each condition's median wall and process-CPU time and
 * the median of its per-round CPU ratios to the first (the profiler's) with their quartiles.
 *
 * Conditions (what a served batch does that the profiled one does not):
 * - `profiler`: profile.ts's step: equal KV lengths, the same step run twice, the second timed, KV
 *   truncated back after each.
 * - `staggered`: the same, but the B sequences' KV lengths spread over C - 1 +- S (same mean).
 * - `growing`: equal lengths, 4 untimed steps feeding each sequence its sampled token, the 5th timed
 *   (KV grows, tokens differ per sequence, no truncation between steps).
 * - `staggered+growing`: both: the steady state of a served batch.
 * - `after prompt pass`: the profiler's step, but the step before it is a 32-token prompt in another
 *   slot (a served iteration's prompt chunk runs between two decode passes).
 * - `after join`: B - 1 sequences step, then a (C - 1)-token prompt joins in slot B - 1, then the
 *   timed step of all B (the joiner's first decode).
 * - `after finish`: B + 1 sequences step, slot B is freed, then the timed step of B.
 * - `no graph reuse`: the profiler's step on a second engine created with
 *   LLAMA_GRAPH_REUSE_DISABLE=1 (llama.cpp rebuilds the compute graph for every ubatch).
 * Modes: `--batches 1,2,4` (the profiler's step and staggered + growing at each size), `--served`
 * (the profiler's step against the same b jobs through StepLoopBackend here and through a
 * llamacpp-serve child over HTTP, the passes read from the step logs), `--engines` (the profiler's
 * engine shape, 9 x 1,017, against the server's), `--sibling` (the other vCPU idle or busy).
 *
 * What it gave on 3 December 15:19-15:45 UTC (load 5-13, not quiet; CPU ratio to the profiler's
 * step, median of 8-12 rounds): at batch 2 / 3 / 4, KV 192: staggered 1.003 / 0.999 / 0.997, growing
 * with sampled tokens 1.003 / 1.021 / 0.990, both 0.983 / 1.002 / 0.992, after a prompt pass 1.013 /
 * 1.046 / 1.017, right after a join 1.035 / 1.053 / 1.055, after a finish 1.018 / 1.030 / 0.980, no
 * graph reuse 1.027 / 1.020 / 1.056. `--served` (KV 128): the llamacpp-serve child over HTTP 0.943,
 * 0.921, 1.012, 0.991 at batch 1-4 (the step loop here 0.833-0.979). `--engines`: 0.94-1.06.
 * `--sibling`: 0.98-1.03. So a served pass of 2-4 sequences costs what the profiled one does.
 * `--probe` (60 rounds 1.5 s apart, load 9-11): batch 1 10.0-11.1 ms of CPU (10-90 %), correlated
 * with the 32 MiB copy's time (0.40), not the float loop's (-0.09); batch 2 with neither. Across
 * the runs above the profiler's batch-1 step took 5.5-10.4 ms, batch 2 10.8-12.4.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnCli, type ChildServer } from '../testing/child.js';
import { loadEngine, type Engine, type StepItem } from './engine-api.js';
import { promptFor, StepLoopBackend, type StepRecord } from './step-loop.js';
import { resolveModel, serveWarmupShapes } from './serve.js';
import { fill, warmUpEngine } from './warm-up.js';
import { median } from '../../src/bench/regimes.js';

const { values: a } = parseArgs({ options: { rounds: { type: 'string', default: '12' }, batch: { type: 'string', default: '3' }, kv: { type: 'string', default: '192' }, spread: { type: 'string', default: '64' }, only: { type: 'string' }, batches: { type: 'string' }, served: { type: 'boolean', default: false }, engines: { type: 'boolean', default: false }, sibling: { type: 'boolean', default: false }, probe: { type: 'boolean', default: false }, 'pause-ms': { type: 'string', default: '1500' } } });
const rounds = Number(a.rounds);
const B = Number(a.batch);
const C = Number(a.kv);
const S = Number(a.spread);
const VOCAB = 32000;
const m = resolveModel({ testModel: 'llama-test-6l-512' });
const shape = { modelPath: m.path, threads: 1, sequences: 8, contextTokens: 1024, batchTokens: 512 };

/** The KV lengths each slot of an engine holds (kept in step with the engine by `setLen`). */
interface Held {
  e: Engine;
  len: number[];
}
const held = (e: Engine): Held => ({ e, len: new Array<number>(e.slots).fill(0) });

/** Makes `slot` hold exactly n tokens: truncated, or extended with its own deterministic prompt. */
async function setLen(h: Held, slot: number, n: number): Promise<void> {
  if (h.len[slot]! > n) {
    if (n === 0) await h.e.reset(slot);
    else await h.e.truncate(slot, n);
  } else if (h.len[slot]! < n) await fill(h.e, slot, promptFor(slot + 1, n, VOCAB).slice(h.len[slot]!));
  h.len[slot] = n;
}

const decodeItems = (slots: number[], tokens: (s: number) => number): StepItem[] => slots.map((slot) => ({ slot, tokens: [tokens(slot)], sample: true }));
const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

let lastCpu = 0;
async function timedStep(e: Engine, items: StepItem[]): Promise<{ ms: number; out: (number | null)[] }> {
  const c = process.cpuUsage();
  const t = performance.now();
  const out = await e.step(items);
  const ms = performance.now() - t;
  const d = process.cpuUsage(c);
  lastCpu = (d.user + d.system) / 1000;
  return { ms, out };
}

/** KV lengths of the B sequences: all C - 1, or spread evenly over C - 1 +- S (the same mean). */
const lens = (stagger: boolean, b = B): number[] => range(b).map((s) => (stagger && b > 1 ? C - 1 - S + Math.round((2 * S * s) / (b - 1)) : C - 1));

/** The profiler's step (profile.ts decodeRound): the same step twice, the second timed, truncated back after each. */
async function repeatStep(h: Held, stagger: boolean, r: number, before?: () => Promise<void>, b = B): Promise<number> {
  const L = lens(stagger, b);
  for (const [s, n] of L.entries()) await setLen(h, s, n);
  const items = decodeItems(range(b), () => 300 + r);
  await h.e.step(items);
  for (const [s, n] of L.entries()) await h.e.truncate(s, n);
  if (before) await before();
  const { ms } = await timedStep(h.e, items);
  for (const [s, n] of L.entries()) await h.e.truncate(s, n);
  return ms;
}

/** Served steady state: KV growing by one per step, each sequence fed its own sampled token; the 5th step timed. */
async function growingStep(h: Held, stagger: boolean, b = B, fixedToken?: number): Promise<number> {
  const steps = 4;
  const L = lens(stagger, b);
  for (const [s, n] of L.entries()) await setLen(h, s, n - steps);
  let toks = range(b).map((s) => fixedToken ?? 300 + s);
  let ms = 0;
  for (let k = 0; k <= steps; k++) {
    const items = decodeItems(range(b), (s) => toks[s]!);
    const res = k === steps ? await timedStep(h.e, items) : { ms: 0, out: await h.e.step(items) };
    ms = res.ms;
    toks = res.out.map((t, s) => (fixedToken !== undefined ? fixedToken : (t ?? 300 + s)));
  }
  for (const [s, n] of L.entries()) {
    await h.e.truncate(s, n);
    h.len[s] = n;
  }
  return ms;
}

/** `base`: the index of the condition this one's ratios are to (default the first). */
type Cond = { name: string; run: (r: number) => Promise<number>; base?: number };

const main = held(await loadEngine(shape));
await warmUpEngine(main.e, VOCAB, serveWarmupShapes(main.e), 1, 0);
process.env['LLAMA_GRAPH_REUSE_DISABLE'] = '1';
const noReuse = held(await loadEngine(shape));
delete process.env['LLAMA_GRAPH_REUSE_DISABLE'];
await warmUpEngine(noReuse.e, VOCAB, serveWarmupShapes(noReuse.e), 1, 0);
const OTHER = 7;

const all: Cond[] = [
  { name: 'profiler (equal KV, repeated, truncated)', run: (r) => repeatStep(main, false, r) },
  { name: 'staggered KV', run: (r) => repeatStep(main, true, r) },
  { name: 'growing KV, sampled tokens', run: () => growingStep(main, false) },
  { name: 'staggered + growing', run: () => growingStep(main, true) },
  {
    name: 'after a 32-token prompt pass in slot 7',
    run: (r) => repeatStep(main, false, r, async () => {
      await main.e.step([{ slot: OTHER, tokens: promptFor(900 + r, 32, VOCAB), sample: true }]);
      await main.e.reset(OTHER);
    }),
  },
  {
    name: 'right after a join',
    run: async (r) => {
      for (let s = 0; s < B - 1; s++) await setLen(main, s, C - 1);
      await setLen(main, B - 1, 0);
      if (B > 1) {
        await main.e.step(decodeItems(range(B - 1), () => 300 + r));
        for (let s = 0; s < B - 1; s++) await main.e.truncate(s, C - 1);
      }
      await fill(main.e, B - 1, promptFor(B, C - 1, VOCAB));
      main.len[B - 1] = C - 1;
      const { ms } = await timedStep(main.e, decodeItems(range(B), () => 300 + r));
      for (let s = 0; s < B; s++) await main.e.truncate(s, C - 1);
      return ms;
    },
  },
  {
    name: 'right after a finish',
    run: async (r) => {
      for (let s = 0; s <= B; s++) await setLen(main, s, C - 1);
      await main.e.step(decodeItems(range(B + 1), () => 300 + r));
      for (let s = 0; s < B; s++) await main.e.truncate(s, C - 1);
      await setLen(main, B, 0);
      const { ms } = await timedStep(main.e, decodeItems(range(B), () => 300 + r));
      for (let s = 0; s < B; s++) await main.e.truncate(s, C - 1);
      return ms;
    },
  },
  { name: 'no graph reuse (profiler step)', run: (r) => repeatStep(noReuse, false, r) },
  { name: 'growing KV, the profiler\'s token 300 + r', run: (r) => growingStep(main, false, B, 300 + r) },
];
/** Median CPU and wall ms of the decode-only passes of exactly `b` sequences (no padding) in `recs`. */
function decodePasses(recs: readonly StepRecord[], b: number): number {
  const ps = recs.filter((r) => r.passes.length === 1).map((r) => r.passes[0]!).filter((p) => !p.pad && p.entries.length === b && p.entries.every(([n]) => n === 1));
  if (ps.length === 0) throw new Error(`no decode-only pass of batch ${b}`);
  lastCpu = median(ps.map((p) => p.cpuMs!));
  return median(ps.map((p) => p.ms));
}

/** b jobs of a (C - 9)-token prompt and 17 output tokens, submitted at once: their decode-only steps hold KV C - 8 .. C + 7 (mean C). */
const servedJob = (id: number): { id: number; promptTokens: number; outputTokens: number } => ({ id, promptTokens: C - 9, outputTokens: 17 });

let child: ChildServer | undefined;
let childLog = '';
let loopEngine: Engine | undefined;
let jobId = 0;
async function servedConds(b: number): Promise<Cond[]> {
  if (!loopEngine) {
    loopEngine = await loadEngine(shape);
    await warmUpEngine(loopEngine, VOCAB, serveWarmupShapes(loopEngine), 1, 0);
    childLog = join(tmpdir(), `decode-ab-steps-${process.pid}.jsonl`);
    rmSync(childLog, { force: true });
    child = await spawnCli(['llamacpp-serve', '--test-model', 'llama-test-6l-512', '--threads', '1', '--port', '0', '--quiet', '--step-log', childLog, '--max-num-seqs', '8', '--max-num-batched-tokens', '512', '--max-model-len', '1024'], 180_000, fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)));
  }
  const eng = loopEngine;
  const recs: StepRecord[] = [];
  const loop = new StepLoopBackend(eng, VOCAB, (e) => { throw e; }, (r) => void recs.push(r));
  const lines = (): string[] => (existsSync(childLog) ? readFileSync(childLog, 'utf8').split('\n').filter((l) => l.trim() !== '') : []);
  return [
    { name: `profiler step, batch ${b}`, run: (r) => repeatStep(main, false, r, undefined, b) },
    {
      name: `step loop in this process, batch ${b}`,
      run: async () => {
        recs.length = 0;
        await Promise.all(range(b).map(() => new Promise<void>((res, rej) => loop.submit(servedJob(jobId++), { onTokens: () => {}, onFinish: (e) => (e ? rej(new Error(e)) : res()) }))));
        await loop.idle();
        return decodePasses(recs, b);
      },
    },
    {
      name: `llamacpp-serve child over HTTP, batch ${b}`,
      run: async (r) => {
        const before = lines().length;
        await Promise.all(range(b).map(async (k) => {
          const res = await fetch(`${child!.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'llama-test-6l-512', prompt: promptFor(2000 + r * 8 + k, C - 9, VOCAB), max_tokens: 17, ignore_eos: true, stream: true }) });
          await res.text();
        }));
        // The step log is written asynchronously.
        await new Promise((res) => setTimeout(res, 100));
        return decodePasses(lines().slice(before).map((l) => JSON.parse(l) as StepRecord), b);
      },
    },
  ];
}

// --batches 1,2,4: the profiler's step and the served steady state (staggered + growing) at each batch size, all against the profiler's first.
const sweep = a.batches?.split(',').map(Number);
// --engines: the profiler's step on the server's engine (8 x 1,024 cells) against the profiler's own (9 sequences x 1,017: profile.ts runProfile).
async function engineConds(): Promise<Cond[]> {
  const prof = held(await loadEngine({ ...shape, sequences: 9, contextTokens: 1017 }));
  await warmUpEngine(prof.e, VOCAB, serveWarmupShapes(prof.e), 1, 8);
  closers.push(() => prof.e.close());
  return (sweep ?? [B]).flatMap((b, k): Cond[] => [
    { name: `server engine, batch ${b}`, run: (r) => repeatStep(main, false, r, undefined, b), base: 2 * k },
    { name: `profiler engine (9 x 1017), batch ${b}`, run: (r) => repeatStep(prof, false, r, undefined, b), base: 2 * k },
  ]);
}
// --sibling: the profiler's step with the other vCPU idle against it busy in another process (a float multiply-add loop, or a 64 MiB copy loop), that process stopped and continued by SIGSTOP / SIGCONT, so its CPU time is not this process's.
function siblingConds(): Cond[] {
  const spin = (code: string): ChildProcess => {
    const c = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
    c.kill('SIGSTOP');
    closers.push(async () => void c.kill('SIGKILL'));
    return c;
  };
  const fma = spin('let x = 1.0000001; for (;;) { for (let i = 0; i < 1e7; i++) x = x * 0.9999999 + 1e-7; if (x < 0) console.log(x); }');
  const copy = spin('const a = Buffer.alloc(64 << 20, 1), b = Buffer.alloc(64 << 20); for (;;) a.copy(b);');
  const withBusy = (c: ChildProcess, f: () => Promise<number>) => async (): Promise<number> => {
    c.kill('SIGCONT');
    await new Promise((res) => setTimeout(res, 20));
    try {
      return await f();
    } finally {
      c.kill('SIGSTOP');
    }
  };
  return (sweep ?? [B]).flatMap((b, k): Cond[] => [
    { name: `other vCPU idle, batch ${b}`, run: (r) => repeatStep(main, false, r, undefined, b), base: 3 * k },
    { name: `other vCPU: FMA loop, batch ${b}`, run: (r) => withBusy(fma, () => repeatStep(main, false, r, undefined, b))(), base: 3 * k },
    { name: `other vCPU: memory copy, batch ${b}`, run: (r) => withBusy(copy, () => repeatStep(main, false, r, undefined, b))(), base: 3 * k },
  ]);
}
/** CPU ms of `f` on this thread (a probe runs on the main thread: no engine call is in flight). */
const cpuOf = (f: () => void): number => {
  const c = process.cpuUsage();
  f();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
};
const pearson = (x: number[], y: number[]): number => {
  const mx = x.reduce((s, v) => s + v, 0) / x.length;
  const my = y.reduce((s, v) => s + v, 0) / y.length;
  let sxy = 0, sxx = 0, syy = 0;
  x.forEach((v, i) => { sxy += (v - mx) * (y[i]! - my); sxx += (v - mx) ** 2; syy += (y[i]! - my) ** 2; });
  return sxy / Math.sqrt(sxx * syy);
};
// --probe: per round (a pause apart, so rounds span minutes of the host's state), the profiler's step at batch 1 and 2 beside a register-only float loop and a 32 MiB copy, each in CPU ms; which probe follows the steps.
if (a.probe) {
  const src = Buffer.alloc(32 << 20, 1);
  const dst = Buffer.alloc(32 << 20);
  const series: Record<string, number[]> = { b1: [], b2: [], fma: [], copy: [] };
  for (let r = 0; r < rounds; r++) {
    await repeatStep(main, false, r, undefined, 1);
    series['b1']!.push(lastCpu);
    await repeatStep(main, false, r, undefined, 2);
    series['b2']!.push(lastCpu);
    series['fma']!.push(cpuOf(() => { let x = 1.0000001; for (let i = 0; i < 2e6; i++) x = x * 0.9999999 + 1e-7; if (x < 0) throw new Error(); }));
    series['copy']!.push(cpuOf(() => { for (let k = 0; k < 4; k++) src.copy(dst); }));
    await new Promise((res) => setTimeout(res, Number(a['pause-ms'])));
  }
  const q = (xs: number[], f: number): number => [...xs].sort((x, y) => x - y)[Math.floor(f * (xs.length - 1))]!;
  for (const [k, v] of Object.entries(series)) process.stdout.write(`${k.padEnd(5)} CPU ms median ${median(v).toFixed(2)}, 10-90 % ${q(v, 0.1).toFixed(2)}-${q(v, 0.9).toFixed(2)}\n`);
  for (const k of ['b1', 'b2']) process.stdout.write(`${k} correlation over rounds: with the float loop ${pearson(series[k]!, series['fma']!).toFixed(2)}, with the copy ${pearson(series[k]!, series['copy']!).toFixed(2)}\n`);
  process.stdout.write(`b2 / b1 per round: median ${median(series['b2']!.map((x, i) => x / series['b1']![i]!)).toFixed(3)}; b1 with b2: ${pearson(series['b1']!, series['b2']!).toFixed(2)}\n`);
  await main.e.close();
  await noReuse.e.close();
  process.exit(0);
}
const closers: (() => Promise<void>)[] = [];
const conds = a.sibling ? siblingConds() : a.engines ? await engineConds() : a.served ? (await (async () => { const out: Cond[] = []; for (const b of sweep ?? [B]) out.push(...(await servedConds(b))); return out; })()).map((c, i) => ({ ...c, base: i - (i % 3) })) : sweep ? sweep.flatMap((b): Cond[] => [
  { name: `profiler step, batch ${b}`, run: (r) => repeatStep(main, false, r, undefined, b) },
  { name: `staggered + growing, batch ${b}`, run: () => growingStep(main, true, b) },
]) : a.only ? [all[0]!, ...all.filter((c, i) => i > 0 && a.only!.split(',').map(Number).includes(i))] : all;

let seed = 4242;
const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const q = (xs: number[], f: number): number => [...xs].sort((x, y) => x - y)[Math.floor(f * (xs.length - 1))]!;
const ms = conds.map(() => [] as number[]);
const cpu = conds.map(() => [] as number[]);
for (let r = 0; r < rounds; r++) {
  const order = conds.map((_, i) => i).sort(() => rand() - 0.5);
  for (const i of order) {
    ms[i]!.push(await conds[i]!.run(r));
    cpu[i]!.push(lastCpu);
  }
}
process.stdout.write(`decode A/B: batch ${B}, KV ${C} (spread +-${S} when staggered), ${rounds} rounds\n`);
for (const [i, c] of conds.entries()) {
  const k = c.base ?? 0;
  const cr = cpu[i]!.map((x, r) => x / cpu[k]![r]!);
  const wr = ms[i]!.map((x, r) => x / ms[k]![r]!);
  process.stdout.write(`${c.name.padEnd(42)} wall ${median(ms[i]!).toFixed(2)} ms (ratio ${median(wr).toFixed(3)}), CPU ${median(cpu[i]!).toFixed(2)} ms, ratio ${median(cr).toFixed(3)} [${q(cr, 0.25).toFixed(3)}, ${q(cr, 0.75).toFixed(3)}]\n`);
}
await main.e.close();
await noReuse.e.close();
await loopEngine?.close();
for (const c of closers) await c();
await child?.close();
