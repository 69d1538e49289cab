/**
 * GPU KV capacity the way vLLM derives `num_gpu_blocks`: the instance may use
 * `gpu_memory_utilization` x total memory; weights (minus CPU-offloaded ones) and the activation
 * peak of a profiling run of `max_num_batched_tokens` tokens (plus sampler logits, CUDA context and
 * graphs) come off the top; the rest, divided by one block's KV bytes, is the block count.
 * vLLM measures the activation peak; we estimate it (docs/metrics.md says how), and a scenario can
 * set `activationReserveGiB` or `numGpuBlocks` (e.g. read from a live server) instead.
 */
import type { DerivedSizes, LlmArchitecture } from '../model/architecture.js';

const GiB = 2 ** 30;
/** CUDA context, NCCL and allocator slack outside PyTorch tensors, per GPU (typical vLLM log lines: 0.3-0.8 GiB). */
export const NON_TORCH_BYTES = 0.5 * GiB;
/** CUDA graph capture memory (vLLM logs 0.1-0.6 GiB for 7-8B models). */
export const CUDA_GRAPH_BYTES = 0.25 * GiB;

export interface KvCapacityInput {
  arch: LlmArchitecture;
  sizes: DerivedSizes;
  tp: number;
  memGiB: number;
  gpuMemoryUtilization: number;
  maxNumBatchedTokens: number;
  maxNumSeqs: number;
  blockSizeTokens: number;
  cpuOffloadGiB: number;
  activationReserveGiB?: number;
}

export interface KvCapacity {
  budgetBytes: number;
  weightBytesPerGpu: number;
  offloadedWeightBytesPerGpu: number;
  activationReserveBytes: number;
  kvBytesPerBlockPerGpu: number;
  numGpuBlocks: number;
}

export function activationReserveBytes(i: Omit<KvCapacityInput, 'activationReserveGiB' | 'gpuMemoryUtilization' | 'memGiB' | 'blockSizeTokens' | 'cpuOffloadGiB'>): number {
  const a = i.arch;
  const b = i.sizes.bytesPerElement;
  // Live activations of the widest layer at the profiling batch: residual + QKV + gate/up outputs.
  const perToken = (4 * a.hiddenSize + (2 * (a.numHeads + 2 * a.numKvHeads) * a.headDim) / i.tp + (2 * 2 * a.intermediateSize) / i.tp) * b;
  // Sampler logits in fp32 for max_num_seqs rows.
  const logits = i.maxNumSeqs * (a.vocabSize / i.tp) * 4;
  return i.maxNumBatchedTokens * perToken + logits + NON_TORCH_BYTES + CUDA_GRAPH_BYTES;
}

export function kvCapacity(i: KvCapacityInput): KvCapacity {
  const budgetBytes = i.memGiB * GiB * i.gpuMemoryUtilization;
  const weights = i.sizes.weightBytes / i.tp;
  // vLLM's --cpu-offload-gb applies inside make_layers: decoder layers only, from layer 0 up;
  // embeddings, final norm and LM head stay on the GPU (vllm-engine-facts.md section 5).
  const decoderLayers = weights * (i.sizes.nonEmbeddingParams / i.sizes.totalParams);
  const offloaded = Math.min(decoderLayers, i.cpuOffloadGiB * GiB);
  const reserve = i.activationReserveGiB !== undefined ? i.activationReserveGiB * GiB : activationReserveBytes(i);
  const perBlock = (i.blockSizeTokens * i.sizes.kvBytesPerToken) / i.tp;
  const numGpuBlocks = Math.floor((budgetBytes - (weights - offloaded) - reserve) / perBlock);
  return { budgetBytes, weightBytesPerGpu: weights, offloadedWeightBytesPerGpu: offloaded, activationReserveBytes: reserve, kvBytesPerBlockPerGpu: perBlock, numGpuBlocks };
}
