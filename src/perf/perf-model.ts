/**
 * Perf model v2: the time of one engine iteration for a mixed batch, per operator group and per
 * layer, as a roofline (max of compute time and memory time) with fitted efficiency curves
 * (../shared/DESIGN.md section 3). Tensor parallelism splits GEMMs and attention heads by `tp` and
 * adds two ring all-reduces per layer.
 *
 * Every op group reports whether it is compute-, memory-, link- or CPU-bound so a user can see why.
 */
import { deriveSizes, type DerivedSizes, type LlmArchitecture } from '../model/architecture.js';
import type { CollectiveModel, GpuPerfParams, GpuProfile } from '../model/gpu.js';
import type { Precision } from '../model/quantization.js';
import { decodeBatchMs } from './decode-batch.js';
import { eagerExcessMs, runsEager, type EagerStepModel } from './eager-step.js';
import { GemmEnvelope } from './gemm-envelope.js';
import { samplerMs, type SamplerCost, type SamplerRates } from './sampler.js';
import { stepOverheadMs, V1_ASYNC_OVERHEAD, type StepOverheadCoefficients } from './step-overhead.js';
import {
  decodeAttentionMsOf,
  decodeAttentionParts,
  decodeAttentionTime,
  decodeBytesPerMs,
  ELEMENTWISE_PER_LAYER,
  elementwiseBytesPerToken,
  elementwiseMs,
  gemmTime,
  hwRatesOf,
  kvBytesPerTokenOf,
  prefillAttentionMs,
  prefillAttentionTime,
  type AttnGeometry,
  type Bound,
  type DecodeAttentionParts,
  type ElementwiseOp,
  type HwRates,
  type PrefillSeq,
  type Roof,
} from './op-times.js';

export type { Bound } from './op-times.js';

/** Prompt lengths onePromptAttentionMs memoizes (1 MiB of memo at most; longer ones are computed). */
const ONE_PROMPT_MEMO_LIMIT = 1 << 17;

/** One sequence's share of an iteration: tokens computed now, tokens already in its KV cache. */
export interface BatchEntry {
  newTokens: number;
  contextTokens: number;
}

export interface OpGroupTime {
  name: string;
  /** Time summed over all layers (or once per iteration for per-iteration groups). */
  ms: number;
  bound: Bound;
  flops: number;
  bytes: number;
}

/** An iteration's time split as layer-wise KV streaming places it (IterationBreakdown's three times). */
export interface IterationTimes {
  totalMs: number;
  /** Time of one decoder layer (all per-layer groups); layers are identical. */
  perLayerMs: number;
  /** Per-iteration time outside the layers (LM head, sampling, CPU overhead, weight streaming). */
  outsideLayersMs: number;
}

export interface IterationBreakdown extends IterationTimes {
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
  /**
   * Per-step CPU overhead of the engine version (src/perf/step-overhead.ts); default: the newest
   * modelled behaviour (V1 with async scheduling).
   */
  overhead?: StepOverheadCoefficients;
  /** Weight/KV precision (src/model/quantization.ts); default: the checkpoint dtype everywhere. */
  precision?: Precision;
  /**
   * Served engines whose API server shares the engine's process stream every token in the step
   * (V0: +6% per step, src/perf/front-end.ts). Default 0 (offline, or V1's separate API process).
   */
  streamingFraction?: number;
  /**
   * The sampler's GPU passes over the logits (src/perf/sampler.ts), by the sampling parameters
   * requests run with. Default: not priced (the scenario does not say how requests sample).
   */
  sampler?: SamplerCost;
  /** Steps that run without CUDA graphs (src/perf/eager-step.ts). Default: every step graphed. */
  eager?: EagerStepModel;
}

/** Coefficients of a decode-only iteration: totalMs = fixedMs + perContextTokenMs * sum(contextTokens). */
export interface DecodeCoefficients {
  fixedMs: number;
  perContextTokenMs: number;
}

/**
 * Offloaded weights (vLLM --cpu-offload-gb) streamed over the host link on every forward pass. An
 * iteration's priced time includes `aloneMs x scale` for them (the stream alone on the link, times
 * the V0 in-step streaming share); an engine that streams them as a flow replaces that part by the
 * flow's real duration x scale.
 */
export interface WeightStream {
  /** Bytes per GPU per forward pass. */
  bytes: number;
  /** The stream alone on the host link, ms (bytes / hostLinkGBps). */
  aloneMs: number;
  scale: number;
}

export interface PerfModel {
  readonly arch: LlmArchitecture;
  readonly gpu: GpuProfile;
  readonly tp: number;
  readonly sizes: DerivedSizes;
  /** Offloaded weights streamed each iteration; absent when nothing is offloaded. */
  readonly weightStream?: WeightStream;
  iteration(batch: readonly BatchEntry[]): IterationBreakdown;
  iterationMs(batch: readonly BatchEntry[]): number;
  /**
   * iteration(batch)'s three times, bit for bit, written into `out` without the groups (a P/D
   * prefill engine prices every step for its hook). Optional: callers fall back to iteration().
   */
  iterationTimes?(batch: readonly BatchEntry[], out: IterationTimes): IterationTimes;
  decodeCoefficients(batchSize: number): DecodeCoefficients;
}

export function ringAllReduceMs(c: CollectiveModel, n: number, bytes: number): number {
  if (n <= 1) return 0;
  return c.latencyUs / 1000 + ((2 * (n - 1)) / n) * (bytes / (c.busBandwidthGBps * 1e9)) * 1000;
}

/** The collective model for `tp` GPUs: the per-TP override when the profile has one. */
export function collectiveFor(p: GpuPerfParams['allReduce'], tp: number): CollectiveModel {
  return p.byTp?.[String(tp)] ?? p;
}

export class RooflinePerfModel implements PerfModel {
  readonly sizes: DerivedSizes;
  readonly tp: number;
  private readonly hw: HwRates;
  /** Rates of the decoder's linear layers (fp8/int8 tensor cores where the precision uses them). */
  private readonly linearHw: HwRates;
  /** GEMM parameters of the linear layers (the weight-only kernels' own row tile). */
  private readonly linearGemm: GpuPerfParams['gemm'];
  private readonly geom: AttnGeometry;
  readonly overhead: StepOverheadCoefficients;
  private readonly streamingFraction: number;
  private readonly offloadMs: number;
  readonly weightStream?: WeightStream;
  /** decodeCoefficients by batch size (an array: the engine asks once per decode step). */
  private readonly decodeCache: (DecodeCoefficients | undefined)[] = [];
  /**
   * iterationMs's caches, indexed by an integer (a Map lookup per call was most of a warm call's
   * cost): per token count t, denseMs[5t, 5t + 5) holds the per-layer ms of the groups that depend
   * on it alone, [qkv, o, mlp, elementwise, allreduce] (NaN until computed; one typed array, as
   * token counts reach thousands and a plain array indexed that far goes sparse); per batch size,
   * the LM head's ms; per count of decoding sequences, decode attention's batch-size terms.
   */
  private denseMs: Float64Array = new Float64Array(0);
  private readonly headCache: (number | undefined)[] = [];
  private readonly decodeAttnCache: (DecodeAttentionParts | undefined)[] = [];
  /** The batch's prefill entries; its first prefillCount are this call's (resized only when that count changes). */
  private readonly prefillScratch: BatchEntry[] = [];
  /** onePromptAttentionMs's memo by prompt length (NaN until computed). */
  private onePromptMs: Float64Array = new Float64Array(0);
  private denseGemms?: GemmEnvelope[];
  private readonly sampler?: SamplerCost;
  private readonly samplerRates: SamplerRates;
  private readonly eager?: EagerStepModel;

  constructor(
    readonly arch: LlmArchitecture,
    readonly gpu: GpuProfile,
    opts: PerfModelOptions,
  ) {
    if (!(opts.tp >= 1) || !Number.isInteger(opts.tp)) throw new RangeError(`Invalid tp ${opts.tp}`);
    if (arch.numHeads % opts.tp !== 0) throw new RangeError(`tp ${opts.tp} does not divide ${arch.numHeads} heads`);
    this.tp = opts.tp;
    const prec = opts.precision;
    this.sizes = deriveSizes(arch, prec ? { linearWeightBytes: prec.linearWeightBytes, kvBytes: prec.kvBytes } : undefined);
    this.hw = hwRatesOf(gpu);
    this.overhead = opts.overhead ?? V1_ASYNC_OVERHEAD;
    this.streamingFraction = opts.streamingFraction ?? 0;
    if (opts.sampler) this.sampler = opts.sampler;
    if (opts.eager) this.eager = opts.eager;
    this.samplerRates = { hbmBytesPerMs: this.hw.hbmBytesPerMs, elementwiseEfficiency: gpu.perf.elementwise.memoryEfficiency, launchUs: gpu.perf.elementwise.launchUs };
    // Fitted efficiencies are fractions of the peak; a quantized GEMM is taken to reach the same fraction of its own peak.
    const peakTflops = prec?.fp8TensorCores && gpu.fp8Tflops ? gpu.fp8Tflops : gpu.fp16Tflops * (prec?.linearComputeSpeedup ?? 1);
    this.linearHw = { ...this.hw, peakFlopsPerMs: peakTflops * 1e9 };
    const g = gpu.perf.gemm;
    const tiled = prec?.rowTile !== undefined && g.rowTile !== undefined && prec.rowTile < g.rowTile ? { ...g, rowTile: prec.rowTile } : g;
    this.linearGemm = prec?.saturatedCompute ? { ...tiled, compute: { ...tiled.compute, halfAt: 0 } } : tiled;
    // KV heads are replicated when TP exceeds their count (vLLM does the same for GQA).
    this.geom = {
      qHeads: arch.numHeads / opts.tp,
      kvHeads: Math.max(1, arch.numKvHeads / opts.tp),
      headDim: arch.headDim,
      bytesPerElement: this.sizes.bytesPerElement,
      kvBytesPerElement: this.sizes.kvBytesPerElement,
    };
    const off = opts.offloadedWeightBytes ?? 0;
    if (off > 0 && !(opts.hostLinkGBps && opts.hostLinkGBps > 0)) throw new RangeError('offloadedWeightBytes needs hostLinkGBps');
    // UVA weight offload: those weights are read over the host link instead of HBM on every forward pass.
    this.offloadMs = off > 0 ? (off / (opts.hostLinkGBps! * 1e9)) * 1000 - off / (this.hw.hbmBytesPerMs * gpu.perf.gemm.memoryEfficiency) : 0;
    if (off > 0) this.weightStream = { bytes: off, aloneMs: (off / (opts.hostLinkGBps! * 1e9)) * 1000, scale: 1 + this.streamingFraction };
  }

  /** The decoder-layer groups for `tokens` new tokens; exported to calibration through perLayerGroups(). */
  private layerGroups(batch: readonly BatchEntry[]): OpGroupTime[] {
    const p = this.gpu.perf;
    const g = this.geom;
    let tokens = 0;
    let decodeSeqs = 0;
    let decodeKv = 0;
    const prefill: PrefillSeq[] = [];
    for (const e of batch) {
      tokens += e.newTokens;
      if (e.newTokens === 1) {
        decodeSeqs++;
        // The new token's K and V are written first and read with the rest.
        decodeKv += e.contextTokens + 1;
      } else if (e.newTokens > 1) {
        prefill.push(e);
      }
    }
    const groups: OpGroupTime[] = [];
    const add = (name: string, r: Roof) => groups.push({ name, ms: r.ms, bound: r.bound, flops: r.flops, bytes: r.bytes });
    const d = tokens > 0 ? this.denseGroups(tokens) : null;
    if (d !== null) {
      add('qkv_proj', d.qkv);
      add('o_proj', d.o);
      add('mlp', d.mlp);
    }
    if (prefill.length > 0) add('attn_prefill', prefillAttentionTime(p.attentionPrefill, this.hw, prefill, g));
    if (decodeSeqs > 0) add('attn_decode', decodeAttentionTime(p.attentionDecode, this.hw, decodeSeqs, decodeKv, g));
    if (d !== null) {
      add('elementwise', d.elementwise);
      if (d.allreduce !== null) add('allreduce', d.allreduce);
    }
    return groups;
  }

  /** The decoder-layer groups that depend on the token count alone (`tokens` > 0): linear layers, elementwise kernels, all-reduces. */
  private denseGroups(tokens: number): { qkv: Roof; o: Roof; mlp: Roof; elementwise: Roof; allreduce: Roof | null } {
    const a = this.arch;
    const p = this.gpu.perf;
    const b = this.sizes.bytesPerElement;
    const wb = this.sizes.linearWeightBytes;
    const lhw = this.linearHw;
    const g = this.geom;
    const qDim = g.qHeads * a.headDim;
    const kvDim = g.kvHeads * a.headDim;
    const inter = a.intermediateSize / this.tp;
    // The four linear layers' GEMMs (as gemmTime(this.linearGemm, lhw, tokens, n, k, b, wb)), made once.
    const gm = (this.denseGemms ??= [
      new GemmEnvelope(this.linearGemm, lhw, qDim + 2 * kvDim, a.hiddenSize),
      new GemmEnvelope(this.linearGemm, lhw, a.hiddenSize, qDim),
      new GemmEnvelope(this.linearGemm, lhw, (a.gatedMlp ? 2 : 1) * inter, a.hiddenSize),
      new GemmEnvelope(this.linearGemm, lhw, a.hiddenSize, inter),
    ]);
    const qkv = gm[0]!.time(tokens, b, wb);
    const o = gm[1]!.time(tokens, b, wb);
    const up = gm[2]!.time(tokens, b, wb);
    const down = gm[3]!.time(tokens, b, wb);
    const mlp: Roof = {
      ms: up.ms + down.ms,
      bound: up.bound === 'compute' || down.bound === 'compute' ? 'compute' : 'memory',
      flops: up.flops + down.flops,
      bytes: up.bytes + down.bytes,
    };
    const per = elementwiseBytesPerToken(a.hiddenSize, qDim, kvDim, inter, b);
    let ms = 0;
    let bytes = 0;
    for (const op of Object.keys(per) as ElementwiseOp[]) {
      const count = ELEMENTWISE_PER_LAYER[op];
      ms += count * elementwiseMs(p.elementwise, this.hw, tokens * per[op], tokens, op);
      bytes += count * tokens * per[op];
    }
    let allreduce: Roof | null = null;
    if (this.tp > 1) {
      // Two all-reduces per layer (after O and after down), each of the tokens' hidden states.
      const arBytes = tokens * a.hiddenSize * b;
      allreduce = { ms: 2 * ringAllReduceMs(collectiveFor(p.allReduce, this.tp), this.tp, arBytes), bound: 'interconnect', flops: 0, bytes: 2 * arBytes };
    }
    return { qkv, o, mlp, elementwise: { ms, bound: 'memory', flops: 0, bytes }, allreduce };
  }

  /** Groups of one decoder layer (not multiplied by the layer count); what calibration compares against measured layers. */
  perLayerGroups(batch: readonly BatchEntry[]): OpGroupTime[] {
    return this.layerGroups(batch);
  }

  iteration(batch: readonly BatchEntry[]): IterationBreakdown {
    const a = this.arch;
    const p = this.gpu.perf;
    const L = a.numLayers;
    const groups: OpGroupTime[] = this.layerGroups(batch).map((g) => ({ ...g, ms: g.ms * L, flops: g.flops * L, bytes: g.bytes * L }));
    const layersMs = groups.reduce((acc, g) => acc + g.ms, 0);
    const perLayerMs = layersMs / L;
    let tokens = 0;
    let prefillSeqs = 0;
    let decodeSeqs = 0;
    for (const e of batch) {
      tokens += e.newTokens;
      if (e.newTokens > 1) prefillSeqs++;
      else if (e.newTokens === 1) decodeSeqs++;
    }
    // Outside the layers: LM head over sampled rows, CPU overhead, streamed (offloaded) weights.
    const sampled = batch.length;
    if (sampled > 0 && tokens > 0) {
      const head = gemmTime(p.gemm, this.hw, sampled, a.vocabSize / this.tp, a.hiddenSize, this.sizes.bytesPerElement);
      groups.push({ name: 'lm_head', ms: head.ms, bound: head.bound, flops: head.flops, bytes: head.bytes });
      if (this.sampler) groups.push({ name: 'sampler', ms: samplerMs(this.sampler, this.samplerRates, sampled, a.vocabSize), bound: 'memory', flops: 0, bytes: 0 });
    }
    if (batch.length > 0) {
      groups.push({ name: 'cpu_overhead', ms: stepOverheadMs(this.overhead, this.tp, batch.length), bound: 'cpu', flops: 0, bytes: 0 });
    }
    if (p.decodeBatchMs !== undefined && decodeSeqs > 0) {
      groups.push({ name: 'decode_batch', ms: decodeBatchMs(p.decodeBatchMs, decodeSeqs), bound: 'cpu', flops: 0, bytes: 0 });
    }
    if (this.eager && runsEager(this.eager, tokens, prefillSeqs)) {
      groups.push({ name: 'eager_launch', ms: eagerExcessMs(this.eager, L, layersMs), bound: 'cpu', flops: 0, bytes: 0 });
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
    if (this.streamingFraction > 0 && batch.length > 0) {
      const ms = this.streamingFraction * totalMs;
      groups.push({ name: 'streaming', ms, bound: 'cpu', flops: 0, bytes: 0 });
      totalMs += ms;
    }
    return { totalMs, perLayerMs, outsideLayersMs: totalMs - perLayerMs * L, groups, flops, hbmBytes };
  }

  /**
   * iteration(batch).totalMs, bit for bit, without building the breakdown: the engine prices
   * every mixed or prefill iteration, and the breakdown's objects made that a measurable share of a
   * run. Groups that depend on the token count (or row count) alone are cached; attention is
   * computed as iteration() computes it; the sum runs in iteration()'s order.
   */
  iterationMs(batch: readonly BatchEntry[]): number {
    return this.pricedMs(batch);
  }

  /** The layers' part of the last pricedMs (NaN where it fell back to iteration()). */
  private pricedLayersMs = NaN;

  iterationTimes(batch: readonly BatchEntry[], out: IterationTimes): IterationTimes {
    const totalMs = this.pricedMs(batch);
    const layersMs = this.pricedLayersMs;
    if (layersMs !== layersMs) {
      const bd = this.iteration(batch);
      out.totalMs = bd.totalMs;
      out.perLayerMs = bd.perLayerMs;
      out.outsideLayersMs = bd.outsideLayersMs;
      return out;
    }
    // As iteration() derives them from the same sums (pricedMs adds in its order).
    const L = this.arch.numLayers;
    const perLayerMs = layersMs / L;
    out.totalMs = totalMs;
    out.perLayerMs = perLayerMs;
    out.outsideLayersMs = totalMs - perLayerMs * L;
    return out;
  }

  /** iterationMs's body (not overridable: iterationTimes must match iteration(), as this does). */
  private pricedMs(batch: readonly BatchEntry[]): number {
    this.pricedLayersMs = NaN;
    let tokens = 0;
    let decodeSeqs = 0;
    let decodeKv = 0;
    let nPrefill = 0;
    const prefill = this.prefillScratch;
    const n = batch.length;
    for (let i = 0; i < n; i++) {
      const e = batch[i]!;
      const newTokens = e.newTokens;
      tokens += newTokens;
      if (newTokens === 1) {
        decodeSeqs++;
        decodeKv += e.contextTokens + 1;
      } else if (newTokens > 1) {
        if (nPrefill < prefill.length) prefill[nPrefill] = e;
        else prefill.push(e);
        nPrefill++;
      }
    }
    if (tokens === 0) return this.iteration(batch).totalMs;
    // Mostly one prompt per priced step: the scratch keeps its length and needs no `length =` (a runtime call).
    if (prefill.length !== nPrefill) prefill.length = nPrefill;
    const o = 5 * tokens;
    let dense = this.denseMs;
    if (o >= dense.length || dense[o] !== dense[o]) dense = this.cacheDense(tokens);
    const a = this.arch;
    const p = this.gpu.perf;
    const L = a.numLayers;
    let head = this.headCache[n];
    if (head === undefined) {
      head = gemmTime(p.gemm, this.hw, n, a.vocabSize / this.tp, a.hiddenSize, this.sizes.bytesPerElement).ms;
      this.headCache[n] = head;
    }
    let total = 0;
    total += dense[o]! * L;
    total += dense[o + 1]! * L;
    total += dense[o + 2]! * L;
    if (nPrefill === 1) total += this.onePromptAttentionMs(prefill) * L;
    else if (nPrefill > 0) total += prefillAttentionMs(p.attentionPrefill, this.hw, prefill, this.geom) * L;
    if (decodeSeqs > 0) {
      let d = this.decodeAttnCache[decodeSeqs];
      if (d === undefined) this.decodeAttnCache[decodeSeqs] = d = decodeAttentionParts(p.attentionDecode, this.hw, decodeSeqs, this.geom);
      total += decodeAttentionMsOf(d, decodeKv) * L;
    }
    total += dense[o + 3]! * L;
    if (this.tp > 1) total += dense[o + 4]! * L;
    const layersMs = total;
    this.pricedLayersMs = layersMs;
    total += head;
    if (this.sampler) total += samplerMs(this.sampler, this.samplerRates, n, a.vocabSize);
    total += stepOverheadMs(this.overhead, this.tp, n);
    if (p.decodeBatchMs !== undefined && decodeSeqs > 0) total += decodeBatchMs(p.decodeBatchMs, decodeSeqs);
    if (this.eager && runsEager(this.eager, tokens, nPrefill)) total += eagerExcessMs(this.eager, L, layersMs);
    if (this.offloadMs > 0) total += this.offloadMs;
    if (this.streamingFraction > 0) total += this.streamingFraction * total;
    return total;
  }

  /**
   * prefillAttentionMs of a step's one prompt chunk, memoized by its length where it has no cached
   * context (a whole prompt: every priced step of an unchunked run): a pure function of that length
   * for this model, so the memo holds the float the call returns (~3 % of a parity run's CPU).
   */
  private onePromptAttentionMs(prefill: readonly BatchEntry[]): number {
    const e = prefill[0]!;
    const n = e.newTokens;
    const p = this.gpu.perf.attentionPrefill;
    if (e.contextTokens !== 0 || (e as PrefillSeq).count !== undefined || !((n | 0) === n && n < ONE_PROMPT_MEMO_LIMIT)) return prefillAttentionMs(p, this.hw, prefill, this.geom);
    let memo = this.onePromptMs;
    if (n >= memo.length) {
      let len = Math.max(1024, memo.length);
      while (len <= n) len *= 2;
      const grown = new Float64Array(len).fill(NaN);
      grown.set(memo);
      this.onePromptMs = memo = grown;
    }
    let v = memo[n]!;
    if (v !== v) memo[n] = v = prefillAttentionMs(p, this.hw, prefill, this.geom);
    return v;
  }

  /** Fills denseMs's entry for `tokens` (> 0), computed as layerGroups computes those groups, growing it as needed; returns denseMs. */
  private cacheDense(tokens: number): Float64Array {
    const o = 5 * tokens;
    if (o >= this.denseMs.length) {
      const grown = new Float64Array(Math.max(5 * 1024, 2 * (o + 5))).fill(NaN);
      grown.set(this.denseMs);
      this.denseMs = grown;
    }
    const d = this.denseGroups(tokens);
    const dense = this.denseMs;
    dense[o] = d.qkv.ms;
    dense[o + 1] = d.o.ms;
    dense[o + 2] = d.mlp.ms;
    dense[o + 3] = d.elementwise.ms;
    dense[o + 4] = d.allreduce?.ms ?? 0;
    return dense;
  }

  /**
   * A decode-only iteration is affine in the batch's total context: every term but decode attention
   * depends on the batch size alone. The engine's fast path relies on this.
   */
  decodeCoefficients(batchSize: number): DecodeCoefficients {
    let c = this.decodeCache[batchSize];
    if (c === undefined) {
      const zero = this.iteration(Array.from({ length: batchSize }, () => ({ newTokens: 1, contextTokens: 0 })));
      // d(time)/d(context) of decode attention alone: every other term depends on the batch size only.
      const p = this.gpu.perf.attentionDecode;
      const g = this.geom;
      const kvBytesPerToken = kvBytesPerTokenOf(g);
      // Occupancy depends on the batch size and geometry only, so this stays a constant per batch size.
      const perContextTokenMs = ((1 + this.streamingFraction) * this.arch.numLayers * kvBytesPerToken) / decodeBytesPerMs(p, this.hw, batchSize, g);
      c = { fixedMs: zero.totalMs, perContextTokenMs };
      this.decodeCache[batchSize] = c;
    }
    return c;
  }
}
