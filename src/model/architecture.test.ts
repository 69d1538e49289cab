import { describe, expect, it } from 'vitest';
import { deriveSizes, type LlmArchitecture } from './architecture.js';

// Hand-checked against ../shared/reference/hardware.md Table 4 (HF config.json fields).
const llama31_8b: LlmArchitecture = {
  id: 'llama-3.1-8b', name: 'Llama-3.1-8B', hfId: 'meta-llama/Llama-3.1-8B', source: 'test',
  numLayers: 32, hiddenSize: 4096, numHeads: 32, numKvHeads: 8, headDim: 128, intermediateSize: 14336,
  vocabSize: 128256, tiedEmbeddings: false, qkvBias: false, gatedMlp: true, maxPositionEmbeddings: 131072, dtype: 'bfloat16',
};
const qwen15: LlmArchitecture = {
  ...llama31_8b, id: 'qwen2.5-1.5b-instruct', numLayers: 28, hiddenSize: 1536, numHeads: 12, numKvHeads: 2,
  intermediateSize: 8960, vocabSize: 151936, tiedEmbeddings: true, qkvBias: true,
};

describe('deriveSizes', () => {
  it('gives Llama-3.1-8B 8.03 B params and 131,072 KV bytes per token', () => {
    const d = deriveSizes(llama31_8b);
    // q 4096*4096 + kv 2*4096*1024 + o 4096*4096 + mlp 3*4096*14336 + norms 2*4096 = 218,112,000 per layer
    expect(d.paramsPerLayer).toBe(218_112_000);
    expect(d.totalParams).toBe(218_112_000 * 32 + 2 * 128256 * 4096 + 4096);
    expect(d.totalParams / 1e9).toBeCloseTo(8.03, 2);
    expect(d.kvBytesPerToken).toBe(131_072);
    expect(d.kvBytesPerTokenPerLayer).toBe(4096);
  });

  it('gives Qwen2.5-1.5B 1.54 B params (tied embeddings, QKV bias) and 28,672 KV bytes per token', () => {
    const d = deriveSizes(qwen15);
    expect(d.totalParams / 1e9).toBeCloseTo(1.544, 2);
    expect(d.kvBytesPerToken).toBe(28_672);
    expect(d.lmHeadParams).toBe(0);
  });
});
