/**
 * Weight and KV-cache precision: what vLLM's --dtype, --quantization and --kv-cache-dtype do to
 * weight bytes, KV bytes per token and GEMM speed on a given GPU generation, and which
 * combinations vLLM refuses (sheet 6.2, 7 of ../shared/reference/vllm-engine-facts.md).
 *
 * - Quantized methods quantize the decoder's linear layers only; embeddings, norms and the LM
 *   head stay in the model dtype (online fp8 skips lm_head: sheet 7).
 * - 4-bit AWQ/GPTQ store, per group of 128 weights, an fp16 scale and a 4-bit zero point:
 *   4 + (16 + 4) / 128 bits per weight (AWQ/GPTQ group_size 128, the common checkpoints).
 * - FP8 W8A8 runs on fp8 tensor cores only from compute capability 8.9 (Ada, Hopper); below, vLLM
 *   runs fp8 checkpoints weight-only (W8A16) through FP8 Marlin: cc >= 8.0, and Turing (7.5) only
 *   since PR #29901 (Dec 2025; modelled from 0.14.0, the release is not pinned). Marlin for
 *   AWQ/GPTQ: cc >= 8.0, Turing from the same PR.
 * - INT8 W8A8 runs on int8 tensor cores on every generation here (sheet 7) at twice the dense
 *   fp16 rate (NVIDIA datasheets: T4 130 vs 65, A100 624 vs 312, L4 242 vs 121, H100 1979 vs 989).
 * - bf16 needs cc >= 8.0; on Turing vLLM wants --dtype half (sheet 6.2).
 */
import { UserError } from '../errors.js';
import { compareVersions, parseVllmVersion, type VllmVersion } from './vllm-version.js';
import { modelMessages } from '../messages/model.js';

export type WeightQuantization = 'none' | 'fp8' | 'int8' | 'awq' | 'gptq' | 'awq_marlin' | 'gptq_marlin';
export const WEIGHT_QUANTIZATIONS: readonly WeightQuantization[] = ['none', 'fp8', 'int8', 'awq', 'gptq', 'awq_marlin', 'gptq_marlin'];
export type KvCacheDtype = 'auto' | 'fp8' | 'fp8_e4m3' | 'fp8_e5m2';
export const KV_CACHE_DTYPES: readonly KvCacheDtype[] = ['auto', 'fp8', 'fp8_e4m3', 'fp8_e5m2'];
export type ModelDtype = 'auto' | 'bfloat16' | 'float16' | 'half';
export const MODEL_DTYPES: readonly ModelDtype[] = ['auto', 'bfloat16', 'float16', 'half'];

/** How a configuration computes, as the perf model needs it. */
export interface Precision {
  /** Bytes per weight of the decoder's linear layers. */
  linearWeightBytes: number;
  /** Bytes per element of activations, embeddings, LM head (the model dtype: 2). */
  activationBytes: number;
  /** Bytes per KV-cache element. */
  kvBytes: number;
  /** Tensor-core rate of the linear layers relative to the dense fp16 peak (2 for fp8/int8 W8A8). */
  linearComputeSpeedup: number;
  /** Uses the GPU's fp8 peak (fp8Tflops) rather than a multiple of fp16. */
  fp8TensorCores: boolean;
  /** One line on how it runs, e.g. "fp8 W8A16 via FP8 Marlin (no fp8 tensor cores below cc 8.9)". */
  kernel: string;
  /**
   * Row tile of the weight-only kernels: Marlin and the AWQ/GPTQ GEMMs issue 16-row MMA tiles
   * (m16n8k16; Marlin on Turing m16n8k8, sheet 7), so a decode batch is padded to 16 rows, not to
   * the fp16 GEMMs' fitted tile. Absent: the profile's.
   */
  rowTile?: number;
  /**
   * The kernel keeps the tensor cores at the GPU's large-batch GEMM efficiency at any row count
   * (the fitted curve's max, not its small-m value). Marlin: "close to ideal (4x) speedups up to
   * batchsizes of 16-32 tokens" (github.com/IST-DASLab/marlin README), its ideal being
   * max(bytes / bandwidth, flops / peak); the fp16 small-m efficiency was fitted on cuBLAS GEMMs
   * that are memory-bound there, so it never described a compute-bound kernel at 16 rows.
   */
  saturatedCompute?: boolean;
}

export interface PrecisionInput {
  quantization?: WeightQuantization;
  kvCacheDtype?: KvCacheDtype;
  dtype?: ModelDtype;
}

const FOUR_BIT_BYTES = (4 + (16 + 4) / 128) / 8;
const MARLIN_ON_TURING = parseVllmVersion('0.14.0');

/** The precision of a configuration on a GPU of compute capability `cc` under vLLM `version`; UserError (naming `field`) when vLLM would refuse it. */
export function resolvePrecision(i: PrecisionInput, gpu: { id: string; computeCapability: string; fp8Tflops: number | null }, version: VllmVersion, fields: { quantization: string; kvCacheDtype: string; dtype: string }): Precision {
  const cc = Number(gpu.computeCapability);
  const q = i.quantization ?? 'none';
  const turingMarlin = compareVersions(version, MARLIN_ON_TURING) >= 0;
  if ((i.dtype === 'bfloat16') && cc < 8) throw new UserError(modelMessages.bfloat16NeedsComputeCapability(fields.dtype, gpu.id, gpu.computeCapability));
  const base: Precision = { linearWeightBytes: 2, activationBytes: 2, kvBytes: 2, linearComputeSpeedup: 1, fp8TensorCores: false, kernel: 'fp16/bf16 tensor cores' };
  switch (q) {
    case 'none':
      break;
    case 'fp8':
      if (cc >= 8.9 && gpu.fp8Tflops) Object.assign(base, { linearWeightBytes: 1, fp8TensorCores: true, kernel: 'fp8 W8A8 on fp8 tensor cores' });
      else if (cc >= 8 || turingMarlin) Object.assign(base, { linearWeightBytes: 1, rowTile: 16, kernel: `fp8 W8A16 via FP8 Marlin (no fp8 tensor cores below cc 8.9; ${gpu.id} is ${gpu.computeCapability})` });
      else throw new UserError(modelMessages.fp8NeedsComputeCapability(fields.quantization, version.text, gpu.id, gpu.computeCapability));
      break;
    case 'int8':
      Object.assign(base, { linearWeightBytes: 1, linearComputeSpeedup: 2, kernel: 'int8 W8A8 on int8 tensor cores' });
      break;
    case 'awq':
    case 'gptq':
      Object.assign(base, { linearWeightBytes: FOUR_BIT_BYTES, rowTile: 16, kernel: `${q} 4-bit weight-only, dequantised to fp16 in the GEMM` });
      break;
    case 'awq_marlin':
    case 'gptq_marlin':
      if (cc < 8 && !turingMarlin) throw new UserError(modelMessages.quantizationNeedsComputeCapability(fields.quantization, q, version.text, gpu.id, gpu.computeCapability, q.replace('_marlin', '')));
      Object.assign(base, { linearWeightBytes: FOUR_BIT_BYTES, rowTile: 16, saturatedCompute: true, kernel: `${q.replace('_marlin', '')} 4-bit weight-only via Marlin` });
      break;
  }
  const kv = i.kvCacheDtype ?? 'auto';
  if (kv !== 'auto') {
    // FP8 KV caches arrived in vLLM 0.4 (e5m2 in 0.3.3, e4m3 with scales in 0.4.x).
    if (compareVersions(version, parseVllmVersion('0.4.0')) < 0) throw new UserError(modelMessages.noFp8KvCache(fields.kvCacheDtype, version.text));
    base.kvBytes = 1;
  }
  return base;
}

/** Parses a value into one of `allowed`, or a UserError naming the field. */
export function oneOf<T extends string>(value: string, allowed: readonly T[], field: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UserError(modelMessages.unsupportedValue(field, value, allowed.join(', ')));
}
