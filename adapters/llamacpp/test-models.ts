/**
 * Small Llama-architecture test models for the real engine, written as GGUF at test time (never
 * downloaded, never committed): random fp16 weights from a seeded generator and a made-up
 * SentencePiece-style vocabulary (<unk>, <s>, </s>, 256 byte tokens, then words) of 32,000 tokens,
 * so every token id pdsim's live client sends (src/workload prompt ids) is in range.
 *
 * The geometry of each is also a models/llm entry, so `pdsim simulate` prices the same network the
 * engine runs. Timing does not depend on weight values (dense kernels), only on shapes.
 */
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GGML_TYPE, writeGguf, type GgufTensor, type GgufValue } from './gguf-writer.js';

export interface TestModelSpec {
  /** models/llm/<id>.json with the same geometry. */
  id: string;
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  vocab: number;
  contextLength: number;
}

export const TEST_MODELS: Record<string, TestModelSpec> = {
  'llama-test-6l-512': { id: 'llama-test-6l-512', layers: 6, hidden: 512, heads: 8, kvHeads: 8, intermediate: 1408, vocab: 32000, contextLength: 4096 },
  'llama-test-12l-768': { id: 'llama-test-12l-768', layers: 12, hidden: 768, heads: 12, kvHeads: 12, intermediate: 2304, vocab: 32000, contextLength: 4096 },
};

/** Parameters, tied embeddings (the LM head reuses token_embd, as llama.cpp does when output.weight is absent). */
export function parameterCount(s: TestModelSpec): number {
  const hd = s.hidden / s.heads;
  const perLayer = s.hidden * s.hidden * 2 + 2 * s.hidden * s.kvHeads * hd + 3 * s.hidden * s.intermediate + 2 * s.hidden;
  return s.vocab * s.hidden + s.layers * perLayer + s.hidden;
}

/** The SentencePiece-style vocabulary: control tokens, byte fallback tokens <0xNN>, then words. */
export function vocabulary(size: number): { tokens: string[]; scores: Float32Array; types: Int32Array } {
  const tokens: string[] = ['<unk>', '<s>', '</s>'];
  // llama_token_type: 1 normal, 2 unknown, 3 control, 6 byte.
  const types: number[] = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; tokens.length < size; i++) {
    // Distinct words: base-26 spelling of i, every other one with the SentencePiece word-start mark.
    let w = '';
    let n = i;
    do {
      w = letters[n % 26]! + w;
      n = Math.floor(n / 26);
    } while (n > 0);
    tokens.push(i % 2 === 0 ? `\u2581${w}` : w);
    types.push(1);
  }
  const scores = new Float32Array(size);
  for (let i = 0; i < size; i++) scores[i] = types[i] === 1 ? -i : 0;
  return { tokens, scores, types: Int32Array.from(types) };
}

/** fp16 bits of a float (round to nearest; the small normal range the weights use). */
export function toHalfBits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) return sign; // flush tiny values to zero
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | Math.round(mant / 8192);
}

/** Seeded xorshift32; fills fp16 tensors from a table of normal draws (fast enough for 10^8 weights). */
function randomHalfFiller(seed: number, std: number): (count: number, emit: (c: Uint8Array) => void) => void {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const table = new Uint16Array(4096);
  for (let i = 0; i < table.length; i++) {
    // Box-Muller from two uniforms in (0, 1].
    const u1 = (next() + 1) / 4294967297;
    const u2 = next() / 4294967296;
    table[i] = toHalfBits(std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
  }
  return (count, emit) => {
    const chunk = 1 << 20;
    for (let done = 0; done < count; done += chunk) {
      const n = Math.min(chunk, count - done);
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = table[next() & 4095]!;
      emit(new Uint8Array(out.buffer));
    }
  };
}

function ones(count: number): (emit: (c: Uint8Array) => void) => void {
  return (emit) => emit(new Uint8Array(new Float32Array(count).fill(1).buffer));
}

export function ggufContent(s: TestModelSpec, seed = 1): { metadata: [string, GgufValue][]; tensors: GgufTensor[] } {
  const hd = s.hidden / s.heads;
  const kvDim = s.kvHeads * hd;
  const v = vocabulary(s.vocab);
  const metadata: [string, GgufValue][] = [
    ['general.architecture', { string: 'llama' }],
    ['general.name', { string: s.id }],
    ['general.file_type', { u32: 1 }], // MOSTLY_F16
    ['general.alignment', { u32: 32 }],
    ['llama.context_length', { u32: s.contextLength }],
    ['llama.embedding_length', { u32: s.hidden }],
    ['llama.block_count', { u32: s.layers }],
    ['llama.feed_forward_length', { u32: s.intermediate }],
    ['llama.attention.head_count', { u32: s.heads }],
    ['llama.attention.head_count_kv', { u32: s.kvHeads }],
    ['llama.rope.dimension_count', { u32: hd }],
    ['llama.rope.freq_base', { f32: 10000 }],
    ['llama.attention.layer_norm_rms_epsilon', { f32: 1e-5 }],
    ['llama.vocab_size', { u32: s.vocab }],
    ['tokenizer.ggml.model', { string: 'llama' }],
    ['tokenizer.ggml.tokens', { strings: v.tokens }],
    ['tokenizer.ggml.scores', { f32s: v.scores }],
    ['tokenizer.ggml.token_type', { i32s: v.types }],
    ['tokenizer.ggml.unknown_token_id', { u32: 0 }],
    ['tokenizer.ggml.bos_token_id', { u32: 1 }],
    ['tokenizer.ggml.eos_token_id', { u32: 2 }],
    ['tokenizer.ggml.add_bos_token', { bool: false }],
  ];
  const fill = randomHalfFiller(seed, 0.02);
  const f16 = (name: string, inner: number, outer: number): GgufTensor => ({ name, dims: [inner, outer], type: GGML_TYPE.F16, fill: (e) => fill(inner * outer, e) });
  const norm = (name: string): GgufTensor => ({ name, dims: [s.hidden], type: GGML_TYPE.F32, fill: ones(s.hidden) });
  const tensors: GgufTensor[] = [f16('token_embd.weight', s.hidden, s.vocab), norm('output_norm.weight')];
  for (let l = 0; l < s.layers; l++) {
    const p = `blk.${l}`;
    tensors.push(
      norm(`${p}.attn_norm.weight`),
      f16(`${p}.attn_q.weight`, s.hidden, s.hidden),
      f16(`${p}.attn_k.weight`, s.hidden, kvDim),
      f16(`${p}.attn_v.weight`, s.hidden, kvDim),
      f16(`${p}.attn_output.weight`, s.hidden, s.hidden),
      norm(`${p}.ffn_norm.weight`),
      f16(`${p}.ffn_gate.weight`, s.hidden, s.intermediate),
      f16(`${p}.ffn_up.weight`, s.hidden, s.intermediate),
      f16(`${p}.ffn_down.weight`, s.intermediate, s.hidden),
    );
  }
  return { metadata, tensors };
}

/** Writes `<dir>/<id>.gguf` unless it is already there (same spec, same seed: same bytes); returns its path. */
export function ensureTestModel(id: string, dir: string, seed = 1): string {
  const s = TEST_MODELS[id];
  if (!s) throw new Error(`unknown test model ${id}; known: ${Object.keys(TEST_MODELS).join(', ')}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${id}-seed${seed}.gguf`);
  if (existsSync(path) && statSync(path).size > 0) return path;
  const { metadata, tensors } = ggufContent(s, seed);
  writeGguf(`${path}.tmp`, metadata, tensors);
  renameSync(`${path}.tmp`, path);
  return path;
}
