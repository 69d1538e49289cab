/**
 * Per-step CPU time the engine adds to each iteration's GPU time (schedule, prepare inputs,
 * sample, process outputs, broadcast to TP workers), as a function of the engine generation, TP
 * and batch size. One function, used by `perf`, `latency` and `simulate` alike (through the perf
 * model), so the three commands give one answer.
 *
 * Every term and its source:
 * - V0 (vLLM <= 0.7, and Turing up to 0.10): least squares of schedule + prepare_inputs + sampler
 *   + process_model_outputs (medians) on vidur's A100 table of vLLM per-iteration CPU overheads
 *   (models/data/vidur/historical/a100_cpu_overheads_57720caf.csv, MIT, 78 rows; 5 models, batch
 *   8-128, TP 1/2/4): base + perSeq x batch + tpMs x (tp-1)/tp. The TP term is the driver's
 *   broadcast of the whole step's metadata to its workers (sheet 2: V0 broadcast full metadata
 *   every step); it rises from TP 1 to 2 and is flat beyond, hence (tp-1)/tp.
 *   Ray communication (a column of that table) is left out: it is the Ray executor's, and single-
 *   node V0 used multiprocessing workers.
 * - V0 from 0.6.0: the async output processor (PR #7049, sheet 2: +12% throughput) overlaps
 *   process_model_outputs with the next step, so that term is refitted without it.
 * - V1, synchronous: the scheduler costs 12.7 us per running request at the cap and the whole
 *   engine loop 540.9 us per step amortised (simllm PR #204, vLLM 0.27.1, a third-party study
 *   whose absolute attribution was declared void for 29.5% run-to-run drift: the best figures
 *   found, not good ones); early V1 showed a 5-6 ms gap between decodes at batch 256
 *   (vllm#10634), consistent in size (0.54 + 256 x 0.0127 = 3.8 ms after later optimisations).
 *   TP: V1 workers receive diffs instead of full metadata (sheet 2); no V1 figure was found, so
 *   the V0 broadcast term is kept as an upper bound.
 * - V1 with async scheduling (default from 0.14, or --async-scheduling): step N+1 is scheduled
 *   while N runs, so only a floor stays exposed; vllm#10634 estimated 200-300 us, so 0.25 ms.
 *   Per-sequence work is taken as hidden behind the GPU step (true while it is shorter than it).
 */
import type { EngineGeneration } from '../model/vllm-version.js';

export type OverheadRegime = 'v0' | 'v0-async-output' | 'v1' | 'v1-async';

/** Affine per-step overhead: baseMs + perSeqMs x batch + tpMs x (tp-1)/tp. */
export interface StepOverheadCoefficients {
  baseMs: number;
  perSeqMs: number;
  tpMs: number;
}

/** Fitted to the vidur table (src/perf/step-overhead.test.ts refits them from the copied CSV). */
export const V0_OVERHEAD: StepOverheadCoefficients = { baseMs: 0.8986, perSeqMs: 0.04168, tpMs: 1.271 };
/** Same table without process_model_outputs (overlapped by the async output processor from 0.6.0). */
export const V0_ASYNC_OUTPUT_OVERHEAD: StepOverheadCoefficients = { baseMs: 0.774, perSeqMs: 0.02687, tpMs: 1.162 };
export const V1_OVERHEAD: StepOverheadCoefficients = { baseMs: 0.5409, perSeqMs: 0.0127, tpMs: V0_OVERHEAD.tpMs };
export const V1_ASYNC_OVERHEAD: StepOverheadCoefficients = { baseMs: 0.25, perSeqMs: 0, tpMs: 0 };

export function overheadRegime(generation: EngineGeneration, opts: { asyncScheduling: boolean; asyncOutputProcessing: boolean }): OverheadRegime {
  if (generation === 'v0') return opts.asyncOutputProcessing ? 'v0-async-output' : 'v0';
  return opts.asyncScheduling ? 'v1-async' : 'v1';
}

export function overheadCoefficients(regime: OverheadRegime): StepOverheadCoefficients {
  switch (regime) {
    case 'v0':
      return V0_OVERHEAD;
    case 'v0-async-output':
      return V0_ASYNC_OUTPUT_OVERHEAD;
    case 'v1':
      return V1_OVERHEAD;
    case 'v1-async':
      return V1_ASYNC_OVERHEAD;
  }
}

/** CPU time of one engine step with `batch` scheduled sequences on `tp` GPUs. Monotone in both. */
export function stepOverheadMs(c: StepOverheadCoefficients, tp: number, batch: number): number {
  if (batch <= 0) return 0;
  return c.baseMs + c.perSeqMs * batch + (c.tpMs * (tp - 1)) / tp;
}
