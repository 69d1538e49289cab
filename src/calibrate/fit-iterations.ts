/**
 * Fitting a device profile to whole engine iterations, for an engine that cannot be timed kernel by
 * kernel (llama.cpp through node-llama-cpp: adapters/llamacpp/profile.ts measures a full forward
 * pass of a prefill of n tokens, or of a decode step of b sequences at KV length c).
 *
 * The prediction is RooflinePerfModel.iterationMs of the measured model and batch, the function the
 * simulator prices iterations with, so the fitted model is the model used. Parameters (each mapped
 * so it stays physical: efficiencies through a logistic, times through exp):
 *   gemm compute curve (max, halfAt; exponent 1) and memory efficiency (weight streaming),
 *   one fixed cost per operator (launchUs of every op: on a CPU, ggml's per-node thread barrier),
 *   prefill attention compute (max, halfAt), decode attention memory efficiency,
 *   per-iteration overhead (baseMs + perSeqMs x sequences: graph build, sampling, the JS side).
 * Elementwise kernels share the GEMMs' memory efficiency (on a CPU both stream through the same
 * caches, and whole iterations cannot separate them). All-reduce is not measured (one device).
 * Then, on what those leave, the decode batch-shape table (perf.decodeBatchMs, fit-decode-batch.ts).
 */
import { UserError } from '../errors.js';
import type { LlmArchitecture } from '../model/architecture.js';
import type { GpuPerfParams, GpuProfile } from '../model/gpu.js';
import { RooflinePerfModel, type BatchEntry } from '../perf/perf-model.js';
import { logistic, logit, minimize, softL1 } from './optimize.js';
import type { EngineIterationSample } from './samples.js';
import { shapeToArch } from './iterations.js';
import { errorStats, type ErrorStats } from './stats.js';
import { calibrateMessages } from '../messages/calibrate.js';
import { fitDecodeBatchMs, withoutDecodeBatch } from './fit-decode-batch.js';

export function iterationArch(s: EngineIterationSample): LlmArchitecture {
  // The table-shape architecture, with the profiled model's own depth, tied embeddings and dtype.
  return { ...shapeToArch(s.model), source: 'pdsim profile (whole iterations)', numLayers: s.model.layers, tiedEmbeddings: true, dtype: 'float16' };
}

export function iterationBatch(s: EngineIterationSample): BatchEntry[] {
  if (s.phase === 'prefill') return [{ newTokens: s.newTokens, contextTokens: 0 }];
  return Array.from({ length: s.batch }, () => ({ newTokens: 1, contextTokens: s.kvLen - 1 }));
}

export function predictEngineIterationMs(gpu: GpuProfile, perf: GpuPerfParams, s: EngineIterationSample): number {
  // The engine's own per-step cost is one of the fitted parameters: the model must price it.
  const overhead = { baseMs: perf.cpuOverhead.baseMs, perSeqMs: perf.cpuOverhead.perSeqMs, tpMs: 0 };
  return new RooflinePerfModel(iterationArch(s), { ...gpu, perf }, { tp: 1, overhead }).iterationMs(iterationBatch(s));
}

type Fitted = Pick<GpuPerfParams, 'gemm' | 'attentionPrefill' | 'attentionDecode' | 'elementwise' | 'cpuOverhead' | 'decodeBatchMs'>;

function decode(x: readonly number[]): Fitted {
  const launchUs = Math.exp(x[3]!);
  const memoryEfficiency = logistic(x[2]!);
  return {
    gemm: { compute: { max: logistic(x[0]!), halfAt: Math.exp(x[1]!), exponent: 1 }, memoryEfficiency, launchUs },
    attentionPrefill: { compute: { max: logistic(x[4]!), halfAt: Math.exp(x[5]!), exponent: 1 }, memoryEfficiency, launchUs },
    attentionDecode: { memoryEfficiency: logistic(x[6]!), launchUs },
    elementwise: { memoryEfficiency, launchUs },
    cpuOverhead: { baseMs: Math.exp(x[7]!), perSeqMs: Math.exp(x[8]!) },
  };
}

const X0 = [logit(0.5), Math.log(32), logit(0.5), Math.log(20), logit(0.3), Math.log(256), logit(0.5), Math.log(1), Math.log(0.1)];

/** Enough shapes to pin 9 parameters: 4 prefill sizes, and 3 batch sizes at 2 or more KV lengths. */
function requireShapes(samples: readonly EngineIterationSample[]): void {
  const pre = new Set(samples.filter((s) => s.phase === 'prefill').map((s) => s.newTokens)).size;
  const dec = samples.filter((s) => s.phase === 'decode');
  const batches = new Set(dec.map((s) => s.batch)).size;
  const kvs = new Set(dec.map((s) => s.kvLen)).size;
  if (pre < 4 || batches < 3 || kvs < 2) {
    throw new UserError(
      calibrateMessages.tooFewIterationShapes(pre, batches, kvs),
    );
  }
}

/**
 * The nine parameters, then (unless `batchTerm: false`) the decode batch-shape table on what they
 * leave (fit-decode-batch.ts); a previous profile's table is never part of the base fit's price.
 */
export function fitEngineIterations(samples: readonly EngineIterationSample[], gpu: GpuProfile, opts: { check?: boolean; batchTerm?: boolean } = {}): Fitted {
  if (opts.check !== false) requireShapes(samples);
  const prev = withoutDecodeBatch(gpu.perf);
  const loss = (x: number[]): number => {
    const perf = { ...prev, ...decode(x) };
    return softL1(samples.map((s) => Math.log(predictEngineIterationMs(gpu, perf, s) / s.ms)));
  };
  const fitted = decode(minimize(loss, X0, 3, 2500).x);
  if (opts.batchTerm === false) return fitted;
  const table = fitDecodeBatchMs(samples, { ...prev, ...fitted }, (perf, s) => predictEngineIterationMs(gpu, perf, s));
  return table ? { ...fitted, decodeBatchMs: table } : fitted;
}

export interface IterationErrors {
  group: string;
  inSample: ErrorStats;
  /** Two folds (alternate shapes in size order), each predicted by a fit on the other. */
  heldOut: ErrorStats;
  /**
   * Decode only, with a batch term: per batch size, summed rows / summed held-out prediction, with
   * the term and without it (the same folds' base fits): the per-batch bias the term removes.
   */
  byBatch?: { batch: number; rowOverHeldOut: number; withoutTerm: number }[];
}

/** In-sample and 2-fold held-out error of the whole-iteration fit, per phase. */
export function engineIterationErrors(samples: readonly EngineIterationSample[], gpu: GpuProfile, perf: GpuPerfParams): IterationErrors[] {
  const order = [...samples].sort((a, b) => (a.phase === b.phase ? a.batch - b.batch || a.kvLen - b.kvLen || a.newTokens - b.newTokens : a.phase < b.phase ? -1 : 1));
  const folds = [order.filter((_, i) => i % 2 === 0), order.filter((_, i) => i % 2 === 1)];
  // Each fold's prediction with its fit's batch term and without it (the same base fit): what the term adds, held out.
  const held: [EngineIterationSample, number, number][] = [];
  const prev = withoutDecodeBatch(gpu.perf);
  folds.forEach((test, k) => {
    const f = { ...prev, ...fitEngineIterations(folds[1 - k]!, gpu, { check: false }) };
    for (const s of test) held.push([s, predictEngineIterationMs(gpu, f, s), predictEngineIterationMs(gpu, withoutDecodeBatch(f), s)]);
  });
  const out: IterationErrors[] = [];
  for (const phase of ['prefill', 'decode'] as const) {
    const own = samples.filter((s) => s.phase === phase);
    if (own.length === 0) continue;
    const heldHere = held.filter(([s]) => s.phase === phase);
    const sums = new Map<number, [number, number, number]>();
    for (const [s, p, p0] of heldHere) {
      const a = sums.get(s.batch) ?? sums.set(s.batch, [0, 0, 0]).get(s.batch)!;
      a[0] += s.ms;
      a[1] += p;
      a[2] += p0;
    }
    out.push({
      group: `engine iteration ${phase}`,
      inSample: errorStats(own.map((s) => [predictEngineIterationMs(gpu, perf, s), s.ms])),
      heldOut: errorStats(heldHere.map(([s, p]) => [p, s.ms])),
      ...(phase === 'decode' && perf.decodeBatchMs !== undefined ? { byBatch: [...sums].sort(([x], [y]) => x - y).map(([batch, [m, p, p0]]) => ({ batch, rowOverHeldOut: m / p, withoutTerm: m / p0 })) } : {}),
    });
    if (phase === 'decode' && perf.decodeBatchMs !== undefined) {
      out.push({
        group: 'engine iteration decode without decodeBatchMs',
        inSample: errorStats(own.map((s) => [predictEngineIterationMs(gpu, withoutDecodeBatch(perf), s), s.ms])),
        heldOut: errorStats(held.filter(([s]) => s.phase === phase).map(([s, , p]) => [p, s.ms])),
      });
    }
  }
  return out;
}
