/**
 * Fits a whole GpuPerfParams from a set of measured samples, group by group, and measures how well
 * the result reproduces samples (in-sample here; held-out in crossval.ts). Groups without data keep
 * the profile's previous values and are listed as such, never silently invented.
 */
import type { CalibratedShape, GpuPerfParams, GpuProfile } from '../model/gpu.js';
import { elementwiseBytesPerToken, elementwiseMs, gemmTime, hwRatesOf, type ElementwiseOp, type HwRates } from '../perf/op-times.js';
import { ringAllReduceMs } from '../perf/perf-model.js';
import { fitCopies, type CopyFit, fitAllReduce, fitCpuOverhead, fitDecodeAttention, fitElementwise, fitGemm, fitPrefillAttention, decodeSampleMs, prefillSampleMs } from './fit.js';
import { fitEngineIterations, predictEngineIterationMs } from './fit-iterations.js';
import { composeIterations, predictIterationMs } from './iterations.js';
import { ELEMENTWISE_OPS, layerGemms, type GemmSample, type LayerSample, type ModelShape, type SampleSet } from './samples.js';
import { errorStats, type ErrorStats } from './stats.js';

export interface PerfFit {
  perf: GpuPerfParams;
  /** Copy bandwidths from a pdsim profile, for the host-link profiles (models/link); not part of the GPU perf model. */
  copies: CopyFit[];
  /** Groups fitted from data, and groups that kept the previous profile's values (no data). */
  fitted: string[];
  kept: string[];
}

/** Elementwise kernels of vidur layer samples as (bytes moved, ms). */
export function elementwiseSamples(layers: readonly LayerSample[]): { bytes: number; tokens: number; ms: number; op: string }[] {
  const out: { bytes: number; tokens: number; ms: number; op: string }[] = [];
  for (const l of layers) {
    const m = l.model;
    const hd = m.hidden / m.heads;
    const per = elementwiseBytesPerToken(m.hidden, (m.heads / l.tp) * hd, Math.max(1, m.kvHeads / l.tp) * hd, m.intermediate / l.tp, 2);
    for (const op of ELEMENTWISE_OPS) {
      const ms = l.opsMs[op];
      if (ms !== undefined) out.push({ op, bytes: l.tokens * per[op as ElementwiseOp], tokens: l.tokens, ms });
    }
  }
  return out;
}

export function gemmSamplesOf(set: SampleSet): GemmSample[] {
  return [...set.layers.flatMap(layerGemms), ...set.gemm];
}

export function fitPerf(set: SampleSet, gpu: GpuProfile): PerfFit {
  const hw = hwRatesOf(gpu);
  const prev = gpu.perf;
  const fitted: string[] = [];
  const kept: string[] = [];
  const gemms = gemmSamplesOf(set);
  let gemm = prev.gemm;
  if (gemms.length > 0) {
    gemm = fitGemm(gemms, hw);
    fitted.push('gemm');
  } else kept.push('gemm');
  const elem = elementwiseSamples(set.layers);
  let elementwise = prev.elementwise;
  if (elem.length > 0) {
    elementwise = fitElementwise(elem, hw);
    fitted.push('elementwise');
  } else kept.push('elementwise');
  let attentionPrefill = prev.attentionPrefill;
  if (set.prefill.length > 0) {
    attentionPrefill = fitPrefillAttention(set.prefill, hw, gemm.memoryEfficiency);
    fitted.push('attentionPrefill');
  } else kept.push('attentionPrefill');
  let attentionDecode = prev.attentionDecode;
  if (set.decode.length > 0) {
    attentionDecode = fitDecodeAttention(set.decode, hw);
    fitted.push('attentionDecode');
  } else kept.push('attentionDecode');
  let allReduce = prev.allReduce;
  const tps = [...new Set(set.allReduce.map((s) => s.gpus))].filter((n) => n > 1).sort((a, b) => a - b);
  if (tps.length > 0) {
    const byTp: Record<string, { latencyUs: number; busBandwidthGBps: number }> = {};
    for (const n of tps) byTp[String(n)] = fitAllReduce(set.allReduce, n);
    allReduce = { ...byTp[String(tps[0])]!, byTp };
    fitted.push('allReduce');
  } else kept.push('allReduce');
  let cpuOverhead = prev.cpuOverhead;
  if (set.cpu.length > 0) {
    cpuOverhead = fitCpuOverhead(set.cpu);
    fitted.push('cpuOverhead');
  } else kept.push('cpuOverhead');
  let perf: GpuPerfParams = { gemm, attentionPrefill, attentionDecode, elementwise, allReduce, cpuOverhead, calibratedRange: rangeOf(set) };
  // How the device's engine runs a step is a property of the engine, not fitted: kept as written.
  if (prev.forwardPasses !== undefined) perf.forwardPasses = prev.forwardPasses;
  if (set.iterations.length > 0) {
    // Whole engine iterations (an engine timed end to end): these groups come from them instead.
    const whole = fitEngineIterations(set.iterations, gpu);
    perf = { ...perf, ...whole };
    const groups = Object.keys(whole);
    for (const g of groups) if (kept.includes(g)) kept.splice(kept.indexOf(g), 1);
    fitted.push(...groups.filter((g) => !fitted.includes(g)).map((g) => `${g} (whole iterations)`));
  }
  const copies = set.copies.length > 0 ? fitCopies(set.copies) : [];
  return { perf, fitted, kept, copies };
}

function maxOf(xs: readonly number[]): number {
  return xs.reduce((a, b) => Math.max(a, b), 0);
}

export function rangeOf(set: SampleSet): NonNullable<GpuPerfParams['calibratedRange']> {
  return {
    maxTokens: maxOf([...set.layers.map((l) => l.tokens), ...set.gemm.map((g) => g.m), ...set.prefill.map((p) => p.seqLen * p.batch), ...set.iterations.map((i) => i.newTokens * i.batch)]),
    maxContextTokens: maxOf([...set.decode.map((d) => d.kvLen), ...set.prefill.map((p) => p.seqLen), ...set.iterations.map((i) => i.kvLen)]),
    maxBatch: maxOf([...set.decode.map((d) => d.batch), ...set.iterations.filter((i) => i.phase === 'decode').map((i) => i.batch)]),
    tp: [...new Set([1, ...set.layers.map((l) => l.tp), ...set.allReduce.map((a) => a.gpus)])].sort((a, b) => a - b),
    models: shapesOf(set),
    // Every parser keeps 16-bit rows only (vidur fp16, aiconfigurator bf16/fp16 KV, pdsim 16-bit): the tables say nothing on fp8/int8/4-bit.
    dtypes: ['float16', 'bfloat16'],
  };
}

/** The distinct model geometries of the per-layer and whole-iteration samples, by name. */
function shapesOf(set: SampleSet): CalibratedShape[] {
  const byName = new Map<string, CalibratedShape>();
  const add = (m: ModelShape, layers?: number) => {
    if (!byName.has(m.name)) byName.set(m.name, { name: m.name, hidden: m.hidden, heads: m.heads, kvHeads: m.kvHeads, intermediate: m.intermediate, ...(layers !== undefined ? { layers } : {}) });
  };
  for (const l of set.layers) add(l.model);
  for (const i of set.iterations) add(i.model, i.model.layers);
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export interface GroupError extends ErrorStats {
  group: string;
}

/** Errors per operator group and per whole iteration of `perf` on the samples in `set`. */
export function groupErrors(set: SampleSet, gpu: GpuProfile, perf: GpuPerfParams): GroupError[] {
  const hw: HwRates = hwRatesOf(gpu);
  const out: GroupError[] = [];
  const push = (group: string, pairs: [number, number][]) => {
    if (pairs.length > 0) out.push({ group, ...errorStats(pairs) });
  };
  push('gemm', gemmSamplesOf(set).map((s) => [gemmTime(perf.gemm, hw, s.m, s.n, s.k, 2).ms, s.ms]));
  push('elementwise', elementwiseSamples(set.layers).map((s) => [elementwiseMs(perf.elementwise, hw, s.bytes, s.tokens, s.op as ElementwiseOp), s.ms]));
  push('attention prefill', set.prefill.map((s) => [prefillSampleMs(perf.attentionPrefill, hw, s), s.ms]));
  push('attention decode', set.decode.map((s) => [decodeSampleMs(perf.attentionDecode, hw, s), s.ms]));
  for (const n of [...new Set(set.allReduce.map((s) => s.gpus))].sort((a, b) => a - b)) {
    const c = perf.allReduce.byTp?.[String(n)] ?? perf.allReduce;
    push(`all-reduce tp${n}`, set.allReduce.filter((s) => s.gpus === n).map((s) => [ringAllReduceMs(c, n, s.bytes), s.ms]));
  }
  push('cpu overhead', set.cpu.map((s) => [perf.cpuOverhead.baseMs + perf.cpuOverhead.perSeqMs * s.batch, s.ms]));
  for (const phase of ['prefill', 'decode'] as const) {
    push(`engine iteration ${phase}`, set.iterations.filter((i) => i.phase === phase).map((i) => [predictEngineIterationMs(gpu, perf, i), i.ms]));
  }
  const prof = { ...gpu, perf };
  const its = composeIterations(set);
  for (const phase of ['prefill', 'decode'] as const) {
    push(`iteration ${phase}`, its.filter((i) => i.phase === phase).map((i) => [predictIterationMs(prof, i), i.measuredMs]));
  }
  return out;
}
