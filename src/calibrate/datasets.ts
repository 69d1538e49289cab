/**
 * The measured data each calibrated GPU profile is fitted on, as paths under the data root
 * (models/data in the package, gzip-compressed where large; sources and licences in
 * models/data/MANIFEST.csv). A `--data-dir` with the same layout, compressed or not, works too.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageDataDir, packageRoot, withGzFallback } from '../package-files.js';
import type { MemoryScale } from './transfer.js';

export interface Dataset {
  gpuId: string;
  /** Files the fit uses. */
  fit: string[];
  /** Files used only to check the fit (another harness), never fitted. */
  crossCheck: string[];
  notes: string[];
}

// Why not vidur's NCCL table: vLLM runs its own all-reduce (CUDA-graphed) for TP on NVLink, ~5 us at
// small sizes, and the vidur NCCL medians at small sizes jump between ~20 and ~60 us run to run.
const ALL_REDUCE_NOTE =
  "All-reduce (fit and composed iterations): vLLM's custom all-reduce under CUDA graphs (aiconfigurator), which is what vLLM runs for tensor parallelism over NVLink; vidur's NCCL table is bimodal at small sizes.";

const vidurLayers = (gpu: string, models: string[]) => models.map((m) => `vidur/compute/${gpu}/${m}/mlp.csv`);

export const DATASETS: Record<string, Dataset> = {
  'a100-sxm-80gb': {
    gpuId: 'a100-sxm-80gb',
    fit: [
      ...vidurLayers('a100', ['Llama-2-7b-hf', 'Llama-2-70b-hf', 'Meta-Llama-3-8B', 'Meta-Llama-3-70B']),
      'aiconfigurator/a100_sxm/vllm-0.14.0/context_attention_perf.csv',
      'aiconfigurator/a100_sxm/vllm-0.14.0/generation_attention_perf.csv',
      'aiconfigurator/a100_sxm/vllm-0.14.0/custom_allreduce_perf.csv',
      'vidur/historical/a100_cpu_overheads_57720caf.csv',
    ],
    crossCheck: ['aiconfigurator/a100_sxm/vllm-0.14.0/gemm_perf.csv'],
    notes: [ALL_REDUCE_NOTE, 'CPU overhead is vidur\'s historical vLLM (V0-era) table: schedule + prepare inputs + sampler + process outputs.'],
  },
  'h100-sxm': {
    gpuId: 'h100-sxm',
    fit: [
      ...vidurLayers('h100', ['Llama-2-7b-hf', 'Llama-2-70b-hf']),
      'aiconfigurator/h100_sxm/vllm-0.24.0/context_attention_perf.csv',
      'aiconfigurator/h100_sxm/vllm-0.24.0/generation_attention_perf.csv',
      'aiconfigurator/h100_sxm/vllm-0.24.0/custom_allreduce_perf.csv',
      // The only CPU-overhead table is from an A100 host; that overhead is host-side (Python, scheduling), not GPU work.
      'vidur/historical/a100_cpu_overheads_57720caf.csv',
    ],
    crossCheck: ['aiconfigurator/h100_sxm/vllm-0.24.0/gemm_perf.csv'],
    notes: [
      ALL_REDUCE_NOTE,
      'Only two model shapes (Llama-2-7B, Llama-2-70B) have per-layer tables on H100.',
      'CPU overhead comes from the A100 host table (host-side cost; no H100 host measurement exists here).',
    ],
  },
};

/** Profiles derived from a calibrated one (same chip, different memory). */
export const TRANSFERS: { from: string; to: string; note: string; memory?: MemoryScale }[] = [
  {
    from: 'a100-sxm-80gb',
    to: 'a100-sxm-40gb',
    note: 'Same GA100 chip: compute efficiencies transferred from the a100-sxm-80gb fit; the 40 GB part has HBM2 at 1555 GB/s instead of HBM2e at 2039 GB/s, which the fit never saw, so its memory efficiencies are the 80 GB fit x 0.976, the ratio of the device-copy fractions of peak measured on HBM2 and HBM2e GA100 parts (memory.source).',
    // A plain copy reaches 1355 / 1555 = 0.871 of the datasheet on A100-SXM4-40GB (HBM2) and
    // 1727 / 1935 = 0.893 on A800 80GB PCIe (GA100, HBM2e); 0.871 / 0.893 = 0.976. Two harnesses
    // (Julia memcopy, PyTorch copy at 4 GiB); no HBM2 operator table exists to fit instead.
    memory: {
      factor: 1355 / 1555 / (1727 / 1935),
      source: 'A100 40GB memcopy 1355 GB/s of 1555: github.com/PTsolvers/gpu-workshop-JuliaCon23/issues/7 ("the memcopy measured BW as ref", perftest.jl); A800 80GB PCIe (HBM2e, 1935 GB/s) copy at 4194304 KiB: 1727.486 GB/s, github.com/mli/transformers-benchmarks/issues/4',
    },
  },
];

/** The package root, against which provenance records file paths. */
export function repoRoot(): string {
  return packageRoot();
}

/** models/data in the package. */
export function defaultDataDir(): string {
  return packageDataDir();
}

export function datasetPaths(ds: Dataset, dataDir: string): { fit: string[]; crossCheck: string[] } {
  const abs = (p: string) => withGzFallback(join(dataDir, p));
  return { fit: ds.fit.map(abs), crossCheck: ds.crossCheck.map(abs).filter((p) => existsSync(p)) };
}
