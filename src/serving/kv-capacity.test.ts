import { describe, expect, it } from 'vitest';
import { deriveSizes } from '../model/architecture.js';
import { loadLlm } from '../model/catalog.js';
import { kvCapacity } from './kv-capacity.js';

const GiB = 2 ** 30;

describe('weight offload (--cpu-offload-gb) in the memory budget', () => {
  // Qwen2.5-1.5B (tied embeddings): vLLM offloads decoder layers only; the embedding (vocab x hidden)
  // and final norm stay on the GPU whatever the budget.
  const arch = loadLlm('qwen2.5-1.5b-instruct');
  const sizes = deriveSizes(arch);
  const base = { arch, sizes, tp: 1, memGiB: 8, gpuMemoryUtilization: 0.55, maxNumBatchedTokens: 2048, maxNumSeqs: 64, blockSizeTokens: 16, activationReserveGiB: 0.5 };
  it('a budget larger than the decoder layers offloads exactly the decoder layers', () => {
    const c = kvCapacity({ ...base, cpuOffloadGiB: 8 });
    expect(c.offloadedWeightBytesPerGpu).toBe(sizes.nonEmbeddingParams * sizes.bytesPerElement);
    // What stays: embedding + final norm.
    expect(c.weightBytesPerGpu - c.offloadedWeightBytesPerGpu).toBe((sizes.embeddingParams + arch.hiddenSize) * sizes.bytesPerElement);
  });
  it('a smaller budget offloads that much, and frees that much for KV', () => {
    const none = kvCapacity({ ...base, cpuOffloadGiB: 0 });
    const half = kvCapacity({ ...base, cpuOffloadGiB: 0.5 });
    expect(half.offloadedWeightBytesPerGpu).toBe(0.5 * GiB);
    const freedBlocks = (0.5 * GiB) / none.kvBytesPerBlockPerGpu;
    expect(Math.abs(half.numGpuBlocks - none.numGpuBlocks - freedBlocks)).toBeLessThanOrEqual(1);
  });
});
