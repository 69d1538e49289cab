/**
 * Fits the perf model's per-operator parameters to measured samples. Each fit minimises a robust
 * loss on log(predicted / measured), so a 10% miss on a 10 us kernel weighs as much as on a 10 ms
 * one, and the prediction is computed by the very functions the perf model uses (src/perf/op-times).
 *
 * Physical sense is built into the parameterisation: efficiencies go through a logistic (0, 1),
 * latencies, half-points and exponents through exp (> 0), so every saturating curve is monotone
 * increasing and bounded by its max. A group with too few points is refused, not extrapolated.
 */
import { UserError } from '../errors.js';
import type { CollectiveModel, EfficiencyCurve, GpuPerfParams } from '../model/gpu.js';
import { decodeAttentionTime, elementwiseMs, gemmTime, prefillAttentionTime, type ElementwiseOp, type HwRates } from '../perf/op-times.js';
import { ringAllReduceMs } from '../perf/perf-model.js';
import { logistic, logit, minimize, softL1 } from './optimize.js';
import type { AllReduceSample, CopySample, CpuOverheadSample, DecodeAttentionSample, GemmSample, PrefillAttentionSample } from './samples.js';
import { calibrateMessages } from '../messages/calibrate.js';

/** Minimum points for a fit of `params` parameters: 4 per parameter and at least 3 distinct sizes per parameter. */
export function requireEnough(group: string, points: number, distinctSizes: number, params: number): void {
  const needPoints = Math.max(8, 4 * params);
  const needSizes = params + 1;
  if (points < needPoints || distinctSizes < needSizes) {
    throw new UserError(
      calibrateMessages.tooFewMeasuredPoints(group, points, distinctSizes, needPoints, needSizes),
    );
  }
}

const distinct = <T>(xs: readonly T[], key: (x: T) => string | number): number => new Set(xs.map(key)).size;

function logResiduals<T>(samples: readonly T[], predict: (s: T) => number, measured: (s: T) => number): number[] {
  return samples.map((s) => Math.log(predict(s) / measured(s)));
}

const curve = (max: number, halfAt: number, exponent: number): EfficiencyCurve => ({ max, halfAt, exponent });

/**
 * An exponent in (0, cap). Time must not fall when work grows: at small x a saturating efficiency
 * goes like x^e, so time ~ work / x^e stays non-decreasing only if e <= 1 for work ~ x (GEMM rows,
 * elementwise rows, attention tokens x heads) and e <= 2 for work ~ x^2 (causal attention length).
 */
const upTo = (cap: number, x: number): number => cap * logistic(x);

/** Row tile the tensor-core GEMM kernels pad m to, and the output tile counted in waves (CUTLASS/cuBLAS defaults on Ampere/Hopper). */
export const GEMM_ROW_TILE = 64;
export const GEMM_WAVE_TILE = { tileRows: 128, tileCols: 128 } as const;

export function fitGemm(samples: readonly GemmSample[], hw: HwRates, bytesPerElement = 2): GpuPerfParams['gemm'] {
  // Row padding and wave quantization are one tile model, which needs the SM count; without it the
  // smooth curve alone is fitted.
  const waves = hw.numSms !== undefined && hw.numSms > 0;
  const rowTile = waves ? GEMM_ROW_TILE : 1;
  const nParams = waves ? 7 : 6;
  requireEnough('GEMM efficiency', samples.length, distinct(samples, (s) => `${s.m}/${s.n}/${s.k}`), nParams);
  const decode = (x: number[]): GpuPerfParams['gemm'] => ({
    launchUs: Math.exp(x[0]!),
    compute: curve(logistic(x[1]!), Math.exp(x[2]!), upTo(1, x[3]!)),
    shapeHalfAtElems: Math.exp(x[4]!),
    memoryEfficiency: logistic(x[5]!),
    ...(waves ? { rowTile, wave: { ...GEMM_WAVE_TILE, exponent: logistic(x[6]!) } } : {}),
  });
  const x0 = [Math.log(5), logit(0.75), Math.log(100), logit(0.9), Math.log(2e5), logit(0.8), ...(waves ? [0] : [])];
  // The loss runs ~10^4 times over ~10^4 samples: precompute what does not depend on the parameters.
  // It uses gemmTime's arithmetic without the monotone envelope (which only lifts rare dips).
  const n = samples.length;
  const logM = new Float64Array(n);
  const nk = new Float64Array(n);
  const flopsT = new Float64Array(n);
  const bytesT = new Float64Array(n);
  const logUtil = new Float64Array(n);
  const logMs = new Float64Array(n);
  samples.forEach((s, i) => {
    const mp = Math.ceil(s.m / rowTile) * rowTile;
    logM[i] = Math.log(mp);
    nk[i] = s.n * s.k;
    flopsT[i] = (2 * mp * s.n * s.k) / hw.peakFlopsPerMs;
    bytesT[i] = ((s.m * s.k + s.k * s.n + s.m * s.n) * bytesPerElement) / hw.hbmBytesPerMs;
    if (waves) {
      const tiles = Math.ceil(s.m / GEMM_WAVE_TILE.tileRows) * Math.ceil(s.n / GEMM_WAVE_TILE.tileCols);
      logUtil[i] = Math.log(tiles / (Math.ceil(tiles / hw.numSms!) * hw.numSms!));
    }
    logMs[i] = Math.log(s.ms);
  });
  const loss = (x: number[]) => {
    const p = decode(x);
    const c = p.compute;
    const logHalf = Math.log(c.halfAt);
    const shapeHalf = p.shapeHalfAtElems!;
    const launch = p.launchUs / 1000;
    const we = p.wave?.exponent ?? 0;
    const res = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      // max * mp^e / (mp^e + h^e) * nk / (nk + s) * util^we, mp = m padded to the row tile.
      const sat = 1 / (1 + Math.exp(c.exponent * (logHalf - logM[i]!)));
      const eff = c.max * sat * (nk[i]! / (nk[i]! + shapeHalf)) * Math.exp(we * logUtil[i]!);
      const t = Math.max(flopsT[i]! / eff, bytesT[i]! / p.memoryEfficiency) + launch;
      res[i] = Math.log(t) - logMs[i]!;
    }
    return softL1(res);
  };
  return decode(minimize(loss, x0).x);
}

/** `memoryEfficiency` is not identifiable from compute-bound prefill attention; it is taken from the GEMM fit. */
export function fitPrefillAttention(samples: readonly PrefillAttentionSample[], hw: HwRates, memoryEfficiency: number): GpuPerfParams['attentionPrefill'] {
  requireEnough('prefill attention', samples.length, distinct(samples, (s) => `${s.batch}/${s.seqLen}/${s.qHeads}/${s.kvHeads}`), 6);
  const decode = (x: number[]): GpuPerfParams['attentionPrefill'] => ({
    launchUs: Math.exp(x[0]!),
    compute: curve(logistic(x[1]!), Math.exp(x[2]!), upTo(2, x[3]!)),
    parallel: curve(1, Math.exp(x[4]!), upTo(1, x[5]!)),
    memoryEfficiency,
  });
  const x0 = [Math.log(10), logit(0.65), Math.log(500), logit(0.6), Math.log(1e4), logit(0.8)];
  // Precomputed per sample; the loss repeats prefillAttentionTime's arithmetic for `batch` equal prompts.
  const n = samples.length;
  const flopsT = new Float64Array(n);
  const memT = new Float64Array(n);
  const logKv = new Float64Array(n);
  const logWork = new Float64Array(n);
  const logMs = new Float64Array(n);
  samples.forEach((s, i) => {
    const r = prefillAttentionTime({ compute: curve(1, 0, 1), memoryEfficiency: 1, launchUs: 0 }, hw, [{ newTokens: s.seqLen, contextTokens: 0, count: s.batch }], {
      qHeads: s.qHeads,
      kvHeads: s.kvHeads,
      headDim: s.headDim,
      bytesPerElement: 2,
    });
    flopsT[i] = r.flops / hw.peakFlopsPerMs;
    memT[i] = r.bytes / hw.hbmBytesPerMs;
    logKv[i] = Math.log(s.seqLen);
    logWork[i] = Math.log(s.batch * s.seqLen * s.qHeads);
    logMs[i] = Math.log(s.ms);
  });
  const loss = (x: number[]) => {
    const p = decode(x);
    const c = p.compute;
    const par = p.parallel!;
    const lh = Math.log(c.halfAt);
    const lp = Math.log(par.halfAt);
    const res = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const eff = (c.max / (1 + Math.exp(c.exponent * (lh - logKv[i]!)))) / (1 + Math.exp(par.exponent * (lp - logWork[i]!)));
      res[i] = Math.log(Math.max(flopsT[i]! / eff, memT[i]! / memoryEfficiency) + p.launchUs / 1000) - logMs[i]!;
    }
    return softL1(res);
  };
  return decode(minimize(loss, x0).x);
}

/** The model's time for a measured prefill-attention sample: `batch` equal prompts, no cached prefix. */
export function prefillSampleMs(p: GpuPerfParams['attentionPrefill'], hw: HwRates, s: PrefillAttentionSample): number {
  const g = { qHeads: s.qHeads, kvHeads: s.kvHeads, headDim: s.headDim, bytesPerElement: 2 };
  return prefillAttentionTime(p, hw, [{ newTokens: s.seqLen, contextTokens: 0, count: s.batch }], g).ms;
}

/** The model's time for a measured decode-attention sample. */
export function decodeSampleMs(p: GpuPerfParams['attentionDecode'], hw: HwRates, s: DecodeAttentionSample): number {
  return decodeAttentionTime(p, hw, s.batch, s.batch * s.kvLen, { qHeads: s.qHeads, kvHeads: s.kvHeads, headDim: s.headDim, bytesPerElement: 2 }).ms;
}

/** vLLM V1's split cap under CUDA graphs (_DEFAULT_MAX_NUM_SPLITS_FOR_CUDA_GRAPH, vllm/v1/attention/backends/flash_attn.py). */
export const VLLM_MAX_NUM_SPLITS = 16;

export function fitDecodeAttention(samples: readonly DecodeAttentionSample[], hw: HwRates): GpuPerfParams['attentionDecode'] {
  requireEnough('decode attention', samples.length, distinct(samples, (s) => `${s.batch}/${s.kvLen}/${s.qHeads}/${s.kvHeads}`), 4);
  // Occupancy per kernel family (see GpuPerfParams.attentionDecode), each fitted only where its
  // geometries were measured; a family without data takes the other's value. Whether a family's
  // kernel splits the KV (split-KV) is not known per GPU from documentation alone (vLLM picks the
  // kernel by backend and geometry), so the variants below are each fitted and the lower loss kept.
  const hasMha = samples.some((s) => s.kvHeads >= s.qHeads);
  const hasGqa = samples.some((s) => s.kvHeads < s.qHeads);
  const occ = hw.numSms !== undefined && hw.numSms > 0;
  const fitWith = (families: ('mha' | 'gqa')[]) => {
    const split = families.length > 0;
    const decode = (x: number[]): GpuPerfParams['attentionDecode'] => {
      const mha = Math.exp(x[hasMha ? 4 : 5]!);
      const gqa = Math.exp(x[hasGqa ? 5 : 4]!);
      return {
        launchUs: Math.exp(x[0]!),
        perQueryHeadUs: Math.exp(x[1]!),
        perKvHeadUs: Math.exp(x[3]!),
        memoryEfficiency: logistic(x[2]!),
        ...(occ ? { occupancy: { mhaItemsPerSm: mha, gqaItemsPerSm: gqa, ...(split ? { splitKv: { maxSplits: VLLM_MAX_NUM_SPLITS, ctasPerSm: Math.exp(x[6]!), families } } : {}) } } : {}),
      };
    };
    const loss = (x: number[]) => {
      const p = decode(x);
      return softL1(
        logResiduals(samples, (s) => decodeSampleMs(p, hw, s), (s) => s.ms),
      );
    };
    const x0 = [Math.log(10), Math.log(0.005), logit(0.8), Math.log(0.02), ...(occ ? [Math.log(0.5), Math.log(0.05), ...(split ? [Math.log(0.5)] : [])] : [])];
    const r = minimize(loss, x0);
    return { p: decode(r.x), loss: loss(r.x) };
  };
  // No split, grouped-query only (A100's measured kernels), or both families (H100's); multi-head
  // alone is left out: a kernel that splits one KV head per query head splits grouped ones too.
  const both: ('mha' | 'gqa')[] = hasMha && hasGqa ? ['mha', 'gqa'] : hasMha ? ['mha'] : ['gqa'];
  const variants: ('mha' | 'gqa')[][] = !occ ? [[]] : [[], ...(hasGqa && hasMha ? [['gqa'] as ('mha' | 'gqa')[]] : []), both];
  let best = fitWith(variants[0]!);
  for (const v of variants.slice(1)) {
    const f = fitWith(v);
    if (f.loss < best.loss) best = f;
  }
  return best.p;
}

/**
 * Elementwise kernels: (op, bytes moved, measured ms). One launch latency shared by all, one
 * bandwidth fraction per op kind (each kind needs its own points); `memoryEfficiency` is the
 * median of those, for ops the data does not cover.
 */
export function fitElementwise(samples: readonly { op: string; bytes: number; tokens: number; ms: number }[], hw: HwRates): GpuPerfParams['elementwise'] {
  const ops = [...new Set(samples.map((s) => s.op))].sort();
  for (const op of ops) {
    const own = samples.filter((s) => s.op === op);
    requireEnough(`elementwise ${op}`, own.length, distinct(own, (s) => s.bytes), 2);
  }
  const k = ops.length;
  const decode = (x: number[]): GpuPerfParams['elementwise'] => {
    const byOp: Record<string, number> = {};
    const rowGBps: Record<string, number> = {};
    ops.forEach((op, i) => {
      byOp[op] = logistic(x[i + 1]!);
      rowGBps[op] = Math.exp(x[k + i + 1]!);
    });
    const effs = Object.values(byOp).sort((a, b) => a - b);
    return {
      launchUs: Math.exp(x[0]!),
      memoryEfficiency: effs[Math.floor(effs.length / 2)] ?? 0.7,
      byOp,
      rowGBps,
    };
  };
  const opIndex = new Int32Array(samples.map((s) => ops.indexOf(s.op)));
  const memT = new Float64Array(samples.map((s) => s.bytes / hw.hbmBytesPerMs));
  const rowBytes = new Float64Array(samples.map((s) => s.bytes / s.tokens / 1e6));
  const logMs = new Float64Array(samples.map((s) => Math.log(s.ms)));
  // elementwiseMs written out over precomputed arrays: max(bytes / (bw * eff[op]), rowBytes / rowBw[op]) + launch.
  const loss = (x: number[]) => {
    const launch = Math.exp(x[0]!) / 1000;
    const eff = ops.map((_, i) => logistic(x[i + 1]!));
    const rowBw = ops.map((_, i) => Math.exp(x[k + i + 1]!));
    const res = new Float64Array(samples.length);
    for (let i = 0; i < res.length; i++) {
      const o = opIndex[i]!;
      res[i] = Math.log(Math.max(memT[i]! / eff[o]!, rowBytes[i]! / rowBw[o]!) + launch) - logMs[i]!;
    }
    return softL1(res);
  };
  return decode(minimize(loss, [Math.log(2), ...ops.map(() => logit(0.7)), ...ops.map(() => Math.log(10))]).x);
}

/** Ring all-reduce (alpha + 2(n-1)/n S / busBw) for one GPU count. */
export function fitAllReduce(samples: readonly AllReduceSample[], gpus: number): CollectiveModel {
  const own = samples.filter((s) => s.gpus === gpus);
  requireEnough(`all-reduce on ${gpus} GPUs`, own.length, distinct(own, (s) => s.bytes), 2);
  const decode = (x: number[]): CollectiveModel => ({ latencyUs: Math.exp(x[0]!), busBandwidthGBps: Math.exp(x[1]!) });
  const loss = (x: number[]) => {
    const c = decode(x);
    return softL1(logResiduals(own, (s) => ringAllReduceMs(c, gpus, s.bytes), (s) => s.ms));
  };
  return decode(minimize(loss, [Math.log(10), Math.log(100)]).x);
}

/** Per-iteration CPU overhead: least squares of base + perSeq x batch, both >= 0 (fitAffineNonNegative). */
export function fitCpuOverhead(samples: readonly CpuOverheadSample[]): GpuPerfParams['cpuOverhead'] {
  requireEnough('CPU overhead', samples.length, distinct(samples, (s) => s.batch), 2);
  const f = fitAffineNonNegative(samples.map((s) => ({ x: s.batch, y: s.ms })));
  return { baseMs: f.base, perSeqMs: f.slope };
}

/**
 * Least squares of y = base + slope x with both terms >= 0; one x value only: slope 0 and base the
 * mean. A clamped term refits the other through the means (base 0: slope = mean y / mean x), since
 * what the line prices is an expectation and must keep the samples' mean. Also the llama.cpp
 * server's cost per iteration (adapters/llamacpp/server-overhead.ts): the same regression.
 */
export function fitAffineNonNegative(points: readonly { x: number; y: number }[]): { base: number; slope: number } {
  const n = points.length;
  if (n === 0) return { base: 0, slope: 0 };
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const slope = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
  const base = my - slope * mx;
  if (base < 0) return { base: 0, slope: mx > 0 ? my / mx : 0 };
  return { base, slope };
}

/** Host<->device and device copies (pdsim profiler): latency + bytes / bandwidth per kind and memory type. */
export interface CopyFit {
  kind: string;
  pinned: boolean;
  latencyUs: number;
  bandwidthGBps: number;
  points: number;
}

export function fitCopies(samples: readonly CopySample[]): CopyFit[] {
  const keys = [...new Set(samples.map((s) => `${s.kind}/${s.pinned}`))].sort();
  return keys.map((key) => {
    const own = samples.filter((s) => `${s.kind}/${s.pinned}` === key);
    const [kind, pinned] = key.split('/') as [string, string];
    requireEnough(`copy ${kind} (${pinned === 'true' ? 'pinned' : 'pageable'})`, own.length, distinct(own, (s) => s.bytes), 2);
    // For copy_bidir, bytes move in each direction; the fitted bandwidth is per direction.
    const loss = (x: number[]) => softL1(logResiduals(own, (s) => Math.exp(x[0]!) / 1000 + s.bytes / (Math.exp(x[1]!) * 1e6), (s) => s.ms));
    const x = minimize(loss, [Math.log(10), Math.log(20)]).x;
    return { kind, pinned: pinned === 'true', latencyUs: Math.exp(x[0]!), bandwidthGBps: Math.exp(x[1]!), points: own.length };
  });
}
