/**
 * Parsers for ai-dynamo/aiconfigurator operator tables (converted from parquet to CSV): GEMM,
 * context (prefill) and generation (decode) attention, NCCL and vLLM custom all-reduce.
 * Only bf16 rows are kept: the perf model describes 16-bit weights and KV.
 */
import { UserError } from '../errors.js';
import { Columns, type CsvTable } from './csv.js';
import type { AllReduceSample, DecodeAttentionSample, GemmSample, PrefillAttentionSample } from './samples.js';
import { calibrateMessages } from '../messages/calibrate.js';

export function parseAicGemm(t: CsvTable): GemmSample[] {
  const c = new Columns(t);
  c.require(['gemm_dtype', 'm', 'n', 'k', 'latency'], 'aiconfigurator gemm_perf.csv');
  const out: GemmSample[] = [];
  for (const r of t.rows) {
    if (c.str(r, 'gemm_dtype') !== 'bfloat16') continue;
    out.push({
      m: c.num(r, 'm', { positive: true, integer: true }),
      n: c.num(r, 'n', { positive: true, integer: true }),
      k: c.num(r, 'k', { positive: true, integer: true }),
      ms: c.num(r, 'latency', { positive: true }),
    });
  }
  return out;
}

const ATTN_COLUMNS = ['batch_size', 'isl', 'num_heads', 'num_key_value_heads', 'head_dim', 'kv_cache_dtype', 'step', 'latency'];

function attnRows(t: CsvTable, format: string) {
  const c = new Columns(t);
  c.require(ATTN_COLUMNS, format);
  return t.rows
    .filter((r) => c.str(r, 'kv_cache_dtype') === 'bfloat16' || c.str(r, 'kv_cache_dtype') === 'float16')
    .map((r) => ({
      batch: c.num(r, 'batch_size', { positive: true, integer: true }),
      isl: c.num(r, 'isl', { positive: true, integer: true }),
      qHeads: c.num(r, 'num_heads', { positive: true, integer: true }),
      kvHeads: c.num(r, 'num_key_value_heads', { positive: true, integer: true }),
      headDim: c.num(r, 'head_dim', { positive: true, integer: true }),
      step: c.num(r, 'step', { nonNegative: true, integer: true }),
      ms: c.num(r, 'latency', { positive: true }),
      line: r.line,
    }));
}

/** Context attention: `isl` new tokens per sequence, no cached prefix (step is 0 in these tables). */
export function parseAicContextAttention(t: CsvTable): PrefillAttentionSample[] {
  return attnRows(t, 'aiconfigurator context_attention_perf.csv').map((r) => {
    if (r.step !== 0) throw new UserError(calibrateMessages.cachedPrefixAttentionUnsupported(r.step), t.file, `line ${r.line}`);
    return { batch: r.batch, seqLen: r.isl, qHeads: r.qHeads, kvHeads: r.kvHeads, headDim: r.headDim, ms: r.ms };
  });
}

/** Generation attention: `step` is the KV length minus one (the data README). */
export function parseAicGenerationAttention(t: CsvTable): DecodeAttentionSample[] {
  return attnRows(t, 'aiconfigurator generation_attention_perf.csv').map((r) => ({
    batch: r.batch,
    kvLen: r.step + 1,
    qHeads: r.qHeads,
    kvHeads: r.kvHeads,
    headDim: r.headDim,
    ms: r.ms,
  }));
}

/** NCCL all-reduce rows; message_size counts 16-bit elements. */
export function parseAicNccl(t: CsvTable): AllReduceSample[] {
  const c = new Columns(t);
  c.require(['op_name', 'num_gpus', 'message_size', 'latency'], 'aiconfigurator nccl_perf.csv');
  return t.rows
    .filter((r) => c.str(r, 'op_name') === 'all_reduce')
    .map((r) => ({ gpus: c.num(r, 'num_gpus', { positive: true, integer: true }), bytes: 2 * c.num(r, 'message_size', { positive: true }), ms: c.num(r, 'latency', { positive: true }) }));
}

/** vLLM custom all-reduce under CUDA graphs (what vLLM runs for small messages on NVLink). */
export function parseAicCustomAllReduce(t: CsvTable): AllReduceSample[] {
  const c = new Columns(t);
  c.require(['backend', 'num_gpus', 'message_size', 'latency'], 'aiconfigurator custom_allreduce_perf.csv');
  return t.rows
    .filter((r) => c.str(r, 'backend') === 'vllm_graph')
    .map((r) => ({ gpus: c.num(r, 'num_gpus', { positive: true, integer: true }), bytes: 2 * c.num(r, 'message_size', { positive: true }), ms: c.num(r, 'latency', { positive: true }) }));
}
