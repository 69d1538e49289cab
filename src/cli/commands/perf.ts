/**
 * `pdsim perf`: the time of one engine iteration, what-if, straight from the perf model.
 *
 *   pdsim perf --model llama-3.1-8b --gpu h100-sxm --tp 1 --prefill 2048
 *   pdsim perf --model llama-3.1-8b --gpu h100-sxm --decode-batch 32 --context 1024 [--json]
 *
 * --prefill and --decode-batch together describe one mixed (chunked-prefill) iteration.
 * Steps: 1 parse -> 2 load model and GPU -> 3 build batch -> 4 predict -> 5 print.
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { Catalog } from '../../model/catalog.js';
import { KV_CACHE_DTYPES, MODEL_DTYPES, oneOf, WEIGHT_QUANTIZATIONS } from '../../model/quantization.js';
import { eagerSteps, engineSetup, type EngineSetup } from '../../perf/engine-setup.js';
import { batchDefaults } from '../../model/vllm-version.js';
import { RooflinePerfModel, type BatchEntry, type IterationBreakdown } from '../../perf/perf-model.js';
import { rangeWarnings } from '../../perf/range-check.js';
import { cliMessages } from '../../messages/cli.js';

export interface PerfOptions {
  model: string;
  gpu: string;
  tp?: string;
  prefill?: string;
  prefillContext?: string;
  decodeBatch?: string;
  context?: string;
  vllmVersion?: string;
  asyncScheduling?: boolean;
  quantization?: string;
  kvCacheDtype?: string;
  dtype?: string;
  json?: boolean;
  modelsDir?: string;
}

export function positiveInt(flag: string, v: string | undefined, dflt?: number): number {
  if (v === undefined) {
    if (dflt === undefined) throw new UserError(cliMessages.missingFlag(flag));
    return dflt;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(cliMessages.notPositiveInteger(flag, JSON.stringify(v)));
  return n;
}

export function nonNegativeInt(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UserError(cliMessages.notNonNegativeInteger(flag, JSON.stringify(v)));
  return n;
}

/** The engine flags `perf` and `latency` share, resolved for `gpu` (UserErrors name the flag). */
export function engineFromFlags(o: Pick<PerfOptions, 'vllmVersion' | 'asyncScheduling' | 'quantization' | 'kvCacheDtype' | 'dtype'>, gpu: Parameters<typeof engineSetup>[0]['gpu']): EngineSetup {
  return engineSetup({
    gpu,
    vllmVersion: o.vllmVersion,
    asyncScheduling: o.asyncScheduling,
    quantization: o.quantization === undefined ? undefined : oneOf(o.quantization, WEIGHT_QUANTIZATIONS, '--quantization'),
    kvCacheDtype: o.kvCacheDtype === undefined ? undefined : oneOf(o.kvCacheDtype, KV_CACHE_DTYPES, '--kv-cache-dtype'),
    dtype: o.dtype === undefined ? undefined : oneOf(o.dtype, MODEL_DTYPES, '--dtype'),
    fields: { vllmVersion: '--vllm-version', quantization: '--quantization', kvCacheDtype: '--kv-cache-dtype', dtype: '--dtype', asyncScheduling: '--async-scheduling' },
  });
}

/** The perf model `perf` and `latency` price iterations with: the version's overhead and the flags' precision. */
export function buildModel(catalog: Catalog, o: Pick<PerfOptions, 'model' | 'gpu' | 'vllmVersion' | 'asyncScheduling' | 'quantization' | 'kvCacheDtype' | 'dtype'>, tp: number): { model: RooflinePerfModel; setup: EngineSetup } {
  const arch = catalog.loadLlm(o.model);
  const gpu = catalog.loadGpu(o.gpu);
  if (arch.numHeads % tp !== 0) throw new UserError(cliMessages.tpDoesNotDivideHeads(tp, arch.numHeads, o.model));
  const setup = engineFromFlags(o, gpu);
  // One iteration of a served engine: the version's `vllm serve` limits decide which steps run without a graph.
  const d = batchDefaults(setup.behaviour, gpu, 'serve', arch.maxPositionEmbeddings, true);
  return { model: new RooflinePerfModel(arch, gpu, { tp, overhead: setup.overhead, precision: setup.precision, eager: eagerSteps(setup, d.maxNumSeqs, d.maxNumBatchedTokens) }), setup };
}

export interface PerfResult {
  model: string;
  gpu: string;
  tp: number;
  vllmVersion: string;
  engine: 'v0' | 'v1';
  asyncScheduling: boolean;
  calibrated: boolean;
  batch: { prefillTokens: number; prefillContext: number; decodeBatch: number; decodeContext: number };
  totalMs: number;
  perLayerMs: number;
  layers: number;
  outsideLayersMs: number;
  groups: { name: string; ms: number; bound: string; tflops: number; gb: number }[];
  warnings: string[];
}

export function runPerf(o: PerfOptions): PerfResult {
  // 1. Parse
  const tp = positiveInt('--tp', o.tp, 1);
  const prefill = o.prefill === undefined ? 0 : positiveInt('--prefill', o.prefill);
  const prefillContext = nonNegativeInt('--prefill-context', o.prefillContext, 0);
  const decodeBatch = o.decodeBatch === undefined ? 0 : positiveInt('--decode-batch', o.decodeBatch);
  const context = nonNegativeInt('--context', o.context, 0);
  if (prefill === 0 && decodeBatch === 0) throw new UserError(cliMessages.needPrefillOrDecodeBatch());
  if (o.context !== undefined && decodeBatch === 0) throw new UserError(cliMessages.contextIsForDecodeBatch());
  // 2. Load
  const { model, setup } = buildModel(new Catalog(o.modelsDir), o, tp);
  // 3. Batch: one prompt chunk plus `decodeBatch` sequences each with `context` cached tokens.
  const batch: BatchEntry[] = [];
  if (prefill > 0) batch.push({ newTokens: prefill, contextTokens: prefillContext });
  for (let i = 0; i < decodeBatch; i++) batch.push({ newTokens: 1, contextTokens: context });
  // 4. Predict
  const it: IterationBreakdown = model.iteration(batch);
  return {
    model: o.model,
    gpu: o.gpu,
    tp,
    vllmVersion: setup.behaviour.version.text,
    engine: setup.behaviour.generation,
    asyncScheduling: setup.asyncScheduling,
    calibrated: model.gpu.calibrated,
    batch: { prefillTokens: prefill, prefillContext, decodeBatch, decodeContext: context },
    totalMs: it.totalMs,
    perLayerMs: it.perLayerMs,
    layers: model.arch.numLayers,
    outsideLayersMs: it.outsideLayersMs,
    groups: it.groups.map((g) => ({ name: g.name, ms: g.ms, bound: g.bound, tflops: g.flops / 1e12, gb: g.bytes / 1e9 })),
    warnings: [...setup.notes, ...rangeWarnings(model.gpu, tp, batch)],
  };
}

export function formatPerf(r: PerfResult): string {
  const lines: string[] = [];
  const what = [r.batch.prefillTokens ? `prefill ${r.batch.prefillTokens} tokens${r.batch.prefillContext ? ` after ${r.batch.prefillContext} cached` : ''}` : '', r.batch.decodeBatch ? `decode batch ${r.batch.decodeBatch} at context ${r.batch.decodeContext}` : '']
    .filter(Boolean)
    .join(' + ');
  lines.push(`${r.model} on ${r.gpu} x${r.tp} (TP ${r.tp}), vLLM ${r.vllmVersion} ${r.engine.toUpperCase()}${r.asyncScheduling ? ' async' : ''}${r.calibrated ? '' : ' [uncalibrated profile]'}: ${what}`);
  lines.push(`total ${r.totalMs.toFixed(3)} ms = ${r.layers} layers x ${r.perLayerMs.toFixed(4)} ms + ${r.outsideLayersMs.toFixed(3)} ms outside the layers`);
  lines.push('');
  lines.push(`${'group'.padEnd(14)}${'ms'.padStart(11)}${'share'.padStart(8)}  bound`);
  for (const g of r.groups) lines.push(`${g.name.padEnd(14)}${g.ms.toFixed(3).padStart(11)}${((100 * g.ms) / r.totalMs).toFixed(1).padStart(7)}%  ${g.bound}`);
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  program
    .command('perf')
    .description('Predict the time of one engine iteration (per operator group, compute- or memory-bound, per layer)')
    .requiredOption('--model <id>', 'LLM architecture (models/llm/<id>.json)')
    .requiredOption('--gpu <id>', 'GPU profile (models/gpu/<id>.json)')
    .option('--tp <n>', 'tensor-parallel degree', '1')
    .option('--prefill <tokens>', 'prompt tokens computed in this iteration (one sequence)')
    .option('--prefill-context <tokens>', 'tokens of that prompt already in the KV cache (chunked prefill)', '0')
    .option('--decode-batch <n>', 'sequences decoding one token each')
    .option('--context <tokens>', 'KV tokens already cached per decoding sequence', undefined)
    .option('--vllm-version <x.y.z>', 'vLLM version whose per-step overhead to add (default: the newest modelled)')
    .option('--async-scheduling', 'force V1 async scheduling on (default: the version\'s)')
    .option('--no-async-scheduling', 'force V1 async scheduling off')
    .option('--quantization <method>', `weight quantization: ${WEIGHT_QUANTIZATIONS.join(', ')}`)
    .option('--kv-cache-dtype <dtype>', `KV cache dtype: ${KV_CACHE_DTYPES.join(', ')}`)
    .option('--dtype <dtype>', `model dtype: ${MODEL_DTYPES.join(', ')}`)
    .option('--json', 'print JSON')
    .action((o: PerfOptions) => {
      const r = runPerf(o);
      for (const w of r.warnings) process.stderr.write(`pdsim: warning: ${w}\n`);
      process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatPerf(r));
    });
}
