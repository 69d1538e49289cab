/**
 * Time of one operator on one GPU, as the perf model sees it. These functions are shared by the
 * RooflinePerfModel (which composes them into iterations) and by `pdsim calibrate` (which fits
 * their parameters to measured operator timings), so the model that is fitted is exactly the model
 * that is used.
 *
 * Every op: a fixed latency (launch + kernel prologue) plus the roofline max(compute, memory).
 */
import { efficiency, type EfficiencyCurve, type GpuPerfParams } from '../model/gpu.js';

export type Bound = 'compute' | 'memory' | 'interconnect' | 'host-link' | 'cpu';

export interface Roof {
  ms: number;
  bound: Bound;
  flops: number;
  bytes: number;
}

/** Peak rates of one GPU in the units the formulas use. */
export interface HwRates {
  peakFlopsPerMs: number;
  hbmBytesPerMs: number;
  /** Streaming multiprocessors, when the profile gives them (occupancy and wave terms need it). */
  numSms?: number;
}

export function hwRates(fp16Tflops: number, hbmBandwidthGBps: number, numSms?: number): HwRates {
  return { peakFlopsPerMs: fp16Tflops * 1e9, hbmBytesPerMs: hbmBandwidthGBps * 1e6, ...(numSms !== undefined && numSms > 0 ? { numSms } : {}) };
}

/** The rates of a GPU profile. */
export function hwRatesOf(gpu: { fp16Tflops: number; hbmBandwidthGBps: number; numSms?: number }): HwRates {
  return hwRates(gpu.fp16Tflops, gpu.hbmBandwidthGBps, gpu.numSms);
}

/** GEMM compute efficiency for an (m x k) x (k x n) product; in (0, max], increasing in m and in n*k. */
export function gemmEfficiency(p: GpuPerfParams['gemm'], m: number, n: number, k: number): number {
  const nk = n * k;
  const shape = p.shapeHalfAtElems && p.shapeHalfAtElems > 0 ? nk / (nk + p.shapeHalfAtElems) : 1;
  return efficiency(p.compute, m) * shape;
}

/** Rows as the tensor cores compute them: m padded up to the profile's row tile. */
export function paddedRows(p: GpuPerfParams['gemm'], m: number): number {
  const t = p.rowTile;
  return t && t > 1 ? Math.ceil(m / t) * t : m;
}

/** Fraction of the SMs busy over a GEMM's waves of output tiles, or 1 without wave data. */
export function waveUtilization(p: GpuPerfParams['gemm'], hw: HwRates, m: number, n: number): number {
  const w = p.wave;
  if (!w || !hw.numSms || w.exponent <= 0) return 1;
  const tiles = Math.ceil(m / w.tileRows) * Math.ceil(n / w.tileCols);
  const waves = Math.ceil(tiles / hw.numSms);
  return Math.pow(tiles / (waves * hw.numSms), w.exponent);
}

/** Compute time of a GEMM (no launch, no memory roof), before the monotone envelope. */
export function gemmComputeRaw(p: GpuPerfParams['gemm'], hw: HwRates, m: number, n: number, k: number): number {
  const mp = paddedRows(p, m);
  return (2 * mp * n * k) / (hw.peakFlopsPerMs * gemmEfficiency(p, mp, n, k) * waveUtilization(p, hw, m, n));
}

/**
 * Compute time of a GEMM with row padding and wave quantization. A partial wave exponent can make
 * the raw formula dip where one more tile row improves the wave fill; physically adding rows never
 * makes a GEMM faster, so the time is the running maximum over the ends of the earlier tile rows.
 */
export function gemmComputeMs(p: GpuPerfParams['gemm'], hw: HwRates, m: number, n: number, k: number): number {
  let t = gemmComputeRaw(p, hw, m, n, k);
  const w = p.wave;
  if (w && hw.numSms && w.exponent > 0) {
    const rowsBefore = Math.ceil(m / w.tileRows) - 1;
    for (let j = 1; j <= rowsBefore; j++) t = Math.max(t, gemmComputeRaw(p, hw, j * w.tileRows, n, k));
  }
  return t;
}

/**
 * One GEMM of m rows (tokens) by a k x n weight matrix; bytes = read A and B, write C. A quantized
 * weight matrix (`weightBytesPerElement` < the activations') is read at its own width.
 */
export function gemmTime(p: GpuPerfParams['gemm'], hw: HwRates, m: number, n: number, k: number, bytesPerElement: number, weightBytesPerElement = bytesPerElement): Roof {
  return gemmRoof(p, hw, m, n, k, gemmComputeMs(p, hw, m, n, k), bytesPerElement, weightBytesPerElement);
}

/** gemmTime given the GEMM's compute time `c` (gemmComputeMs, or a cache of it: gemm-envelope.ts). */
export function gemmRoof(p: GpuPerfParams['gemm'], hw: HwRates, m: number, n: number, k: number, c: number, bytesPerElement: number, weightBytesPerElement: number): Roof {
  const flops = 2 * m * n * k;
  const bytes = (m * k + m * n) * bytesPerElement + k * n * weightBytesPerElement;
  const mem = bytes / (hw.hbmBytesPerMs * p.memoryEfficiency);
  return { ms: Math.max(c, mem) + p.launchUs / 1000, bound: c >= mem ? 'compute' : 'memory', flops, bytes };
}

/** A sequence's part in a prefill attention kernel. */
export interface PrefillSeq {
  newTokens: number;
  contextTokens: number;
  /** This many identical sequences (default 1); lets calibration price a batch of equal prompts in O(1). */
  count?: number;
}

/** Geometry of attention on one GPU (heads already divided by TP). */
export interface AttnGeometry {
  qHeads: number;
  kvHeads: number;
  headDim: number;
  bytesPerElement: number;
  /** Bytes per KV-cache element when it differs from the activations' (fp8 KV cache). */
  kvBytesPerElement?: number;
}

/** KV bytes per token per layer of this geometry. */
export function kvBytesPerTokenOf(g: AttnGeometry): number {
  return 2 * g.kvHeads * g.headDim * (g.kvBytesPerElement ?? g.bytesPerElement);
}

/**
 * One varlen prefill attention kernel over several sequences. Causal FLOPs of a chunk of n new
 * tokens after c cached ones: QK^T and PV, 2 x 2 x d per (query, key) pair, n*c + n(n+1)/2 pairs.
 */
export function prefillAttentionTime(p: GpuPerfParams['attentionPrefill'], hw: HwRates, seqs: readonly PrefillSeq[], g: AttnGeometry): Roof {
  prefillAttentionSums(p, hw, seqs, g);
  const computeMs = SUMS[0]!;
  const bytes = SUMS[1]!;
  const memMs = bytes / (hw.hbmBytesPerMs * p.memoryEfficiency);
  return { ms: Math.max(computeMs, memMs) + p.launchUs / 1000, bound: computeMs >= memMs ? 'compute' : 'memory', flops: SUMS[2]!, bytes };
}

/**
 * prefillAttentionTime(...).ms, bit for bit, without the Roof: the engine prices every prefill
 * step, and the object with its three boxed numbers was ~10 MB of a parity run's allocation.
 */
export function prefillAttentionMs(p: GpuPerfParams['attentionPrefill'], hw: HwRates, seqs: readonly PrefillSeq[], g: AttnGeometry): number {
  prefillAttentionSums(p, hw, seqs, g);
  const computeMs = SUMS[0]!;
  const memMs = SUMS[1]! / (hw.hbmBytesPerMs * p.memoryEfficiency);
  return Math.max(computeMs, memMs) + p.launchUs / 1000;
}

/**
 * efficiency(c, x), memoized for integer x below MEMO_LIMIT per curve object (a pure function:
 * the memo holds the float a call returns). Prefill pricing evaluates four curves per priced step,
 * two Math.pow each, at token counts a run meets again and again (~4 % of a 16-replica run).
 */
export function curveAt(c: EfficiencyCurve, x: number): number {
  if (!((x | 0) === x && x >= 0 && x < MEMO_LIMIT)) return efficiency(c, x);
  let memo = c === memoCurveA ? memoA : c === memoCurveB ? memoB : curveMemos.get(c);
  if (memo === undefined || x >= memo.length) memo = growMemo(c, memo, x);
  if (c !== memoCurveA) {
    memoCurveB = memoCurveA;
    memoB = memoA;
    memoCurveA = c;
    memoA = memo;
  }
  let v = memo[x]!;
  if (v !== v) memo[x] = v = efficiency(c, x);
  return v;
}

// At most 1 MiB a curve (a Mooncake run's long prompts reached 2^20 entries, 8 MiB, +4 MB of peak RSS).
const MEMO_LIMIT = 1 << 17;
const curveMemos = new WeakMap<EfficiencyCurve, Float64Array>();
/** The two curves met last and their memos (a prefill step alternates between two). */
let memoCurveA: EfficiencyCurve | null = null;
let memoA: Float64Array = new Float64Array(0);
let memoCurveB: EfficiencyCurve | null = null;
let memoB: Float64Array = new Float64Array(0);

/** The memo of c, holding index x (NaN where not computed yet), grown by doubling. */
function growMemo(c: EfficiencyCurve, memo: Float64Array | undefined, x: number): Float64Array {
  let n = Math.max(1024, memo?.length ?? 0);
  while (n <= x) n *= 2;
  const grown = new Float64Array(n).fill(NaN);
  if (memo !== undefined) grown.set(memo);
  curveMemos.set(c, grown);
  if (c === memoCurveA) memoA = grown;
  if (c === memoCurveB) memoB = grown;
  return grown;
}

/** prefillAttentionSums' results: compute ms, bytes, flops (read at once by the two callers above). */
const SUMS = new Float64Array(3);

/** Prefill attention's compute time, bytes and flops summed over `seqs`, into SUMS. */
function prefillAttentionSums(p: GpuPerfParams['attentionPrefill'], hw: HwRates, seqs: readonly PrefillSeq[], g: AttnGeometry): void {
  const qDim = g.qHeads * g.headDim;
  const kvBytesPerToken = kvBytesPerTokenOf(g);
  let totalNew = 0;
  for (const s of seqs) totalNew += s.newTokens * (s.count ?? 1);
  const par = p.parallel ? curveAt(p.parallel, totalNew * g.qHeads) : 1;
  let flops = 0;
  let bytes = 0;
  let computeMs = 0;
  for (const s of seqs) {
    const n = s.newTokens;
    const count = s.count ?? 1;
    const f = count * 4 * qDim * n * (s.contextTokens + (n + 1) / 2);
    flops += f;
    bytes += count * (2 * n * qDim * g.bytesPerElement + (s.contextTokens + n) * kvBytesPerToken);
    const raw = f / (hw.peakFlopsPerMs * curveAt(p.compute, s.contextTokens + n) * par);
    // The fitted curves rise faster than the work at a handful of tokens, which would make 4 new
    // tokens cheaper than 2; a chunk never takes less than a one-token chunk on the same context.
    const f1 = count * 4 * qDim * (s.contextTokens + 1);
    const par1 = p.parallel ? curveAt(p.parallel, (totalNew - (n - 1) * count) * g.qHeads) : 1;
    const one = f1 / (hw.peakFlopsPerMs * curveAt(p.compute, s.contextTokens + 1) * par1);
    computeMs += Math.max(raw, one);
  }
  SUMS[0] = computeMs;
  SUMS[1] = bytes;
  SUMS[2] = flops;
}

/**
 * One decode attention kernel for `batch` sequences whose KV lengths (cached + the new token) sum
 * to `kvTokens`. Memory-bound: it reads every K and V once. Affine in kvTokens for a fixed batch.
 */
export function decodeAttentionTime(p: GpuPerfParams['attentionDecode'], hw: HwRates, batch: number, kvTokens: number, g: AttnGeometry): Roof {
  const d = decodeAttentionParts(p, hw, batch, g);
  const bytes = kvTokens * d.kvBytesPerToken + d.batchBytes;
  const qDim = g.qHeads * g.headDim;
  return { ms: decodeAttentionMsOf(d, kvTokens), bound: 'memory', flops: 4 * qDim * kvTokens, bytes };
}

/** What decode attention's time depends on besides the KV tokens: the batch size and geometry. */
export interface DecodeAttentionParts {
  fixedMs: number;
  kvBytesPerToken: number;
  /** Bytes of the queries and outputs (2 x batch x qDim elements). */
  batchBytes: number;
  bytesPerMs: number;
}

/** The batch-size terms of decodeAttentionTime, which the perf model caches per batch size. */
export function decodeAttentionParts(p: GpuPerfParams['attentionDecode'], hw: HwRates, batch: number, g: AttnGeometry): DecodeAttentionParts {
  const qDim = g.qHeads * g.headDim;
  const fixedUs = p.launchUs + (p.perQueryHeadUs ?? 0) * batch * g.qHeads + (p.perKvHeadUs ?? 0) * batch * g.kvHeads;
  return { fixedMs: fixedUs / 1000, kvBytesPerToken: kvBytesPerTokenOf(g), batchBytes: batch * 2 * qDim * g.bytesPerElement, bytesPerMs: decodeBytesPerMs(p, hw, batch, g) };
}

/** decodeAttentionTime(...).ms from its batch-size parts, for `kvTokens` KV tokens (cached + new) in all. */
export function decodeAttentionMsOf(d: DecodeAttentionParts, kvTokens: number): number {
  return d.fixedMs + (kvTokens * d.kvBytesPerToken + d.batchBytes) / d.bytesPerMs;
}

/**
 * Fraction of the bandwidth decode attention's thread blocks can draw. Without split-KV:
 * min(1, items / (SMs x items per SM)), items = sequences x KV heads. With split-KV (the kernel
 * family listed in `occupancy.splitKv`): each item is cut into `flashSplits` thread blocks and the
 * blocks draw 1 - exp(-blocks / (SMs x ctasPerSm)) of it (a block is latency-bound: several per SM
 * are needed to saturate HBM; the exponential is the saturating curve, fitted per GPU).
 */
export function decodeOccupancy(p: GpuPerfParams['attentionDecode'], hw: HwRates, batch: number, g: AttnGeometry): number {
  const o = p.occupancy;
  if (!o || !hw.numSms) return 1;
  const family = g.kvHeads >= g.qHeads ? 'mha' : 'gqa';
  const items = batch * g.kvHeads;
  const sk = o.splitKv;
  if (sk && sk.families.includes(family) && sk.ctasPerSm > 0) {
    const ctas = items * flashSplits(items, hw.numSms, sk.maxSplits);
    return 1 - Math.exp(-ctas / (hw.numSms * sk.ctasPerSm));
  }
  const perSm = family === 'mha' ? o.mhaItemsPerSm : o.gqaItemsPerSm;
  if (!(perSm > 0)) return 1;
  return Math.min(1, items / (hw.numSms * perSm));
}

/**
 * Split-KV partitions per (sequence, KV head) item: FlashAttention's num_splits_heuristic
 * (flash-attention csrc/flash_attn/flash_api.cpp, also in vLLM's vllm_flash_attn fork): one split
 * once items fill 80% of the SMs; otherwise the smallest split count whose wave efficiency
 * (n_waves / ceil(n_waves), n_waves = items x splits / SMs) is within 85% of the best, up to
 * maxSplits. vLLM V1 caps maxSplits at 16 under CUDA graphs (_DEFAULT_MAX_NUM_SPLITS_FOR_CUDA_GRAPH
 * in vllm/v1/attention/backends/flash_attn.py). The heuristic's third cap, the KV length in
 * 128-token blocks, is left out (it binds only below 16 x 128 = 2048 tokens, where the kernel's fixed
 * costs dominate), so occupancy stays independent of context and a decode step affine in it.
 */
export function flashSplits(items: number, numSms: number, maxSplits: number): number {
  if (items >= 0.8 * numSms) return 1;
  const cap = Math.max(1, Math.min(maxSplits, numSms));
  const eff = (s: number) => {
    const waves = (items * s) / numSms;
    return waves / Math.ceil(waves);
  };
  let best = 0;
  for (let s = 1; s <= cap; s++) best = Math.max(best, eff(s));
  for (let s = 1; s <= cap; s++) if (eff(s) >= 0.85 * best) return s;
  return 1;
}

/** Bytes per ms decode attention reads KV at for a batch of this size (depends on batch and geometry only). */
export function decodeBytesPerMs(p: GpuPerfParams['attentionDecode'], hw: HwRates, batch: number, g: AttnGeometry): number {
  return hw.hbmBytesPerMs * p.memoryEfficiency * decodeOccupancy(p, hw, batch, g);
}

/**
 * One memory-bound elementwise kernel over `tokens` rows moving `bytes` (reads + writes); `op`
 * picks its own efficiency if the profile has one.
 */
export function elementwiseMs(p: GpuPerfParams['elementwise'], hw: HwRates, bytes: number, tokens: number, op?: ElementwiseOp): number {
  const eff = (op !== undefined ? p.byOp?.[op] : undefined) ?? p.memoryEfficiency;
  const par = p.parallel ? efficiency(p.parallel, tokens) : 1;
  const bulk = bytes / (hw.hbmBytesPerMs * eff * par);
  const rowGBps = op !== undefined ? p.rowGBps?.[op] : undefined;
  // One thread block per token row: a row is read no faster than one block can stream it.
  const floor = rowGBps && rowGBps > 0 && tokens > 0 ? bytes / tokens / (rowGBps * 1e6) : 0;
  return Math.max(bulk, floor) + p.launchUs / 1000;
}

/** Shapes of the elementwise kernels of one Llama-style layer, in bytes moved per token. */
export function elementwiseBytesPerToken(hidden: number, qDim: number, kvDim: number, interPerGpu: number, bytesPerElement: number): Record<ElementwiseOp, number> {
  return {
    // RMSNorm reads and writes the hidden state.
    input_layernorm: 2 * hidden * bytesPerElement,
    post_attention_layernorm: 2 * hidden * bytesPerElement,
    // RoPE rotates Q and K in place.
    attn_rope: 2 * (qDim + kvDim) * bytesPerElement,
    // SiLU(gate) * up: reads two halves, writes one.
    mlp_act: 3 * interPerGpu * bytesPerElement,
    // Residual add: two reads, one write (two per layer).
    add: 3 * hidden * bytesPerElement,
  };
}

export type ElementwiseOp = 'input_layernorm' | 'post_attention_layernorm' | 'attn_rope' | 'mlp_act' | 'add';
/** How many times each elementwise op runs per layer (two residual adds). */
export const ELEMENTWISE_PER_LAYER: Record<ElementwiseOp, number> = {
  input_layernorm: 1,
  post_attention_layernorm: 1,
  attn_rope: 1,
  mlp_act: 1,
  add: 2,
};
