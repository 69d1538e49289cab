/**
 * `pdsim latency`: what `vllm bench latency` would report, predicted from the perf model.
 *
 *   pdsim latency --model llama-3.1-8b --gpu h100-sxm --tp 1 --batch-size 8 --input-len 32 --output-len 128 [--vllm-version 0.6.3] [--json]
 *
 * bench latency drives the offline `LLM` class, so the scheduler limits default to the offline
 * defaults of the version (src/model/vllm-version.ts batchDefaults: V1 16384 tokens / 1024 seqs on
 * >= 70 GiB non-A100 GPUs, else 8192 / 256; V0 max(max_model_len, 2048) / 256), prefix caching is off
 * (bench latency forces it off), and the API server's front-end cost is not part of the figure.
 * The KV cache is sized as `simulate` sizes it (src/serving/kv-capacity.ts); a batch that does not
 * fit is preempted by recompute, as vLLM does, and the JSON says how many preemptions that took.
 * Per-step CPU overhead comes from the version (src/perf/step-overhead.ts), as in perf and simulate.
 * Steps: 1 parse -> 2 load + resolve the engine -> 3 KV capacity -> 4 replay the static batch -> 5 print.
 */
import type { Command } from 'commander';
import { Catalog } from '../../model/catalog.js';
import { KV_CACHE_DTYPES, MODEL_DTYPES, WEIGHT_QUANTIZATIONS } from '../../model/quantization.js';
import { batchDefaults } from '../../model/vllm-version.js';
import { eagerSteps } from '../../perf/engine-setup.js';
import { RooflinePerfModel } from '../../perf/perf-model.js';
import { rangeWarnings } from '../../perf/range-check.js';
import { staticBatchLatency } from '../../perf/static-batch.js';
import { kvCapacity } from '../../serving/kv-capacity.js';
import { UserError } from '../../errors.js';
import { engineFromFlags, positiveInt } from './perf.js';
import { cliMessages } from '../../messages/cli.js';

export interface LatencyOptions {
  model: string;
  gpu: string;
  tp?: string;
  batchSize?: string;
  inputLen?: string;
  outputLen?: string;
  maxNumBatchedTokens?: string;
  maxNumSeqs?: string;
  maxModelLen?: string;
  gpuMemoryUtilization?: string;
  numGpuBlocksOverride?: string;
  blockSize?: string;
  enableChunkedPrefill?: boolean;
  vllmVersion?: string;
  asyncScheduling?: boolean;
  quantization?: string;
  kvCacheDtype?: string;
  dtype?: string;
  cpuOverheadMs?: string;
  cpuOverheadPerSeqMs?: string;
  json?: boolean;
  modelsDir?: string;
}

export interface LatencyResult {
  model: string;
  gpu: string;
  tp: number;
  vllm_version: string;
  engine: 'v0' | 'v1';
  async_scheduling: boolean;
  attention_backend: string;
  quantization: string;
  kv_cache_dtype: string;
  batch_size: number;
  input_len: number;
  output_len: number;
  max_num_batched_tokens: number;
  max_num_seqs: number;
  max_model_len: number;
  num_gpu_blocks: number;
  kv_capacity_tokens: number;
  cpu_overhead_ms: { base: number; per_seq: number; tp: number };
  avg_latency_s: number;
  prefill_s: number;
  decode_s: number;
  steps: number;
  preemptions: number;
  notes: string[];
  warnings: string[];
}

function nonNegative(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UserError(cliMessages.notNonNegativeNumber(flag, JSON.stringify(v)));
  return n;
}

export function runLatency(o: LatencyOptions): LatencyResult {
  // 1. Parse (bench latency's own defaults: batch 8, input 32, output 128).
  const tp = positiveInt('--tp', o.tp, 1);
  const batchSize = positiveInt('--batch-size', o.batchSize, 8);
  const inputLen = positiveInt('--input-len', o.inputLen, 32);
  const outputLen = positiveInt('--output-len', o.outputLen, 128);
  // 2. Load and resolve the engine the version runs.
  const catalog = new Catalog(o.modelsDir);
  const arch = catalog.loadLlm(o.model);
  const gpu = catalog.loadGpu(o.gpu);
  if (arch.numHeads % tp !== 0) throw new UserError(cliMessages.tpDoesNotDivideHeads(tp, arch.numHeads, o.model));
  const setup = engineFromFlags(o, gpu);
  const b = setup.behaviour;
  const maxModelLen = positiveInt('--max-model-len', o.maxModelLen, arch.maxPositionEmbeddings);
  if (inputLen + outputLen > maxModelLen) throw new UserError(cliMessages.lengthsExceedMaxModelLen(inputLen + outputLen, maxModelLen));
  const chunked = o.enableChunkedPrefill ?? b.chunkedPrefill(maxModelLen);
  const seqsSet = o.maxNumSeqs === undefined ? undefined : positiveInt('--max-num-seqs', o.maxNumSeqs);
  const dflt = batchDefaults(b, gpu, 'offline', maxModelLen, chunked, seqsSet);
  const maxNumBatchedTokens = positiveInt('--max-num-batched-tokens', o.maxNumBatchedTokens, dflt.maxNumBatchedTokens);
  const maxNumSeqs = dflt.maxNumSeqs;
  if (!chunked && maxNumBatchedTokens < maxModelLen) throw new UserError(cliMessages.batchedTokensBelowMaxModelLen(maxNumBatchedTokens, maxModelLen));
  const overhead = { ...setup.overhead };
  if (o.cpuOverheadMs !== undefined) overhead.baseMs = nonNegative('--cpu-overhead-ms', o.cpuOverheadMs);
  if (o.cpuOverheadPerSeqMs !== undefined) overhead.perSeqMs = nonNegative('--cpu-overhead-per-seq-ms', o.cpuOverheadPerSeqMs);
  const model = new RooflinePerfModel(arch, gpu, { tp, overhead, precision: setup.precision, eager: eagerSteps(setup, maxNumSeqs, maxNumBatchedTokens) });
  // 3. KV capacity, derived as simulate derives it.
  const util = o.gpuMemoryUtilization === undefined ? b.gpuMemoryUtilization : Number(o.gpuMemoryUtilization);
  if (!(util > 0 && util <= 1)) throw new UserError(cliMessages.gpuMemoryUtilizationOutOfRange(JSON.stringify(o.gpuMemoryUtilization)));
  const blockSize = positiveInt('--block-size', o.blockSize, 16);
  const cap = kvCapacity({ arch, sizes: model.sizes, tp, memGiB: gpu.memGiB, gpuMemoryUtilization: util, maxNumBatchedTokens, maxNumSeqs, blockSizeTokens: blockSize, cpuOffloadGiB: 0 });
  const numGpuBlocks = o.numGpuBlocksOverride !== undefined ? positiveInt('--num-gpu-blocks-override', o.numGpuBlocksOverride) : cap.numGpuBlocks;
  if (numGpuBlocks * blockSize < maxModelLen) {
    throw new UserError(cliMessages.kvCacheBelowMaxModelLen(Math.max(0, numGpuBlocks * blockSize), maxModelLen));
  }
  // 4. Replay
  const r = staticBatchLatency(model, { batchSize, inputLen, outputLen, maxNumBatchedTokens, maxNumSeqs, generation: b.generation, chunkedPrefill: chunked, numGpuBlocks, blockSize });
  const warnings = rangeWarnings(gpu, tp, [
    { newTokens: Math.min(batchSize * inputLen, maxNumBatchedTokens), contextTokens: 0 },
    ...Array.from({ length: Math.min(batchSize, maxNumSeqs) }, () => ({ newTokens: 1, contextTokens: inputLen + outputLen - 1 })),
  ]);
  return {
    model: o.model,
    gpu: o.gpu,
    tp,
    vllm_version: b.version.text,
    engine: b.generation,
    async_scheduling: setup.asyncScheduling,
    attention_backend: b.attentionBackend,
    quantization: o.quantization ?? 'none',
    kv_cache_dtype: o.kvCacheDtype ?? 'auto',
    batch_size: batchSize,
    input_len: inputLen,
    output_len: outputLen,
    max_num_batched_tokens: maxNumBatchedTokens,
    max_num_seqs: maxNumSeqs,
    max_model_len: maxModelLen,
    num_gpu_blocks: numGpuBlocks,
    kv_capacity_tokens: numGpuBlocks * blockSize,
    cpu_overhead_ms: { base: overhead.baseMs, per_seq: overhead.perSeqMs, tp: overhead.tpMs },
    avg_latency_s: r.avgLatencyS,
    prefill_s: r.prefillS,
    decode_s: r.decodeS,
    steps: r.steps,
    preemptions: r.preemptions,
    notes: setup.notes,
    warnings,
  };
}

export function formatLatency(r: LatencyResult): string {
  return [
    `${r.model} on ${r.gpu} (TP ${r.tp}), vLLM ${r.vllm_version} (${r.engine.toUpperCase()}${r.async_scheduling ? ', async scheduling' : ''}, ${r.attention_backend}), batch ${r.batch_size}, input ${r.input_len}, output ${r.output_len} (max_num_batched_tokens ${r.max_num_batched_tokens}, max_num_seqs ${r.max_num_seqs}, KV ${r.kv_capacity_tokens} tokens)`,
    `Avg latency: ${r.avg_latency_s.toFixed(4)} seconds`,
    `  prefill ${r.prefill_s.toFixed(4)} s (until the last prompt is done), decode ${r.decode_s.toFixed(4)} s, ${r.steps} steps${r.preemptions > 0 ? `, ${r.preemptions} preemptions (KV cache full: recompute)` : ''}`,
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
    .option('--vllm-version <x.y.z>', 'vLLM version to predict (engine generation, defaults, overheads); default: the newest modelled')
    .option('--async-scheduling', 'force V1 async scheduling on (default: the version\'s)')
    .option('--no-async-scheduling', 'force V1 async scheduling off')
    .option('--quantization <method>', `weight quantization: ${WEIGHT_QUANTIZATIONS.join(', ')}`)
    .option('--kv-cache-dtype <dtype>', `KV cache dtype: ${KV_CACHE_DTYPES.join(', ')}`)
    .option('--dtype <dtype>', `model dtype: ${MODEL_DTYPES.join(', ')}`)
    .option('--max-num-batched-tokens <n>', 'scheduler token budget per step (default: the version\'s offline LLM default for the GPU)')
    .option('--max-num-seqs <n>', 'scheduler cap on running sequences (default: the version\'s offline LLM default for the GPU)')
    .option('--max-model-len <tokens>', 'context limit (default: the model\'s)')
    .option('--gpu-memory-utilization <f>', 'fraction of GPU memory for the engine (default: the version\'s, 0.90 or 0.92)')
    .option('--num-gpu-blocks-override <n>', 'KV blocks instead of the derived count')
    .option('--block-size <tokens>', 'tokens per KV block', '16')
    .option('--enable-chunked-prefill', 'chunked prefill on (V0 default: off)')
    .option('--no-enable-chunked-prefill', 'chunked prefill off')
    .option('--cpu-overhead-ms <ms>', 'override the per-step CPU overhead (base)')
    .option('--cpu-overhead-per-seq-ms <ms>', 'override the per-sequence CPU overhead')
    .option('--json', 'print JSON (keys avg_latency_s, prefill_s, decode_s, preemptions, ...)')
    .action((o: LatencyOptions) => {
      const r = runLatency(o);
      for (const n of r.notes) process.stderr.write(`pdsim: note: ${n}\n`);
      for (const w of r.warnings) process.stderr.write(`pdsim: warning: ${w}\n`);
      process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatLatency(r));
    });
}
