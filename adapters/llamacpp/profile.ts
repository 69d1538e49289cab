/**
 * `pdsim llamacpp-profile`: profiles llama.cpp on this CPU the way adapters/profiler profiles a GPU,
 * except that a real engine is timed per iteration, not per kernel: prefill of n tokens (one
 * sequence) and decode steps of b sequences at KV length c, each through the same batched
 * Engine.step() the server's step loop uses. Writes a pdsim profile CSV (iter_prefill /
 * iter_decode rows, src/calibrate/parse-pdsim.ts) that `pdsim calibrate --gpu <id> FILE` fits.
 *
 * With --device-out it also writes the device's base profile (models/gpu/<id>.json style) if
 * there is none: peak FP32 FLOP/s from the core count, clock and SIMD width (/proc/cpuinfo), and
 * memory bandwidth measured here by a large buffer copy; calibrate then fits its efficiencies.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { Command } from 'commander';
import { UserError } from '../../src/errors.js';
import { PDSIM_ITERATION_COLUMNS, PDSIM_PROFILE_COLUMNS } from '../../src/calibrate/parse-pdsim.js';
import { loadEngine, type Engine } from './engine-api.js';
import { promptFor } from './step-loop.js';
import { fill, warmUpEngine } from './warm-up.js';
import { resolveModel } from './model-file.js';
import { TEST_MODELS, type TestModelSpec } from './test-models.js';
import { llamacppMessages } from '../../src/messages/llamacpp.js';

export interface ProfilePlan {
  prefillTokens: number[];
  decodeBatches: number[];
  decodeKvLens: number[];
  repeats: number;
  /** Untimed rounds of every shape before the timed ones (WARMUP_ROUNDS; 0 reproduces the profiler of runs 7-18). */
  warmupRounds?: number;
}

// Shapes a served step of the benchmark's workload runs (prompts up to 512 tokens, up to 8 sequences, KV up to 1,024), with enough of each for a two-fold held-out check.
// Every batch size 1-8: calibrate fits a per-batch-size term (perf.decodeBatchMs) that is not a smooth function of b (src/perf/decode-batch.ts).
export const FULL_PLAN: ProfilePlan = { prefillTokens: [8, 16, 32, 64, 96, 128, 192, 256, 384, 512], decodeBatches: [1, 2, 3, 4, 5, 6, 7, 8], decodeKvLens: [32, 128, 256, 384, 640, 1000], repeats: 9 };
export const QUICK_PLAN: ProfilePlan = { prefillTokens: [16, 32, 64, 128, 256], decodeBatches: [1, 2, 4, 8], decodeKvLens: [64, 256], repeats: 3 };

export interface ProfileRow {
  op: 'iter_prefill' | 'iter_decode';
  batch: number;
  seqLen?: number;
  kvLen?: number;
  ms: number;
}

/**
 * The expected time of a shape: the mean over rounds without the single fastest and slowest one.
 * The simulator prices each iteration with one figure, and a served run's mean ITL is the mean of
 * those figures; under right-skewed noise (other processes' load) a median underestimates that
 * mean (served decode passes ran 1.23x the median-based price in mean, 1.13x in median:
 * docs/accuracy.md, live section); dropping the extremes keeps one stall from setting the figure.
 */
export const expectedMs = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const kept = s.length > 2 ? s.slice(1, -1) : s;
  return kept.reduce((a, x) => a + x, 0) / kept.length;
};

/** Wall and CPU time of the timed steps: how much of its wall time the engine had a core (the rest, other processes had it). */
export interface ProfileTiming {
  wallMs: number;
  cpuMs: number;
}

/** Times `f`, adding its wall and process CPU time (every thread: llama.cpp's and the event loop's) to `acc`. */
async function timed(f: () => Promise<unknown>, acc?: ProfileTiming): Promise<number> {
  const c = process.cpuUsage();
  const t = performance.now();
  await f();
  const ms = performance.now() - t;
  if (acc) {
    const d = process.cpuUsage(c);
    acc.wallMs += ms;
    acc.cpuMs += (d.user + d.system) / 1000;
  }
  return ms;
}

/**
 * The KV lengths are visited in sweeps (ascending, descending, ascending, ...: DECODE_SWEEPS of
 * them), each timing a share of the rounds; a slot is extended or truncated to the next length,
 * never refilled. With one sweep, every round of a KV length ran inside one window of a minute or so,
 * and a burst of other load in that window raised all its shapes together (run 7 in
 * docs/accuracy-live.md: every shape at KV 256 8-16 % above the fit, which bent the fit at KV 32 by
 * up to +15 %); spread over three windows, a burst touches a third of a shape's rounds.
 */
export const DECODE_SWEEPS = 3;

/**
 * Untimed rounds of every shape (each prompt size, each batch size at each KV length) before the
 * timed ones (warm-up.ts says why). With one round, a first profile's timed steps cost 4-5 % more
 * CPU time than the later ones' in the same process, against 12-15 % without (one measurement each,
 * load 10-14); two rounds measured 11 % at load 18-20, where CPU time itself is noisy, so one it is.
 */
export const WARMUP_ROUNDS = 1;


/** The order of the KV-length indices in each sweep: up, down, up, ... */
export function decodeSweeps(kvCount: number, repeats: number): number[][] {
  const up = Array.from({ length: kvCount }, (_, i) => i);
  return Array.from({ length: Math.min(DECODE_SWEEPS, repeats) }, (_, w) => (w % 2 === 0 ? up : [...up].reverse()));
}

/** Rounds timed per KV length in sweep `w`: the repeats shared out, earlier sweeps taking the remainder. */
export function roundsInSweep(repeats: number, w: number): number {
  const sweeps = Math.min(DECODE_SWEEPS, repeats);
  return Math.floor(repeats / sweeps) + (w < repeats % sweeps ? 1 : 0);
}

/**
 * Repeats are interleaved: each round times every shape once (prefill sizes; the batch sizes at a
 * KV length), so a burst of load from other processes falls on all shapes alike instead of
 * inflating the few measured during it; the row is expectedMs over rounds. The prompt rounds are
 * spread between the decode sweeps' KV visits, for the same reason (run 11 in
 * docs/accuracy-live.md: every prompt round had run in the profile's first seconds, during a burst,
 * and the served prompt passes ran 0.77-0.82x their price).
 *
 * A decode step is timed right after an identical one (same sequences, same KV lengths). A served
 * decode step mostly follows one of its own shape (a request decodes for tens of steps at one
 * batch size), and llama.cpp runs such a step faster than one whose shape differs from the last
 * (it can keep the previous compute graph, and the same buffers are warm): measured here, 1 thread,
 * KV 128, 40 pairs each, while other sessions built: b1 after b1 14.3 ms median / 14.9 mean, after
 * b8 14.9 / 16.1; b8 after b8 39.0 / 38.6, after b1 39.5 / 40.2. Alternating shapes, as the profile
 * did before, priced every served decode at the cold cost (served b1 passes ran 0.85-0.90x it).
 */
export async function profileEngine(e: Engine, vocab: number, plan: ProfilePlan, log: (s: string) => void = () => {}, timing?: ProfileTiming): Promise<ProfileRow[]> {
  const rows: ProfileRow[] = [];
  // Prompts run in the last slot; decode steps use the ones before it, which keep their KV meanwhile.
  const prefillSlot = e.slots - 1;
  // A warm-up iteration: the first llama_decode allocates its compute buffers.
  await e.step([{ slot: prefillSlot, tokens: promptFor(0, 8, vocab), sample: true }]);
  await e.reset(prefillSlot);
  const sizes = plan.prefillTokens.filter((n) => n <= e.batchTokens && n <= e.contextTokens);
  const prefillMs = sizes.map(() => [] as number[]);
  let prefillRounds = 0;
  // Back to back: whether an idle core slows the next prompt was measured on a quiet machine and it does not (`prompt-ab.ts idle`, docs/accuracy-live.md run 25).
  const prefillRound = async (): Promise<void> => {
    const r = prefillRounds++;
    // A shared prompt slot holds the last KV visit's tokens: emptied (untimed), the next visit's hold() refills it.
    if (sharedPromptSlot && held[prefillSlot]! > 0) {
      await e.reset(prefillSlot);
      held[prefillSlot] = 0;
    }
    for (const [i, n] of sizes.entries()) {
      prefillMs[i]!.push(await timed(() => e.step([{ slot: prefillSlot, tokens: promptFor(r + 1, n, vocab), sample: true }]), timing));
      await e.reset(prefillSlot);
    }
  };
  // Batches up to every slot: a serving engine (serve-profile.ts) has no spare one, so its prompts share the last decode slot,
  // which the next KV visit refills (untimed). The profiler's own engine has one slot more than its largest batch: nothing shared.
  const batches = plan.decodeBatches.filter((b) => b <= e.slots);
  const maxB = Math.max(0, ...batches);
  const sharedPromptSlot = prefillSlot < maxB;
  const kvs = batches.length === 0 ? [] : plan.decodeKvLens.filter((kv) => kv + 1 <= e.contextTokens);
  const ms = kvs.map(() => batches.map(() => [] as number[]));
  // Every slot holds kv - 1 tokens; a timed step of the first b appends one token each, then is undone.
  const held = new Array<number>(maxB).fill(0);
  const hold = async (kv: number): Promise<void> => {
    for (let s = 0; s < maxB; s++) {
      if (held[s]! > kv - 1) await e.truncate(s, kv - 1);
      else if (held[s]! < kv - 1) await fill(e, s, promptFor(s + 1, kv - 1, vocab).slice(held[s]!));
      held[s] = kv - 1;
    }
  };
  // Round r of the decode shapes at KV index i: each batch size stepped twice, the second timed.
  const decodeRound = async (i: number, r: number): Promise<void> => {
    for (const [j, b] of batches.entries()) {
      const items = Array.from({ length: b }, (_, s) => ({ slot: s, tokens: [300 + r], sample: true }));
      // The same step twice, the second timed (see the function comment).
      for (let k = 0; k < 2; k++) {
        if (k === 1) ms[i]![j]!.push(await timed(() => e.step(items), timing));
        else await e.step(items);
        for (let s = 0; s < b; s++) await e.truncate(s, kvs[i]! - 1);
      }
    }
  };
  // Warm-up (see WARMUP_ROUNDS): every shape of the plan run untimed, KV lengths ascending.
  await warmUpEngine(e, vocab, { prefillTokens: sizes, decodeBatches: batches, decodeKvLens: kvs }, plan.warmupRounds ?? WARMUP_ROUNDS, prefillSlot);
  const sweeps = decodeSweeps(kvs.length, plan.repeats);
  const visits = sweeps.length * kvs.length;
  let visit = 0;
  for (const [w, order] of sweeps.entries()) {
    for (const i of order) {
      // The prompt rounds are spread over the whole profile too: round r before visit floor(r x visits / repeats).
      while (prefillRounds < plan.repeats && Math.floor((prefillRounds * visits) / plan.repeats) <= visit) await prefillRound();
      visit++;
      await hold(kvs[i]!);
      for (let r = 0; r < roundsInSweep(plan.repeats, w); r++) await decodeRound(i, r);
    }
  }
  while (prefillRounds < plan.repeats) await prefillRound();
  sizes.forEach((n, i) => {
    rows.push({ op: 'iter_prefill', batch: 1, seqLen: n, ms: expectedMs(prefillMs[i]!) });
    log(`prefill ${n} tokens: ${expectedMs(prefillMs[i]!).toFixed(1)} ms`);
  });
  for (const [i, kv] of kvs.entries()) {
    batches.forEach((b, j) => {
      rows.push({ op: 'iter_decode', batch: b, kvLen: kv, ms: expectedMs(ms[i]![j]!) });
      log(`decode batch ${b} at KV ${kv}: ${expectedMs(ms[i]![j]!).toFixed(1)} ms`);
    });
  }
  for (let s = 0; s < maxB; s++) await e.reset(s);
  return rows;
}

export function profileCsv(rows: readonly ProfileRow[], m: TestModelSpec): string {
  const header = [...PDSIM_PROFILE_COLUMNS, ...PDSIM_ITERATION_COLUMNS];
  const lines = [header.join(',')];
  for (const r of rows) {
    const cell: Record<string, string | number> = {
      op: r.op,
      dtype: 'float16',
      batch_size: r.batch,
      seq_len: r.seqLen ?? '',
      kv_len: r.kvLen ?? '',
      num_heads: m.heads,
      num_kv_heads: m.kvHeads,
      head_dim: m.hidden / m.heads,
      latency_ms: Number(r.ms.toPrecision(5)),
      model: m.id,
      num_layers: m.layers,
      hidden_size: m.hidden,
      intermediate_size: m.intermediate,
      vocab_size: m.vocab,
    };
    lines.push(header.map((h) => cell[h] ?? '').join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Single-thread copy bandwidth, GB/s: the best of a few 64 MiB Buffer copies (read + write counted). */
export function measureCopyGBps(): number {
  const a = Buffer.alloc(64 << 20, 1);
  const b = Buffer.alloc(64 << 20);
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    a.copy(b);
    best = Math.min(best, performance.now() - t);
  }
  return (2 * a.length) / (best * 1e6);
}

/** Peak FP32 FLOP/s of `threads` cores: clock x SIMD lanes x 2 (FMA) x 2 FMA ports; llama.cpp's F16 matmuls compute in FP32. */
export function cpuPeak(threads: number): { tflops: number; source: string } {
  const info = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(info)?.[1] ?? 2000);
  const flags = /flags\s*:\s*(.*)/.exec(info)?.[1] ?? '';
  const lanes = /\bavx512f\b/.test(flags) ? 16 : /\bavx2\b/.test(flags) ? 8 : 4;
  const model = /model name\s*:\s*(.*)/.exec(info)?.[1]?.trim() ?? 'unknown CPU';
  const tflops = (threads * mhz * 1e6 * lanes * 2 * 2) / 1e12;
  return { tflops, source: `fp16Tflops = ${threads} thread(s) x ${mhz} MHz x ${lanes} FP32 lanes x 2 (FMA) x 2 FMA ports (/proc/cpuinfo: ${model}); llama.cpp's F16 matmuls on CPU compute in FP32` };
}

export function baseDeviceProfile(id: string, threads: number, copyGBps: number): Record<string, unknown> {
  const peak = cpuPeak(threads);
  const bw = copyGBps * threads;
  return {
    id,
    name: `llama.cpp on this CPU, ${threads} thread(s)`,
    memGiB: Math.floor(totalmem() / 2 ** 30),
    hbmBandwidthGBps: Number(bw.toPrecision(3)),
    fp16Tflops: Number(peak.tflops.toPrecision(3)),
    fp8Tflops: null,
    computeCapability: '0.0',
    hostLink: 'pcie-gen4-x16',
    nvlink: null,
    tdpW: 10 * threads,
    flashAttention: false,
    bf16: false,
    calibrated: false,
    expectedError: 'unknown until `pdsim calibrate` fits it to this device\'s profile CSV',
    sources: [
      `written by pdsim llamacpp-profile on ${new Date().toISOString().slice(0, 10)}`,
      peak.source,
      `hbmBandwidthGBps = ${threads} x ${copyGBps.toFixed(1)} GB/s, the single-thread copy bandwidth measured by a 64 MiB Buffer.copy (read + write)`,
      'computeCapability 0.0 and hostLink: not a GPU (no host link: nothing is offloaded in its scenarios); tdpW 10 per thread is assumed, not measured, and unused by timing',
    ],
    perf: {
      gemm: { compute: { max: 0.5, halfAt: 32, exponent: 1 }, memoryEfficiency: 0.5, launchUs: 20 },
      attentionPrefill: { compute: { max: 0.3, halfAt: 256, exponent: 1 }, memoryEfficiency: 0.5, launchUs: 20 },
      attentionDecode: { memoryEfficiency: 0.5, launchUs: 20 },
      elementwise: { memoryEfficiency: 0.5, launchUs: 20 },
      allReduce: { latencyUs: 0, busBandwidthGBps: 1 },
      cpuOverhead: { baseMs: 1, perSeqMs: 0.1 },
      // llamacpp-serve runs a step as passes llama.cpp executes as one ubatch each (step-loop.ts).
      forwardPasses: 'one-token-then-chunks',
    },
  };
}

interface ProfileCli {
  testModel: string;
  modelDir?: string;
  threads: number;
  out: string;
  deviceOut?: string;
  deviceId?: string;
  quick?: boolean;
  /** Untimed rounds before the timed ones (default WARMUP_ROUNDS; the bench's --warmup-rounds 0 is the profiler of runs 7-18). */
  warmupRounds?: number;
}

/** The base device profile's file text for this machine (copy bandwidth measured now), as `llamacpp-profile` writes it beside its CSV. */
export function baseDeviceProfileJson(id: string, threads: number): string {
  return `${JSON.stringify(baseDeviceProfile(id, threads, measureCopyGBps()), null, 2)}\n`;
}

export async function runProfile(o: ProfileCli, log: (s: string) => void): Promise<{ rows: ProfileRow[]; timing: ProfileTiming }> {
  const spec = TEST_MODELS[o.testModel];
  if (!spec) throw new UserError(llamacppMessages.unknownTestModel(o.testModel, Object.keys(TEST_MODELS).join(', ')));
  const plan = {
    ...(o.quick ? QUICK_PLAN : FULL_PLAN),
    ...(o.warmupRounds !== undefined ? { warmupRounds: o.warmupRounds } : {}),
  };
  const m = resolveModel({ testModel: o.testModel, modelDir: o.modelDir });
  const maxKv = Math.max(...plan.decodeKvLens) + plan.repeats + 8;
  const engine = await loadEngine({
    modelPath: m.path,
    threads: o.threads,
    // One sequence more than the largest decode batch: prompts are timed in it between decode rounds.
    sequences: Math.max(...plan.decodeBatches) + 1,
    contextTokens: Math.max(maxKv, Math.max(...plan.prefillTokens)),
    batchTokens: Math.max(...plan.prefillTokens),
  });
  try {
    const timing: ProfileTiming = { wallMs: 0, cpuMs: 0 };
    const t0 = performance.now();
    const rows = await profileEngine(engine, spec.vocab, plan, log, timing);
    writeFileSync(o.out, profileCsv(rows, spec));
    log(`wrote ${o.out} (${rows.length} rows; ${((performance.now() - t0) / 1000).toFixed(0)} s with ${plan.warmupRounds ?? WARMUP_ROUNDS} warm-up round(s); CPU / wall during the timed steps ${(timing.cpuMs / timing.wallMs).toFixed(3)})`);
    if (o.deviceOut && !existsSync(o.deviceOut)) {
      const id = o.deviceId ?? `llamacpp-cpu-${o.threads}t`;
      writeFileSync(o.deviceOut, baseDeviceProfileJson(id, o.threads));
      log(`wrote ${o.deviceOut} (base profile; fit it with: pdsim calibrate --gpu ${id} ${o.out} --write)`);
    }
    return { rows, timing };
  } finally {
    await engine.close();
  }
}

const int = (flag: string, min = 1) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(llamacppMessages.integerBelowMin(flag, min, v));
  return n;
};

export function llamaProfileCommand(): Command {
  return new Command('llamacpp-profile')
    .description('Time llama.cpp iterations on this CPU (prefill vs tokens, decode vs batch and KV length) into a CSV that pdsim calibrate fits')
    .requiredOption('--test-model <id>', `test model to write and profile: ${Object.keys(TEST_MODELS).join(', ')}`)
    .option('--model-dir <dir>', 'where the GGUF test model is written')
    .option('--threads <n>', 'llama.cpp compute threads', int('--threads'), 1)
    .requiredOption('--out <file>', 'profile CSV to write')
    .option('--device-out <file>', 'also write a base device profile here if none exists (e.g. models/gpu/llamacpp-cpu-1t.json)')
    .option('--device-id <id>', 'id of that profile (default llamacpp-cpu-<threads>t)')
    .option('--quick', 'fewer shapes and repeats (CI)')
    .action(async (o: ProfileCli) => {
      await runProfile(o, (s) => process.stderr.write(`${s}\n`));
    });
}
