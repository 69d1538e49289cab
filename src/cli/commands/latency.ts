/**
 * `pdsim latency`: what `vllm bench latency` would report, predicted from the perf model.
 *
 *   pdsim latency --model llama-3.1-8b --gpu h100-sxm --tp 1 --batch-size 8 --input-len 32 --output-len 128 [--json]
 *
 * Scheduler limits default to vLLM V1's defaults for the offline LLM class (which bench latency
 * uses): max_num_batched_tokens 16384 and max_num_seqs 1024 on GPUs with >= 70 GiB, else 8192 and
 * 256 (vllm/engine/arg_utils.py, _set_default_args). Override them as in vLLM.
 *
 * Per-iteration CPU overhead: the profiles carry a fit to vidur's vLLM V0-era table (schedule,
 * prepare inputs, sampler, process outputs: ~1.4 ms + 0.04 ms per sequence). vLLM V1, which
 * `vllm bench latency` runs today, moved output processing to another process and overlaps
 * scheduling with GPU work; its async design targets 0.2-0.3 ms per step (hardware.md Table 3,
 * vllm#10634). `--cpu-overhead vllm-v1` (the default) uses 0.3 ms and nothing per sequence;
 * `--cpu-overhead profile` uses the fitted V0 value.
 * Steps: 1 parse -> 2 load -> 3 replay the static batch -> 4 print.
 */
import type { Command } from 'commander';
import { Catalog } from '../../model/catalog.js';
import { rangeWarnings } from '../../perf/range-check.js';
import { staticBatchLatency } from '../../perf/static-batch.js';
import { UserError } from '../../errors.js';
import { buildModel, positiveInt } from './perf.js';

export interface LatencyOptions {
  model: string;
  gpu: string;
  tp?: string;
  batchSize?: string;
  inputLen?: string;
  outputLen?: string;
  maxNumBatchedTokens?: string;
  maxNumSeqs?: string;
  cpuOverhead?: string;
  cpuOverheadMs?: string;
  cpuOverheadPerSeqMs?: string;
  json?: boolean;
  modelsDir?: string;
}

/** vLLM V1 per-step CPU time not hidden behind GPU work: the async engine's target (vllm#10634, hardware.md Table 3). */
export const VLLM_V1_CPU_OVERHEAD = { baseMs: 0.3, perSeqMs: 0 } as const;

export interface LatencyResult {
  model: string;
  gpu: string;
  tp: number;
  batch_size: number;
  input_len: number;
  output_len: number;
  max_num_batched_tokens: number;
  max_num_seqs: number;
  cpu_overhead_ms: { base: number; per_seq: number };
  avg_latency_s: number;
  prefill_s: number;
  decode_s: number;
  steps: number;
  warnings: string[];
}

function nonNegative(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`${flag} must be a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}

export function runLatency(o: LatencyOptions): LatencyResult {
  // 1. Parse (bench latency's own defaults: batch 8, input 32, output 128).
  const tp = positiveInt('--tp', o.tp, 1);
  const batchSize = positiveInt('--batch-size', o.batchSize, 8);
  const inputLen = positiveInt('--input-len', o.inputLen, 32);
  const outputLen = positiveInt('--output-len', o.outputLen, 128);
  // 2. Load
  const model = buildModel(new Catalog(o.modelsDir), o.model, o.gpu, tp);
  const bigGpu = model.gpu.memGiB >= 70;
  const maxNumBatchedTokens = positiveInt('--max-num-batched-tokens', o.maxNumBatchedTokens, bigGpu ? 16384 : 8192);
  const maxNumSeqs = positiveInt('--max-num-seqs', o.maxNumSeqs, bigGpu ? 1024 : 256);
  const mode = o.cpuOverhead ?? 'vllm-v1';
  if (mode !== 'vllm-v1' && mode !== 'profile') throw new UserError(`--cpu-overhead must be vllm-v1 or profile, got ${JSON.stringify(mode)}`);
  // The profile object is a private copy from the catalog, so changing it affects this run only.
  if (mode === 'vllm-v1') model.gpu.perf.cpuOverhead = { ...VLLM_V1_CPU_OVERHEAD };
  if (o.cpuOverheadMs !== undefined || o.cpuOverheadPerSeqMs !== undefined) {
    const cpu = model.gpu.perf.cpuOverhead;
    model.gpu.perf.cpuOverhead = {
      baseMs: o.cpuOverheadMs !== undefined ? nonNegative('--cpu-overhead-ms', o.cpuOverheadMs) : cpu.baseMs,
      perSeqMs: o.cpuOverheadPerSeqMs !== undefined ? nonNegative('--cpu-overhead-per-seq-ms', o.cpuOverheadPerSeqMs) : cpu.perSeqMs,
    };
  }
  // 3. Replay
  const r = staticBatchLatency(model, { batchSize, inputLen, outputLen, maxNumBatchedTokens, maxNumSeqs });
  const warnings = rangeWarnings(model.gpu, tp, [
    { newTokens: Math.min(batchSize * inputLen, maxNumBatchedTokens), contextTokens: 0 },
    ...Array.from({ length: Math.min(batchSize, maxNumSeqs) }, () => ({ newTokens: 1, contextTokens: inputLen + outputLen - 1 })),
  ]);
  return {
    model: o.model,
    gpu: o.gpu,
    tp,
    batch_size: batchSize,
    input_len: inputLen,
    output_len: outputLen,
    max_num_batched_tokens: maxNumBatchedTokens,
    max_num_seqs: maxNumSeqs,
    cpu_overhead_ms: { base: model.gpu.perf.cpuOverhead.baseMs, per_seq: model.gpu.perf.cpuOverhead.perSeqMs },
    avg_latency_s: r.avgLatencyS,
    prefill_s: r.prefillS,
    decode_s: r.decodeS,
    steps: r.steps,
    warnings,
  };
}

export function formatLatency(r: LatencyResult): string {
  return [
    `${r.model} on ${r.gpu} (TP ${r.tp}), batch ${r.batch_size}, input ${r.input_len}, output ${r.output_len} (max_num_batched_tokens ${r.max_num_batched_tokens}, max_num_seqs ${r.max_num_seqs})`,
    `Avg latency: ${r.avg_latency_s.toFixed(4)} seconds`,
    `  prefill ${r.prefill_s.toFixed(4)} s (until the last prompt is done), decode ${r.decode_s.toFixed(4)} s, ${r.steps} steps`,
    '',
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('latency')
    .description('Predict what `vllm bench latency` measures: end-to-end latency of a static batch, split into prefill and decode')
    .requiredOption('--model <id>', 'LLM architecture (models/llm/<id>.json)')
    .requiredOption('--gpu <id>', 'GPU profile (models/gpu/<id>.json)')
    .option('--tp <n>', 'tensor-parallel degree', '1')
    .option('--batch-size <n>', 'prompts submitted at once', '8')
    .option('--input-len <tokens>', 'prompt length', '32')
    .option('--output-len <tokens>', 'generated tokens per prompt (ignore_eos)', '128')
    .option('--max-num-batched-tokens <n>', 'scheduler token budget per step (default: vLLM V1 LLM-class default for the GPU)')
    .option('--max-num-seqs <n>', 'scheduler cap on running sequences (default: vLLM V1 LLM-class default for the GPU)')
    .option('--cpu-overhead <source>', 'per-step CPU overhead: vllm-v1 (0.3 ms, V1 async engine target) or profile (fitted on vLLM V0 data)', 'vllm-v1')
    .option('--cpu-overhead-ms <ms>', 'override the per-step CPU overhead (base)')
    .option('--cpu-overhead-per-seq-ms <ms>', 'override the per-sequence CPU overhead')
    .option('--json', 'print JSON (keys avg_latency_s, prefill_s, decode_s, ...)')
    .action((o: LatencyOptions) => {
      const r = runLatency(o);
      for (const w of r.warnings) process.stderr.write(`pdsim: warning: ${w}\n`);
      process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatLatency(r));
    });
}
