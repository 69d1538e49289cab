/**
 * Parsers for microsoft/vidur profiling tables: per-layer op times (`mlp.csv`), NCCL collectives
 * (`network/<system>/all_reduce.csv`) and the historical vLLM CPU-overhead table.
 */
import { Columns, type CsvTable } from './csv.js';
import type { AllReduceSample, CpuOverheadSample, LayerSample, ModelShape } from './samples.js';

const LAYER_OPS = ['input_layernorm', 'attn_pre_proj', 'attn_rope', 'attn_post_proj', 'post_attention_layernorm', 'mlp_up_proj', 'mlp_act', 'mlp_down_proj', 'add'];

export const VIDUR_MLP_COLUMNS = ['n_head', 'n_kv_head', 'n_embd', 'n_expanded_embd', 'vocab_size', 'use_gated_mlp', 'num_tokens', 'num_tensor_parallel_workers'];

/** `modelName` labels the shape (the folder name in vidur's layout); duplicate rows are averaged. */
export function parseVidurMlp(t: CsvTable, modelName: string): LayerSample[] {
  const c = new Columns(t);
  c.require([...VIDUR_MLP_COLUMNS, ...LAYER_OPS.map((o) => `time_stats.${o}.median`)], 'vidur mlp.csv');
  const byKey = new Map<string, { s: LayerSample; n: number }>();
  for (const r of t.rows) {
    const model: ModelShape = {
      name: modelName,
      hidden: c.num(r, 'n_embd', { positive: true, integer: true }),
      heads: c.num(r, 'n_head', { positive: true, integer: true }),
      kvHeads: c.num(r, 'n_kv_head', { positive: true, integer: true }),
      intermediate: c.num(r, 'n_expanded_embd', { positive: true, integer: true }),
      vocab: c.num(r, 'vocab_size', { positive: true, integer: true }),
      gatedMlp: c.bool(r, 'use_gated_mlp'),
    };
    const tp = c.num(r, 'num_tensor_parallel_workers', { positive: true, integer: true });
    const tokens = c.num(r, 'num_tokens', { positive: true, integer: true });
    const opsMs: Record<string, number> = {};
    for (const op of LAYER_OPS) opsMs[op] = c.num(r, `time_stats.${op}.median`, { positive: true });
    const key = `${tp}/${tokens}`;
    const prev = byKey.get(key);
    if (prev === undefined) byKey.set(key, { s: { model, tp, tokens, opsMs }, n: 1 });
    else {
      // vidur profiled some points twice; the mean of the two medians is the honest summary.
      for (const op of LAYER_OPS) prev.s.opsMs[op] = (prev.s.opsMs[op]! * prev.n + opsMs[op]!) / (prev.n + 1);
      prev.n++;
    }
  }
  return [...byKey.values()].map((v) => v.s);
}

/**
 * NCCL all-reduce vs message size in bytes. Only single-node rows (devices_per_node equal to
 * num_workers) describe tensor parallelism inside one server.
 */
export function parseVidurAllReduce(t: CsvTable): AllReduceSample[] {
  const c = new Columns(t);
  c.require(['time_stats.all_reduce.median', 'num_workers', 'size', 'devices_per_node'], 'vidur all_reduce.csv');
  const out: AllReduceSample[] = [];
  for (const r of t.rows) {
    const gpus = c.num(r, 'num_workers', { positive: true, integer: true });
    const perNode = c.num(r, 'devices_per_node', { positive: true, integer: true });
    if (perNode !== gpus) continue;
    out.push({ gpus, bytes: c.num(r, 'size', { positive: true }), ms: c.num(r, 'time_stats.all_reduce.median', { positive: true }) });
  }
  return out;
}

/**
 * Per-iteration CPU time of vLLM (V0 era): schedule + prepare inputs + sampler + process outputs.
 * Ray communication is left out: it belongs to the multi-process V0 executor, not to the model.
 */
export function parseVidurCpuOverheads(t: CsvTable): CpuOverheadSample[] {
  const c = new Columns(t);
  const parts = ['schedule_median', 'sampler_e2e_median', 'prepare_inputs_e2e_median', 'process_model_outputs_median'];
  c.require([...parts, 'model_name', 'batch_size', 'tensor_parallel_degree'], 'vidur cpu_overheads.csv');
  return t.rows.map((r) => ({
    model: c.str(r, 'model_name'),
    batch: c.num(r, 'batch_size', { positive: true, integer: true }),
    tp: c.num(r, 'tensor_parallel_degree', { positive: true, integer: true }),
    ms: parts.reduce((acc, p) => acc + c.num(r, p, { nonNegative: true }), 0),
  }));
}
