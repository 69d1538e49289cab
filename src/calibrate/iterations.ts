/**
 * "Whole iterations" assembled from measured operator tables, and the perf model's prediction for
 * the same iterations. An iteration here is one decoder layer's complete GPU work for a batch,
 * which is the whole forward pass divided by the layer count (all layers are identical):
 *
 *   norm + QKV + RoPE + attention + O + norm + gate/up + act + down + 2 x add  (vidur mlp.csv)
 *   + attention kernel                                                        (aiconfigurator tables)
 *   + 2 x all-reduce of the tokens' hidden states when TP > 1                 (vidur/NCCL all_reduce,
 *     median of the measurements within a factor 1.5 of the message size)
 *
 * Prefill: one prompt of n tokens (vidur row at num_tokens = n, attention at batch 1, isl = n).
 * Decode: b sequences at KV length c (vidur row at num_tokens = b, attention at batch b, step c-1).
 * The LM head, sampling and CPU overhead are outside the layers and are not part of it.
 */
import type { LlmArchitecture } from '../model/architecture.js';
import type { GpuProfile } from '../model/gpu.js';
import { RooflinePerfModel, type BatchEntry } from '../perf/perf-model.js';
import type { AllReduceSample, DecodeAttentionSample, LayerSample, ModelShape, PrefillAttentionSample, SampleSet } from './samples.js';

export interface MeasuredIteration {
  phase: 'prefill' | 'decode';
  model: string;
  tp: number;
  /** Prefill: prompt tokens. Decode: batch size. */
  tokens: number;
  /** Decode: KV length per sequence. */
  kvLen?: number;
  batch: BatchEntry[];
  shape: ModelShape;
  measuredMs: number;
}

export function shapeToArch(m: ModelShape): LlmArchitecture {
  return {
    id: m.name,
    name: m.name,
    hfId: m.name,
    source: 'measured table',
    numLayers: 1,
    hiddenSize: m.hidden,
    numHeads: m.heads,
    numKvHeads: m.kvHeads,
    headDim: m.hidden / m.heads,
    intermediateSize: m.intermediate,
    vocabSize: m.vocab,
    tiedEmbeddings: false,
    qkvBias: false,
    gatedMlp: m.gatedMlp,
    maxPositionEmbeddings: 1 << 20,
    dtype: 'bfloat16',
  };
}

/**
 * Measured all-reduce time at `bytes` for `gpus`: the median of the measurements within a factor
 * 1.5 of that size. Small all-reduces in the vidur tables are bimodal run to run (20 or 60 us at
 * neighbouring sizes), so interpolating between the two nearest points would pick the noise; the
 * local median is still purely measured. Undefined outside the measured sizes.
 */
export function interpolateAllReduce(samples: readonly AllReduceSample[], gpus: number, bytes: number): number | undefined {
  const own = samples.filter((s) => s.gpus === gpus);
  if (own.length === 0) return undefined;
  let lo = Infinity;
  let hi = 0;
  for (const s of own) {
    lo = Math.min(lo, s.bytes);
    hi = Math.max(hi, s.bytes);
  }
  if (bytes < lo || bytes > hi) return undefined;
  let near = own.filter((s) => s.bytes >= bytes / 1.5 && s.bytes <= bytes * 1.5).map((s) => s.ms);
  if (near.length < 2) {
    // Sparse tables: the two nearest sizes in log distance.
    near = [...own].sort((a, b) => Math.abs(Math.log(a.bytes / bytes)) - Math.abs(Math.log(b.bytes / bytes))).slice(0, 2).map((s) => s.ms);
  }
  near.sort((a, b) => a - b);
  const m = near.length >> 1;
  return near.length % 2 ? near[m]! : (near[m - 1]! + near[m]!) / 2;
}

const LAYER_OP_COUNTS: Record<string, number> = {
  input_layernorm: 1,
  attn_pre_proj: 1,
  attn_rope: 1,
  attn_post_proj: 1,
  post_attention_layernorm: 1,
  mlp_up_proj: 1,
  mlp_act: 1,
  mlp_down_proj: 1,
  add: 2,
};

function layerOpsMs(s: LayerSample): number {
  let ms = 0;
  for (const [op, count] of Object.entries(LAYER_OP_COUNTS)) ms += count * s.opsMs[op]!;
  return ms;
}

function geometryKey(qHeads: number, kvHeads: number, headDim: number): string {
  return `${qHeads}/${kvHeads}/${headDim}`;
}

/** Attention geometries (per GPU) of a model shape at a TP degree. */
export function shapeGeometry(m: ModelShape, tp: number): string {
  return geometryKey(m.heads / tp, Math.max(1, m.kvHeads / tp), m.hidden / m.heads);
}

export function attentionGeometry(s: PrefillAttentionSample | DecodeAttentionSample): string {
  return geometryKey(s.qHeads, s.kvHeads, s.headDim);
}

/** Every iteration for which all parts were measured. */
export function composeIterations(set: SampleSet): MeasuredIteration[] {
  const prefill = new Map<string, number>();
  for (const s of set.prefill) if (s.batch === 1) prefill.set(`${attentionGeometry(s)}@${s.seqLen}`, s.ms);
  const decode = new Map<string, DecodeAttentionSample[]>();
  for (const s of set.decode) {
    const key = `${attentionGeometry(s)}@${s.batch}`;
    const list = decode.get(key) ?? [];
    list.push(s);
    decode.set(key, list);
  }
  const out: MeasuredIteration[] = [];
  for (const l of set.layers) {
    const geom = shapeGeometry(l.model, l.tp);
    let comm = 0;
    if (l.tp > 1) {
      const ar = interpolateAllReduce(set.allReduce, l.tp, l.tokens * l.model.hidden * 2);
      if (ar === undefined) continue;
      comm = 2 * ar;
    }
    const base = layerOpsMs(l) + comm;
    const p = prefill.get(`${geom}@${l.tokens}`);
    if (p !== undefined && l.tokens > 1) {
      out.push({ phase: 'prefill', model: l.model.name, tp: l.tp, tokens: l.tokens, shape: l.model, batch: [{ newTokens: l.tokens, contextTokens: 0 }], measuredMs: base + p });
    }
    for (const d of decode.get(`${geom}@${l.tokens}`) ?? []) {
      out.push({
        phase: 'decode',
        model: l.model.name,
        tp: l.tp,
        tokens: l.tokens,
        kvLen: d.kvLen,
        shape: l.model,
        batch: Array.from({ length: l.tokens }, () => ({ newTokens: 1, contextTokens: d.kvLen - 1 })),
        measuredMs: base + d.ms,
      });
    }
  }
  return out;
}

/** The perf model's time for one measured iteration (one layer, as measured). */
export function predictIterationMs(gpu: GpuProfile, it: MeasuredIteration): number {
  const model = new RooflinePerfModel(shapeToArch(it.shape), gpu, { tp: it.tp });
  return model.perLayerGroups(it.batch).reduce((acc, g) => acc + g.ms, 0);
}
