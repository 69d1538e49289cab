/**
 * LLM architectures as data (models/llm/<id>.json, fields named after HF config.json) and the
 * quantities derived from them: parameter counts, weight bytes and KV bytes per token. Nothing here
 * is typed in by hand; every size follows from the architecture.
 */

export interface LlmArchitecture {
  id: string;
  name: string;
  /** The Hugging Face repository the config was read from. */
  hfId: string;
  source: string;
  numLayers: number;
  hiddenSize: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  tiedEmbeddings: boolean;
  qkvBias: boolean;
  /** Gated MLP (SiLU-gated: gate, up, down) or plain two-matrix MLP. */
  gatedMlp: boolean;
  maxPositionEmbeddings: number;
  /** Weight/KV element type in the checkpoint. */
  dtype: 'float16' | 'bfloat16';
}

export interface DerivedSizes {
  /** Parameters of one decoder layer. */
  paramsPerLayer: number;
  /** Attention projection parameters (Q, K, V, O) of one layer. */
  attnParamsPerLayer: number;
  /** MLP parameters of one layer. */
  mlpParamsPerLayer: number;
  embeddingParams: number;
  lmHeadParams: number;
  /** Parameters in all decoder layers (what dense FLOPs per token scale with). */
  nonEmbeddingParams: number;
  totalParams: number;
  bytesPerElement: number;
  weightBytes: number;
  /** KV bytes per token over all layers: 2 (K,V) x layers x kvHeads x headDim x bytes. */
  kvBytesPerToken: number;
  kvBytesPerTokenPerLayer: number;
  /** Bytes per weight of the decoder's linear layers (2 unquantized; 1 fp8/int8; ~0.52 4-bit). */
  linearWeightBytes: number;
  /** Bytes per KV-cache element (2, or 1 for an fp8 KV cache). */
  kvBytesPerElement: number;
}

/** Storage precision (src/model/quantization.ts resolves it from vLLM's flags); absent: the checkpoint dtype. */
export interface StoragePrecision {
  linearWeightBytes: number;
  kvBytes: number;
}

export function bytesPerElement(dtype: LlmArchitecture['dtype']): number {
  return dtype === 'float16' || dtype === 'bfloat16' ? 2 : 4;
}

export function deriveSizes(a: LlmArchitecture, precision?: StoragePrecision): DerivedSizes {
  const qDim = a.numHeads * a.headDim;
  const kvDim = a.numKvHeads * a.headDim;
  const attn = a.hiddenSize * qDim + 2 * a.hiddenSize * kvDim + qDim * a.hiddenSize + (a.qkvBias ? qDim + 2 * kvDim : 0);
  const mlp = (a.gatedMlp ? 3 : 2) * a.hiddenSize * a.intermediateSize;
  const norms = 2 * a.hiddenSize;
  const paramsPerLayer = attn + mlp + norms;
  const embeddingParams = a.vocabSize * a.hiddenSize;
  const lmHeadParams = a.tiedEmbeddings ? 0 : a.vocabSize * a.hiddenSize;
  const nonEmbeddingParams = paramsPerLayer * a.numLayers;
  const totalParams = nonEmbeddingParams + embeddingParams + lmHeadParams + a.hiddenSize;
  const b = bytesPerElement(a.dtype);
  const wq = precision?.linearWeightBytes ?? b;
  const kvB = precision?.kvBytes ?? b;
  const kvPerLayer = 2 * kvDim * kvB;
  // Quantization covers the linear layers' weight matrices; biases, norms, embeddings and the LM head keep the model dtype.
  const linearPerLayer = a.hiddenSize * qDim + 2 * a.hiddenSize * kvDim + qDim * a.hiddenSize + mlp;
  const weightBytes = totalParams * b - linearPerLayer * a.numLayers * (b - wq);
  return {
    paramsPerLayer,
    attnParamsPerLayer: attn,
    mlpParamsPerLayer: mlp,
    embeddingParams,
    lmHeadParams,
    nonEmbeddingParams,
    totalParams,
    bytesPerElement: b,
    weightBytes,
    kvBytesPerToken: kvPerLayer * a.numLayers,
    kvBytesPerTokenPerLayer: kvPerLayer,
    linearWeightBytes: wq,
    kvBytesPerElement: kvB,
  };
}
