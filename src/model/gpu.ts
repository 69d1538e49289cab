/**
 * GPU hardware profiles as data (models/gpu/<id>.json): datasheet figures with sources, plus the
 * efficiency curves the perf model uses. Calibrated profiles carry the provenance of their fit;
 * uncalibrated ones say so and give an expected error band.
 */

/**
 * A saturating efficiency curve: eta(x) = max * x^exponent / (x^exponent + halfAt^exponent).
 * `halfAt` 0 means a constant `max`. `max` lies in (0, 1].
 */
export interface EfficiencyCurve {
  max: number;
  halfAt: number;
  exponent: number;
}

export function efficiency(c: EfficiencyCurve, x: number): number {
  if (c.halfAt <= 0) return c.max;
  const xe = Math.pow(Math.max(x, 1e-9), c.exponent);
  return (c.max * xe) / (xe + Math.pow(c.halfAt, c.exponent));
}

export interface CollectiveModel {
  /** Fixed latency of one all-reduce (alpha). */
  latencyUs: number;
  /** Bus bandwidth of a ring all-reduce: t = alpha + 2 (n-1)/n * S / busBw. */
  busBandwidthGBps: number;
}

export interface GpuPerfParams {
  /**
   * Dense GEMMs (QKV, O, MLP, LM head): compute efficiency vs rows m (tokens), times
   * nk / (nk + shapeHalfAtElems) for the weight matrix size n*k (small matrices leave SMs idle);
   * memory efficiency for the weight-streaming (small m) regime; fixed latency per kernel.
   */
  gemm: {
    compute: EfficiencyCurve;
    memoryEfficiency: number;
    launchUs: number;
    shapeHalfAtElems?: number;
    /**
     * Tensor-core kernels compute whole row tiles: m is padded up to a multiple of this (e.g. 64)
     * in the compute term, so 65 rows cost as much as 128. Absent: no padding.
     */
    rowTile?: number;
    /**
     * Wave quantization: the output is cut into tileRows x tileCols tiles, one per SM at a time, so
     * the last wave of ceil(tiles / numSms) runs part-empty. Compute efficiency is multiplied by
     * (tiles / (waves x numSms))^exponent; exponent in [0, 1] (1: full quantization, 0: none, as
     * cuBLAS hides part of it with other tile shapes and split-K). Needs the profile's numSms.
     */
    wave?: { tileRows: number; tileCols: number; exponent: number };
  };
  /**
   * Prefill (context) attention: compute efficiency vs the sequence's KV length (new + cached
   * tokens), times `parallel` (max 1) vs the work available to the kernel: new tokens in the batch x
   * query heads per GPU. Without `parallel` only the first factor applies.
   */
  attentionPrefill: { compute: EfficiencyCurve; memoryEfficiency: number; launchUs: number; parallel?: EfficiencyCurve };
  /**
   * Decode attention: KV read at this fraction of HBM bandwidth, plus fixed costs per query-head
   * row (sequence x query heads per GPU) and per KV-head block (sequence x KV heads per GPU) that
   * do not depend on context length, so a decode iteration stays affine in total context.
   */
  attentionDecode: {
    memoryEfficiency: number;
    launchUs: number;
    perQueryHeadUs?: number;
    perKvHeadUs?: number;
    /**
     * Occupancy: the kernel runs one thread block per (sequence, KV head) work item, or splits each
     * sequence's KV across several (split-KV / flash-decoding). With too few items to fill the SMs
     * the KV is read at a fraction min(1, items / (numSms x itemsPerSm)) of the bandwidth. `mha`
     * applies where KV heads == query heads, `gqa` to grouped-query geometries (a GPU's kernels may
     * split only one of them). Depends on batch size and geometry only, never on context lengths,
     * so a decode iteration stays affine in total context. Needs numSms; absent: full occupancy.
     */
    occupancy?: {
      mhaItemsPerSm: number;
      gqaItemsPerSm: number;
      /**
       * Split-KV (flash-decoding) for the listed kernel families: items are cut into FlashAttention's
       * num_splits (at most maxSplits) and the bandwidth drawn saturates in thread blocks per SM
       * (see decodeOccupancy in src/perf/op-times.ts). The families and ctasPerSm are fitted per GPU.
       */
      splitKv?: { maxSplits: number; ctasPerSm: number; families: ('mha' | 'gqa')[] };
    };
  };
  /**
   * Norms, RoPE, activation, residual adds: memory-bound. `byOp` gives a kernel its own achieved
   * bandwidth fraction (an RMSNorm reduces in fp32 and reaches far less than a residual add).
   * `parallel` (max 1) scales bandwidth by the token rows in flight: these kernels run one thread
   * block per token, so a handful of tokens cannot keep the memory system busy.
   */
  elementwise: {
    memoryEfficiency: number;
    launchUs: number;
    byOp?: Record<string, number>;
    parallel?: EfficiencyCurve;
    /**
     * Per-row floor: these kernels run one thread block per token row, and one block alone reads
     * its row at this bandwidth (GB/s, by op), so with few rows a kernel takes at least
     * rowBytes / rowGBps however few rows there are (time = launch + max(that, bytes / bandwidth)).
     */
    rowGBps?: Record<string, number>;
  };
  /** All-reduce for tensor parallelism; `byTp` overrides per GPU count ("2", "4", "8"). */
  allReduce: CollectiveModel & { byTp?: Record<string, CollectiveModel> };
  /**
   * Per-iteration CPU overhead fitted by `pdsim calibrate` on the profile's host table (vidur's V0
   * data), reported in docs/accuracy.md. Predictions do not read it: the engine's overhead depends on
   * the vLLM version, TP and batch and is one model for every GPU (src/perf/step-overhead.ts).
   */
  cpuOverhead: { baseMs: number; perSeqMs: number };
  /**
   * Optional decode batch-shape correction, ms per forward pass, by the number b of sequences in
   * it that compute one token: entry b - 1 (may be negative; b beyond the table: 0). Fitted by
   * `pdsim calibrate` on whole engine iterations (a profile's decode rows at b = 1..maxBatch) as
   * what the roofline terms leave at each b (src/perf/decode-batch.ts says why a table). Absent:
   * no correction (every profile but a live engine's).
   */
  decodeBatchMs?: number[];
  /** What the fit saw; `pdsim perf` warns outside it. Absent for uncalibrated profiles. */
  calibratedRange?: CalibratedRange;
  /**
   * How the device's engine runs one scheduled step (src/perf/forward-passes.ts): absent, one fused
   * forward pass (vLLM); "one-token-then-chunks", llama.cpp with a KV stream per sequence.
   */
  forwardPasses?: 'one-token-then-chunks';
}

/** The envelope of the measured data a profile was fitted on. */
export interface CalibratedRange {
  /** Largest token count (GEMM rows, prefill tokens) measured. */
  maxTokens: number;
  /** Largest KV length (context) measured for attention. */
  maxContextTokens: number;
  /** Largest decode batch measured for attention. */
  maxBatch: number;
  /** Tensor-parallel degrees with measured all-reduce / layer data. */
  tp: number[];
  /**
   * Model shapes of the per-layer / whole-iteration tables (vidur folder or pdsim model name);
   * `layers` only where the table times whole iterations (per-layer tables hold one layer).
   */
  models?: CalibratedShape[];
  /** Element types the tables were measured in (weights and KV cache). */
  dtypes?: string[];
}

/** One model geometry a profile's tables measured. */
export interface CalibratedShape {
  name: string;
  hidden: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  layers?: number;
}

export interface GpuProfile {
  id: string;
  name: string;
  /** Memory the runtime reports as total (what vLLM's gpu_memory_utilization is a fraction of). */
  memGiB: number;
  hbmBandwidthGBps: number;
  /** Dense FP16/BF16 tensor-core peak. */
  fp16Tflops: number;
  fp8Tflops: number | null;
  /** Streaming multiprocessors (datasheet); used by the occupancy and wave-quantization terms. */
  numSms?: number;
  computeCapability: string;
  /** Link id (models/link) of the host link. */
  hostLink: string;
  /** Link id of the NVLink generation, or null. */
  nvlink: string | null;
  tdpW: number;
  flashAttention: boolean;
  bf16: boolean;
  calibrated: boolean;
  /** For uncalibrated profiles: the error band to expect, e.g. "±30% (datasheet + transferred efficiency)". */
  expectedError?: string;
  sources: string[];
  perf: GpuPerfParams;
  /** Where the perf parameters came from (set by `pdsim calibrate`). */
  provenance?: unknown;
}
