/**
 * `npx tsx adapters/llamacpp/prompt-ab.ts EXPERIMENT [--rounds N] [--n TOKENS]`: in-process A/B
 * tests of what makes a served prompt pass cost more than the profiler's (the quiet bench of
 * 2 December 14:33: served lone prompts 1.25x their profiled price, CPU / wall 0.996). Every
 * condition runs in ONE process (two engines of one model where the engine shape is the question),
 * interleaved in a shuffled order each round, so load from other processes falls on all alike.
 * Prints each condition's median wall and process-CPU time and the median of its per-round ratios
 * to the first condition, with their quartiles.
 *
 * Experiments, and what they gave on 2 December 14:42-14:49 (load 1.3-5.5, 20-25 rounds, n = 160;
 * CPU ratio median [quartiles]):
 * - `engine`: the profiler's engine (9 sequences, 1017 cells each) in its prompt slot 8 or slot 0,
 *   against the server's (8 x 1024) in slot 0 or 7: wall 0.995-1.027, no difference.
 * - `ids`: the profiler's ids (promptFor(r + 1)), promptFor(40 + r), uniform random ids, one id
 *   repeated: wall 0.989-1.037 [0.84-1.12], none. (Served prompts use promptFor(job id) too: the
 *   server ignores the ids a client sends.)
 * - `sizes`: 15 lengths 128-256 (grid points and lengths between): CPU time linear in the length,
 *   0.61-0.67 ms a token; grid points no faster than their neighbours.
 * - `before`: after a prompt, after 40 batch-1 decodes (same or another slot), after decodes and
 *   100 ms idle, after 300 ms idle: wall 1.01-1.13, with quartiles of 0.9-1.27 (load 5).
 * - `idle`: right after a prompt, after sleeping 2, 20, 300 ms, after spinning the main thread
 *   300 ms: CPU 0.979-1.010 [0.90-1.05]; wall after 300 ms of sleep 1.37 (the scheduler under
 *   load 4-5), CPU the same.
 * - `loop`: a bare step against the same prompt through StepLoopBackend (1 or 40 output tokens):
 *   CPU 0.979-0.986, none.
 * - `process`: a bare step here against `llamacpp-serve` in a child process (as the bench starts
 *   it) over HTTP, streamed or not, the pass read from its step log: CPU 1.008 and 1.033, none.
 * So on a loaded machine nothing in the served path changes a prompt pass's CPU time. On a quiet
 * machine (16:04-16:07, load 0.1-1.1, 14 rounds) neither does an idle core nor the server: `idle`
 * CPU 0.996-1.038 after sleeping 2 ms-1 s, 0.966 after spinning both vCPUs 300 ms; `process`
 * (streamed with 1 or 40 output tokens, or not) 0.964-0.985; all at 0.62-0.67 ms a token.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { spawnCli } from '../testing/child.js';
import { loadEngine, type Engine } from './engine-api.js';
import { promptFor, StepLoopBackend, type StepRecord } from './step-loop.js';
import { resolveModel, serveWarmupShapes } from './serve.js';
import { warmUpEngine } from './warm-up.js';
import { median } from '../../src/bench/regimes.js';

const { values: a, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '30' }, n: { type: 'string', default: '160' } } });
const rounds = Number(a.rounds);
const N = Number(a.n);
const exp = positionals[0] ?? 'sizes';
const m = resolveModel({ testModel: 'llama-test-6l-512' });
const serveEngine = (): Promise<Engine> => loadEngine({ modelPath: m.path, threads: 1, sequences: 8, contextTokens: 1024, batchTokens: 512 });
const profEngine = (): Promise<Engine> => loadEngine({ modelPath: m.path, threads: 1, sequences: 9, contextTokens: 1017, batchTokens: 512 });

let seed = 12345;
const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const randomIds = (n: number): number[] => Array.from({ length: n }, () => 259 + Math.floor(rand() * (32000 - 259)));

/** Process CPU ms of the last timed prompt (every thread: the engine's and the event loop's). */
const lastCpu: number[] = [];
async function timePrompt(e: Engine, slot: number, tokens: number[]): Promise<number> {
  const c = process.cpuUsage();
  const t = performance.now();
  await e.step([{ slot, tokens, sample: true }]);
  const ms = performance.now() - t;
  const d = process.cpuUsage(c);
  lastCpu.push((d.user + d.system) / 1000);
  await e.reset(slot);
  return ms;
}

/** A condition: untimed set-up, then the timed prompt; returns ms. */
type Cond = { name: string; run: (r: number) => Promise<number> };

async function decodeRun(e: Engine, slot: number, prompt: number, steps: number, r: number): Promise<void> {
  await e.step([{ slot, tokens: promptFor(500 + r, prompt, 32000), sample: true }]);
  for (let i = 0; i < steps; i++) await e.step([{ slot, tokens: [300 + i], sample: true }]);
  await e.reset(slot);
}

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

const closers: (() => Promise<void>)[] = [];
async function conditions(): Promise<{ conds: Cond[]; engines: Engine[] }> {
  const s = await serveEngine();
  await warmUpEngine(s, 32000, serveWarmupShapes(s), 1, 0);
  const ids = (r: number, n = N): number[] => promptFor(r + 1, n, 32000);
  switch (exp) {
    case 'sizes': {
      // Prompt length alone: grid points (multiples of 32) against lengths between them.
      const sizes = [128, 131, 137, 143, 150, 160, 167, 176, 183, 192, 199, 205, 224, 240, 256];
      return { engines: [s], conds: sizes.map((n) => ({ name: `n=${n}`, run: (r) => timePrompt(s, 0, ids(r, n)) })) };
    }
    case 'ids':
      return {
        engines: [s],
        conds: [
          { name: 'promptFor(r+1) (profiler ids)', run: (r) => timePrompt(s, 0, ids(r)) },
          { name: 'promptFor(40+r)', run: (r) => timePrompt(s, 0, promptFor(40 + r, N, 32000)) },
          { name: 'uniform random ids', run: () => timePrompt(s, 0, randomIds(N)) },
          { name: 'one repeated id', run: () => timePrompt(s, 0, new Array<number>(N).fill(1000)) },
        ],
      };
    case 'before':
      return {
        engines: [s],
        conds: [
          { name: 'after a prompt (profiler)', run: async (r) => (await timePrompt(s, 0, ids(r + 100)), timePrompt(s, 0, ids(r))) },
          { name: 'after 40 b1 decodes in slot 0, reset', run: async (r) => (await decodeRun(s, 0, 100, 40, r), timePrompt(s, 0, ids(r))) },
          { name: 'after 40 b1 decodes in slot 1', run: async (r) => (await decodeRun(s, 1, 100, 40, r), timePrompt(s, 0, ids(r))) },
          { name: 'after 40 b1 decodes, then 100 ms idle', run: async (r) => (await decodeRun(s, 0, 100, 40, r), await sleep(100), timePrompt(s, 0, ids(r))) },
          { name: 'after 300 ms idle', run: async (r) => (await sleep(300), timePrompt(s, 0, ids(r))) },
        ],
      };
    case 'idle': {
      // What an idle gap before the prompt does: sleeping (the core may halt) against spinning the event loop (the core stays busy).
      const spin = (ms: number): void => {
        const t = performance.now();
        while (performance.now() - t < ms);
      };
      return {
        engines: [s],
        conds: [
          { name: 'right after a prompt', run: async (r) => (await timePrompt(s, 0, ids(r + 100)), timePrompt(s, 0, ids(r))) },
          { name: 'sleep 2 ms', run: async (r) => (await sleep(2), timePrompt(s, 0, ids(r))) },
          { name: 'sleep 20 ms', run: async (r) => (await sleep(20), timePrompt(s, 0, ids(r))) },
          { name: 'sleep 300 ms', run: async (r) => (await sleep(300), timePrompt(s, 0, ids(r))) },
          { name: 'spin 300 ms (main thread busy)', run: async (r) => (spin(300), timePrompt(s, 0, ids(r))) },
          {
            name: 'spin 300 ms on both vCPUs',
            run: async (r) => {
              const w = new Worker('const t = Date.now(); while (Date.now() - t < 300);', { eval: true });
              spin(300);
              await new Promise((res) => w.once('exit', res));
              return timePrompt(s, 0, ids(r));
            },
          },
          { name: 'sleep 1000 ms', run: async (r) => (await sleep(1000), timePrompt(s, 0, ids(r))) },
        ],
      };
    }
    case 'loop': {
      // The served path without HTTP: a job through the step loop (its prompt pass taken from the step record) against the profiler's bare step.
      let rec: StepRecord | undefined;
      const b = new StepLoopBackend(s, 32000, (e) => { throw e; }, (x) => void (rec ??= x));
      let id = 0;
      const served = (out: number) => async (): Promise<number> => {
        rec = undefined;
        await new Promise<void>((res, rej) => b.submit({ id: id++, promptTokens: N, outputTokens: out }, { onTokens: () => {}, onFinish: (e) => (e ? rej(new Error(e)) : res()) }));
        await b.idle();
        const p = rec!.passes[0]!;
        lastCpu.push(p.cpuMs!);
        return p.ms;
      };
      return {
        engines: [s],
        conds: [
          { name: 'bare step (profiler)', run: (r) => timePrompt(s, 0, ids(r)) },
          { name: 'step loop, 1 output token', run: served(1) },
          { name: 'step loop, 40 output tokens', run: served(40) },
        ],
      };
    }
    case 'process': {
      // The served process (llamacpp-serve in a child, as the bench starts it, one request at a time over HTTP; its pass from the step log) against a bare step here, interleaved in time.
      const log = join(tmpdir(), `prompt-ab-steps-${process.pid}.jsonl`);
      rmSync(log, { force: true });
      const srv = await spawnCli(['llamacpp-serve', '--test-model', 'llama-test-6l-512', '--threads', '1', '--port', '0', '--quiet', '--step-log', log, '--max-num-seqs', '8', '--max-num-batched-tokens', '512', '--max-model-len', '1024'], 180_000, fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)));
      closers.push(() => srv.close());
      const http = (stream: boolean, maxTokens = 1) => async (r: number): Promise<number> => {
        const lines = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l.trim() !== '') : []);
        const before = lines().length;
        const res = await fetch(`${srv.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'llama-test-6l-512', prompt: ids(r), max_tokens: maxTokens, ignore_eos: true, stream }) });
        await res.text();
        await sleep(50);
        // The request's first iteration is its prompt pass.
        const first = JSON.parse(lines()[before]!) as StepRecord;
        lastCpu.push(first.passes[0]!.cpuMs!);
        return first.passes[0]!.ms;
      };
      return {
        engines: [s],
        conds: [
          { name: 'bare step, this process', run: async (r) => (await sleep(100), timePrompt(s, 0, ids(r))) },
          { name: 'llamacpp-serve child, HTTP, streamed', run: async (r) => (await sleep(100), http(true)(r)) },
          { name: 'llamacpp-serve child, HTTP, not streamed', run: async (r) => (await sleep(100), http(false)(r)) },
          { name: 'llamacpp-serve child, streamed, 40 tokens', run: async (r) => (await sleep(100), http(true, 40)(r)) },
        ],
      };
    }
    case 'engine': {
      const p = await profEngine();
      await warmUpEngine(p, 32000, serveWarmupShapes(p), 1, 8);
      return {
        engines: [s, p],
        conds: [
          { name: 'profiler engine (9 seqs), slot 8', run: (r) => timePrompt(p, 8, ids(r)) },
          { name: 'profiler engine, slot 0', run: (r) => timePrompt(p, 0, ids(r)) },
          { name: 'server engine (8 seqs), slot 0', run: (r) => timePrompt(s, 0, ids(r)) },
          { name: 'server engine, slot 7', run: (r) => timePrompt(s, 7, ids(r)) },
        ],
      };
    }
    default:
      throw new Error(`unknown experiment ${exp}`);
  }
}

const q = (xs: number[], f: number): number => [...xs].sort((x, y) => x - y)[Math.floor(f * (xs.length - 1))]!;

const { conds, engines } = await conditions();
const ms = conds.map(() => [] as number[]);
const cpu = conds.map(() => [] as number[]);
try {
  for (let r = 0; r < rounds; r++) {
    const order = conds.map((_, i) => i).sort(() => rand() - 0.5);
    for (const i of order) {
      ms[i]!.push(await conds[i]!.run(r));
      cpu[i]!.push(lastCpu[lastCpu.length - 1]!);
    }
  }
} catch (e) {
  // A failed round must not leave the child server running.
  for (const c of closers) await c();
  throw e;
}
const base = ms[0]!;
process.stdout.write(`experiment ${exp}, n=${N}, ${rounds} rounds\n`);
for (const [i, c] of conds.entries()) {
  const ratios = ms[i]!.map((x, r) => x / base[r]!);
  const cr = cpu[i]!.map((x, r) => x / cpu[0]![r]!);
  process.stdout.write(`${c.name.padEnd(44)} wall median ${median(ms[i]!).toFixed(2)} ms, ratio ${median(ratios).toFixed(3)} [${q(ratios, 0.25).toFixed(3)}, ${q(ratios, 0.75).toFixed(3)}]; CPU median ${median(cpu[i]!).toFixed(2)} ms, ratio ${median(cr).toFixed(3)} [${q(cr, 0.25).toFixed(3)}, ${q(cr, 0.75).toFixed(3)}]\n`);
}
for (const e of engines) await e.close();
for (const c of closers) await c();
