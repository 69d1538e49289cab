/**
 * Held-out validation: leave one model shape out. For each model in the per-layer tables, fit on
 * the other models (their linear and elementwise ops, and the attention rows of every head
 * geometry the held-out model does not use), then predict the held-out model's operators and whole
 * iterations. This tests the fit on matrix shapes and head geometries it never saw, which is
 * harder than holding out token counts inside a seen shape.
 *
 * All-reduce is not model-specific: it is validated on a seeded random 30% of its points. CPU
 * overhead is validated leaving one model of its table out at a time.
 */
import seedrandom from 'seedrandom';
import type { GpuPerfParams, GpuProfile } from '../model/gpu.js';
import { elementwiseMs, gemmTime, hwRatesOf, type ElementwiseOp } from '../perf/op-times.js';
import { ringAllReduceMs } from '../perf/perf-model.js';
import { decodeSampleMs, fitAllReduce, fitCpuOverhead, prefillSampleMs } from './fit.js';
import { elementwiseSamples, fitPerf, gemmSamplesOf } from './fit-profile.js';
import { attentionGeometry, composeIterations, predictIterationMs, shapeGeometry } from './iterations.js';
import { layerGemms, type SampleSet } from './samples.js';
import { errorStats, type ErrorStats } from './stats.js';

export interface HeldOutRow extends ErrorStats {
  gpu: string;
  /** Operator group or "iteration prefill" / "iteration decode". */
  group: string;
  /** "all" or e.g. "tp4" or a model name. */
  slice: string;
}

export interface WorstPoint {
  phase: string;
  model: string;
  tp: number;
  tokens: number;
  kvLen?: number;
  measuredMs: number;
  predictedMs: number;
}

export interface CrossValidation {
  gpu: string;
  folds: string[];
  rows: HeldOutRow[];
  /** The held-out iterations with the largest errors, per phase: where the model misses. */
  worst: WorstPoint[];
}

type Pair = [number, number];

export const HOLDOUT_SEED = 'pdsim-calibrate-v1';
export const HOLDOUT_FRACTION = 0.3;

/** `fullPerf`: the fit on all of `set`, used for the cross-source GEMM check (refitted when absent). */
export function crossValidate(set: SampleSet, gpu: GpuProfile, crossCheck?: SampleSet, fullPerf?: GpuPerfParams): CrossValidation {
  const hw = hwRatesOf(gpu);
  const models = [...new Set(set.layers.map((l) => l.model.name))].sort();
  const acc = new Map<string, Pair[]>();
  const add = (group: string, slice: string, pairs: Pair[]) => {
    const key = `${group}\u0000${slice}`;
    acc.set(key, [...(acc.get(key) ?? []), ...pairs]);
  };
  // Seeded 70/30 split of the all-reduce points, used by every fold.
  const rng = seedrandom(HOLDOUT_SEED);
  const arTest = set.allReduce.map(() => rng() < HOLDOUT_FRACTION);
  const arTrain = set.allReduce.filter((_, i) => !arTest[i]);
  const points: WorstPoint[] = [];
  for (const held of models) {
    const heldLayers = set.layers.filter((l) => l.model.name === held);
    const heldGeoms = new Set(heldLayers.map((l) => shapeGeometry(l.model, l.tp)));
    // GEMM tables of other sources train every fold, less the held-out model's own (n, k) shapes.
    const heldShapes = new Set(heldLayers.flatMap(layerGemms).map((g) => `${g.n}x${g.k}`));
    const train: SampleSet = {
      ...set,
      layers: set.layers.filter((l) => l.model.name !== held),
      prefill: set.prefill.filter((s) => !heldGeoms.has(attentionGeometry(s))),
      decode: set.decode.filter((s) => !heldGeoms.has(attentionGeometry(s))),
      allReduce: arTrain,
      gemm: set.gemm.filter((g) => !heldShapes.has(`${g.n}x${g.k}`)),
    };
    const test: SampleSet = {
      ...set,
      layers: heldLayers,
      prefill: set.prefill.filter((s) => heldGeoms.has(attentionGeometry(s))),
      decode: set.decode.filter((s) => heldGeoms.has(attentionGeometry(s))),
      gemm: [],
    };
    const perf = fitPerf(train, gpu).perf;
    const prof = { ...gpu, perf };
    add('gemm', held, gemmSamplesOf(test).map((s) => [predictGemm(prof, s.m, s.n, s.k), s.ms]));
    add('elementwise', held, elementwiseSamples(test.layers).map((s) => [elementwiseOf(prof, s), s.ms]));
    add('attention prefill', held, test.prefill.map((s) => [prefillSampleMs(perf.attentionPrefill, hw, s), s.ms]));
    add('attention decode', held, test.decode.map((s) => [decodeSampleMs(perf.attentionDecode, hw, s), s.ms]));
    for (const it of composeIterations(test)) {
      const pair: Pair = [predictIterationMs(prof, it), it.measuredMs];
      points.push({ phase: it.phase, model: held, tp: it.tp, tokens: it.tokens, kvLen: it.kvLen, measuredMs: it.measuredMs, predictedMs: pair[0] });
      add(`iteration ${it.phase}`, 'all', [pair]);
      add(`iteration ${it.phase}`, `tp${it.tp}`, [pair]);
      add(`iteration ${it.phase}`, held, [pair]);
    }
  }
  for (const n of [...new Set(set.allReduce.map((s) => s.gpus))].sort((a, b) => a - b)) {
    const c = fitAllReduce(arTrain, n);
    add('all-reduce', `tp${n}`, set.allReduce.filter((s, i) => arTest[i] && s.gpus === n).map((s) => [ringAllReduceMs(c, n, s.bytes), s.ms]));
  }
  const cpuModels = [...new Set(set.cpu.map((s) => s.model))];
  if (cpuModels.length > 1) {
    for (const m of cpuModels) {
      const c = fitCpuOverhead(set.cpu.filter((s) => s.model !== m));
      add('cpu overhead', 'all', set.cpu.filter((s) => s.model === m).map((s) => [c.baseMs + c.perSeqMs * s.batch, s.ms]));
    }
  }
  // A GEMM table from another harness, never fitted: how far the vidur-fitted curve carries.
  if (crossCheck && crossCheck.gemm.length > 0) {
    const prof = { ...gpu, perf: fullPerf ?? fitPerf(set, gpu).perf };
    const realistic = crossCheck.gemm.filter((s) => s.n >= 1024 && s.k >= 1024);
    add('gemm (other source, not fitted)', 'n,k >= 1024', realistic.map((s) => [predictGemm(prof, s.m, s.n, s.k), s.ms]));
  }
  const rows: HeldOutRow[] = [];
  for (const [key, pairs] of acc) {
    if (pairs.length === 0) continue;
    const [group, slice] = key.split('\u0000') as [string, string];
    rows.push({ gpu: gpu.id, group, slice, ...errorStats(pairs) });
  }
  const ape = (p: WorstPoint) => Math.abs(p.predictedMs / p.measuredMs - 1);
  const worst = ['prefill', 'decode'].flatMap((ph) => points.filter((p) => p.phase === ph).sort((a, b) => ape(b) - ape(a)).slice(0, 6));
  return { gpu: gpu.id, folds: models, rows, worst };
}


function predictGemm(gpu: GpuProfile, m: number, n: number, k: number): number {
  return gemmTime(gpu.perf.gemm, hwRatesOf(gpu), m, n, k, 2).ms;
}

function elementwiseOf(gpu: GpuProfile, s: { op: string; bytes: number; tokens: number }): number {
  return elementwiseMs(gpu.perf.elementwise, hwRatesOf(gpu), s.bytes, s.tokens, s.op as ElementwiseOp);
}
