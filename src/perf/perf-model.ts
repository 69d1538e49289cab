/**
 * Perf model v1: the time of one engine iteration for a mixed batch, per operator group and per
 * layer, as a roofline (max of compute time and memory time) with fitted efficiency curves
 * (../shared/DESIGN.md section 3). Tensor parallelism splits GEMMs and attention heads by `tp` and
 * adds two ring all-reduces per layer.
 *
 * Every op group reports whether it is compute-, memory-, link- or CPU-bound so a user can see why.
 */
import { deriveSizes, type DerivedSizes, type LlmArchitecture } from '../model/architecture.js';
import { efficiency, type CollectiveModel, type GpuProfile } from '../model/gpu.js';

/** One sequence's share of an iteration: tokens computed now, tokens already in its KV cache. */
export interface BatchEntry {
  newTokens: number;
  contextTokens: number;
}

export type Bound = 'compute' | 'memory' | 'interconnect' | 'host-link' | 'cpu';

export interface OpGroupTime {
  name: string;
  /** Time summed over all layers (or once per iteration for per-iteration groups). */
  ms: number;
  bound: Bound;
  flops: number;
  bytes: number;
}

export interface IterationBreakdown {
  totalMs: number;
  /** Time of one decoder layer (all per-layer groups); layers are identical. */
  perLayerMs: number;
  /** Per-iteration time outside the layers (LM head, sampling, CPU overhead, weight streaming). */
  outsideLayersMs: number;
  groups: OpGroupTime[];
  flops: number;
  hbmBytes: number;
}

export interface PerfModelOptions {
  tp: number;
  /** Weight bytes per GPU held in host memory and streamed over the host link on every forward pass (vLLM --cpu-offload-gb). */
  offloadedWeightBytes?: number;
  /** Effective host-link bandwidth for those weights, GB/s (needed when offloadedWeightBytes > 0). */
  hostLinkGBps?: number;
}

/** Coefficients of a decode-only iteration: totalMs = fixedMs + perContextTokenMs * sum(contextTokens). */
export interface DecodeCoefficients {
  fixedMs: number;
  perContextTokenMs: number;
}

export interface PerfModel {
  readonly arch: LlmArchitecture;
  readonly gpu: GpuProfile;
  readonly tp: number;
  readonly sizes: DerivedSizes;
  iteration(batch: readonly BatchEntry[]): IterationBreakdown;
  iterationMs(batch: readonly BatchEntry[]): number;
  decodeCoefficients(batchSize: number): DecodeCoefficients;
}

interface Roof {
  ms: number;
  bound: Bound;
  flops: number;
  bytes: number;
}

export function ringAllReduceMs(c: CollectiveModel, n: number, bytes: number): number {
  if (n <= 1) return 0;
  return c.latencyUs / 1000 + ((2 * (n - 1)) / n) * (bytes / (c.busBandwidthGBps * 1e9)) * 1000;
}

export class RooflinePerfModel implements PerfModel {
  readonly sizes: DerivedSizes;
  readonly tp: number;
  private readonly peakFlops: number;
  private readonly hbmBytesPerMs: number;
  private readonly offloadMs: number;
  private readonly decodeCache = new Map<number, DecodeCoefficients>();

  constructor(
    readonly arch: LlmArchitecture,
    readonly gpu: GpuProfile,
    opts: PerfModelOptions,
  ) {
    if (!(opts.tp >= 1) || !Number.isInteger(opts.tp)) throw new RangeError(`Invalid tp ${opts.tp}`);
    if (arch.numHeads % opts.tp !== 0) throw new RangeError(`tp ${opts.tp} does not divide ${arch.numHeads} heads`);
    this.tp = opts.tp;
    this.sizes = deriveSizes(arch);
    this.peakFlops = gpu.fp16Tflops * 1e12;
    this.hbmBytesPerMs = gpu.hbmBandwidthGBps * 1e6;
    const off = opts.offloadedWeightBytes ?? 0;
    if (off > 0 && !(opts.hostLinkGBps && opts.hostLinkGBps > 0)) throw new RangeError('offloadedWeightBytes needs hostLinkGBps');
    // UVA weight offload: those weights are read over the host link instead of HBM on every forward pass.
    this.offloadMs = off > 0 ? (off / (opts.hostLinkGBps! * 1e9)) * 1000 - off / (this.hbmBytesPerMs * gpu.perf.gemm.memoryEfficiency) : 0;
  }

  private gemm(m: number, n: number, k: number): Roof {
    const p = this.gpu.perf.gemm;
    const b = this.sizes.bytesPerElement;
    const flops = 2 * m * n * k;
    const bytes = (m * k + k * n + m * n) * b;
    const c = (flops / (this.peakFlops * efficiency(p.compute, m))) * 1000;
    const mem = bytes / (this.hbmBytesPerMs * p.memoryEfficiency);
    return { ms: Math.max(c, mem) + p.launchUs / 1000, bound: c >= mem ? 'compute' : 'memory', flops, bytes };
  }

  iteration(batch: readonly BatchEntry[]): IterationBreakdown {
    const a = this.arch;
    const s = this.sizes;
    const tp = this.tp;
    const b = s.bytesPerElement;
    const p = this.gpu.perf;
    const L = a.numLayers;
    let tokens = 0;
    let sampled = 0;
    let decodeCtx = 0;
    let decodeSeqs = 0;
    const qDim = (a.numHeads * a.headDim) / tp;
    const kvDim = (a.numKvHeads * a.headDim) / tp;
    const kvBytesPerTokLayer = s.kvBytesPerTokenPerLayer / tp;
    // Prefill attention, summed over sequences that compute more than one token.
    let apFlops = 0;
    let apBytes = 0;
    let apMs = 0;
    let apCompute = 0;
    for (const e of batch) {
      tokens += e.newTokens;
      sampled++;
      if (e.newTokens === 1) {
        decodeCtx += e.contextTokens;
        decodeSeqs++;
        continue;
      }
      const n = e.newTokens;
      const fl = 4 * qDim * n * (e.contextTokens + (n + 1) / 2);
      const by = 2 * n * qDim * b + (e.contextTokens + n) * kvBytesPerTokLayer;
      const c = (fl / (this.peakFlops * efficiency(p.attentionPrefill.compute, n))) * 1000;
      const m = by / (this.hbmBytesPerMs * p.attentionPrefill.memoryEfficiency);
      apFlops += fl;
      apBytes += by;
      apMs += Math.max(c, m);
      apCompute += c >= m ? 1 : 0;
    }
    const groups: OpGroupTime[] = [];
    const perLayer = (name: string, r: Roof) => groups.push({ name, ms: r.ms * L, bound: r.bound, flops: r.flops * L, bytes: r.bytes * L });
    if (tokens > 0) {
      perLayer('qkv_proj', this.gemm(tokens, qDim + 2 * kvDim, a.hiddenSize));
      perLayer('o_proj', this.gemm(tokens, a.hiddenSize, qDim));
      const inter = a.intermediateSize / tp;
      const up = this.gemm(tokens, (a.gatedMlp ? 2 : 1) * inter, a.hiddenSize);
      const down = this.gemm(tokens, a.hiddenSize, inter);
      perLayer('mlp', {
        ms: up.ms + down.ms,
        bound: up.bound === 'compute' || down.bound === 'compute' ? 'compute' : 'memory',
        flops: up.flops + down.flops,
        bytes: up.bytes + down.bytes,
      });
    }
    if (apFlops > 0) {
      perLayer('attn_prefill', {
        ms: apMs + p.attentionPrefill.launchUs / 1000,
        bound: apCompute * 2 >= batch.length - decodeSeqs ? 'compute' : 'memory',
        flops: apFlops,
        bytes: apBytes,
      });
    }
    if (decodeSeqs > 0) {
      const by = decodeCtx * kvBytesPerTokLayer + decodeSeqs * 2 * qDim * b;
      perLayer('attn_decode', {
        ms: by / (this.hbmBytesPerMs * p.attentionDecode.memoryEfficiency) + p.attentionDecode.launchUs / 1000,
        bound: 'memory',
        flops: 4 * qDim * decodeCtx,
        bytes: by,
      });
    }
    if (tokens > 0) {
      // Two RMSNorms, RoPE, SiLU*up, two residual adds: each reads and writes a token's activations.
      const elemBytes = tokens * b * (2 * 2 * a.hiddenSize + 2 * (qDim + kvDim) + 3 * (a.intermediateSize / tp) + 2 * 3 * a.hiddenSize);
      perLayer('elementwise', {
        ms: elemBytes / (this.hbmBytesPerMs * p.elementwise.memoryEfficiency) + (5 * p.elementwise.launchUs) / 1000,
        bound: 'memory',
        flops: 0,
        bytes: elemBytes,
      });
      if (tp > 1) {
        const c = p.allReduce.byTp?.[String(tp)] ?? p.allReduce;
        const arBytes = tokens * a.hiddenSize * b;
        perLayer('allreduce', { ms: 2 * ringAllReduceMs(c, tp, arBytes), bound: 'interconnect', flops: 0, bytes: 2 * arBytes });
      }
    }
    const perLayerMs = groups.reduce((acc, g) => acc + g.ms, 0) / L;
    // Outside the layers: LM head over sampled rows, CPU overhead, streamed (offloaded) weights.
    if (sampled > 0) {
      const head = this.gemm(sampled, a.vocabSize / tp, a.hiddenSize);
      groups.push({ name: 'lm_head', ms: head.ms, bound: head.bound, flops: head.flops, bytes: head.bytes });
    }
    if (batch.length > 0) {
      groups.push({ name: 'cpu_overhead', ms: p.cpuOverhead.baseMs + p.cpuOverhead.perSeqMs * batch.length, bound: 'cpu', flops: 0, bytes: 0 });
    }
    if (this.offloadMs > 0 && tokens > 0) {
      groups.push({ name: 'weight_offload', ms: this.offloadMs, bound: 'host-link', flops: 0, bytes: 0 });
    }
    let totalMs = 0;
    let flops = 0;
    let hbmBytes = 0;
    for (const g of groups) {
      totalMs += g.ms;
      flops += g.flops;
      hbmBytes += g.bytes;
    }
    return { totalMs, perLayerMs, outsideLayersMs: totalMs - perLayerMs * L, groups, flops, hbmBytes };
  }

  iterationMs(batch: readonly BatchEntry[]): number {
    return this.iteration(batch).totalMs;
  }

  /**
   * A decode-only iteration is affine in the batch's total context: every term but decode attention
   * depends on the batch size alone. The engine's fast path relies on this.
   */
  decodeCoefficients(batchSize: number): DecodeCoefficients {
    let c = this.decodeCache.get(batchSize);
    if (c === undefined) {
      const zero = this.iteration(Array.from({ length: batchSize }, () => ({ newTokens: 1, contextTokens: 0 })));
      const p = this.gpu.perf.attentionDecode;
      const perContextTokenMs = (this.arch.numLayers * (this.sizes.kvBytesPerTokenPerLayer / this.tp)) / (this.hbmBytesPerMs * p.memoryEfficiency);
      c = { fixedMs: zero.totalMs, perContextTokenMs };
      this.decodeCache.set(batchSize, c);
    }
    return c;
  }
}
