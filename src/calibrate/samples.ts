/**
 * Measured operator timings, normalised from every supported source format into one vocabulary.
 * Times are milliseconds for one op on one GPU (one layer where the op is per layer).
 */

/** The geometry of a Llama-style model as the vidur tables describe it. */
export interface ModelShape {
  /** A label for reports and held-out splits, e.g. "Llama-2-7b-hf". */
  name: string;
  hidden: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  vocab: number;
  gatedMlp: boolean;
}

/** One GEMM: m rows (tokens) by a k x n weight. */
export interface GemmSample {
  m: number;
  n: number;
  k: number;
  ms: number;
  /** The model shape it came from, when the source is a per-model table (vidur). */
  model?: string;
  tp?: number;
}

/** Per-layer op times of one model at one token count and TP (vidur mlp.csv row). */
export interface LayerSample {
  model: ModelShape;
  tp: number;
  tokens: number;
  /** Median ms per op: attn_pre_proj, attn_post_proj, mlp_up_proj, mlp_down_proj, input_layernorm, ... */
  opsMs: Record<string, number>;
}

export interface PrefillAttentionSample {
  batch: number;
  /** New tokens per sequence (no cached prefix). */
  seqLen: number;
  qHeads: number;
  kvHeads: number;
  headDim: number;
  ms: number;
}

export interface DecodeAttentionSample {
  batch: number;
  /** KV length per sequence, including the token being decoded. */
  kvLen: number;
  qHeads: number;
  kvHeads: number;
  headDim: number;
  ms: number;
}

export interface AllReduceSample {
  gpus: number;
  bytes: number;
  ms: number;
}

export interface CpuOverheadSample {
  model: string;
  batch: number;
  tp: number;
  ms: number;
}

export type CopyKind = 'h2d' | 'd2h' | 'bidir' | 'd2d';
export interface CopySample {
  kind: CopyKind;
  pinned: boolean;
  bytes: number;
  ms: number;
}

/**
 * One whole engine iteration measured end to end (pdsim's llama.cpp profiler, `iter_prefill` /
 * `iter_decode` rows): the full forward pass of `model` for a batch, sampling included. Fitted by
 * fit-iterations.ts through the perf model's own iteration time.
 */
export interface EngineIterationSample {
  model: ModelShape & { layers: number };
  phase: 'prefill' | 'decode';
  /** Prefill: 1 sequence. Decode: sequences stepped together. */
  batch: number;
  /** Prefill: prompt tokens computed in the iteration. Decode: 1. */
  newTokens: number;
  /** Decode: KV length per sequence including the new token. Prefill: newTokens. */
  kvLen: number;
  ms: number;
}

export interface SourceFile {
  file: string;
  sha256: string;
  format: string;
  rows: number;
}

export interface SampleSet {
  gemm: GemmSample[];
  layers: LayerSample[];
  prefill: PrefillAttentionSample[];
  decode: DecodeAttentionSample[];
  allReduce: AllReduceSample[];
  cpu: CpuOverheadSample[];
  copies: CopySample[];
  iterations: EngineIterationSample[];
  sources: SourceFile[];
}

export function emptySampleSet(): SampleSet {
  return { gemm: [], layers: [], prefill: [], decode: [], allReduce: [], cpu: [], copies: [], iterations: [], sources: [] };
}

export function mergeInto(into: SampleSet, from: SampleSet): void {
  into.gemm.push(...from.gemm);
  into.layers.push(...from.layers);
  into.prefill.push(...from.prefill);
  into.decode.push(...from.decode);
  into.allReduce.push(...from.allReduce);
  into.cpu.push(...from.cpu);
  into.copies.push(...from.copies);
  into.iterations.push(...from.iterations);
  into.sources.push(...from.sources);
}

/** The four linear ops of a layer sample as GEMMs (head dim = hidden / heads, KV heads replicated below 1 per GPU). */
export function layerGemms(s: LayerSample): (GemmSample & { op: string })[] {
  const m = s.model;
  const hd = m.hidden / m.heads;
  const q = (m.heads * hd) / s.tp;
  const kv = Math.max(1, m.kvHeads / s.tp) * hd;
  const inter = m.intermediate / s.tp;
  const shapes: [string, number, number][] = [
    ['attn_pre_proj', q + 2 * kv, m.hidden],
    ['attn_post_proj', m.hidden, q],
    ['mlp_up_proj', (m.gatedMlp ? 2 : 1) * inter, m.hidden],
    ['mlp_down_proj', m.hidden, inter],
  ];
  const out: (GemmSample & { op: string })[] = [];
  for (const [op, n, k] of shapes) {
    const ms = s.opsMs[op];
    if (ms !== undefined) out.push({ op, m: s.tokens, n, k, ms, model: m.name, tp: s.tp });
  }
  return out;
}

export const LINEAR_OPS = ['attn_pre_proj', 'attn_post_proj', 'mlp_up_proj', 'mlp_down_proj'] as const;
export const ELEMENTWISE_OPS = ['input_layernorm', 'post_attention_layernorm', 'attn_rope', 'mlp_act', 'add'] as const;
