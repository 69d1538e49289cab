/**
 * Flags for a whole run's predictions outside what each GPU profile was fitted on (the profile's
 * `perf.calibratedRange`, written by `pdsim calibrate` from its measured tables): an uncalibrated
 * profile, a model whose geometry no table measured (or outside the fitted span of hidden size,
 * heads, layers), context lengths, iteration token counts or decode batches beyond the tables, a
 * TP degree never measured, and a weight/KV precision the tables do not hold (they are all
 * 16-bit). The curves still predict there, by extrapolation; these flags say where.
 * Per-iteration warnings for `pdsim perf` stay in range-check.ts; this file judges a run from
 * its configuration and the workload it saw.
 */
import type { LlmArchitecture } from '../model/architecture.js';
import type { CalibratedShape, GpuProfile } from '../model/gpu.js';

export interface RangeFlag {
  /** The pool (instance group) the prediction is for. */
  pool: string;
  gpu: string;
  /** What lies outside, e.g. "model", "context tokens", "tp". */
  what: string;
  value: number | string;
  /** What was calibrated, in words (a span, a list, or "none"). */
  calibratedRange: string;
}

export interface RangePool {
  pool: string;
  gpu: GpuProfile;
  tp: number;
  engine: { maxNumSeqs: number; maxNumBatchedTokens: number; quantization?: string; kvCacheDtype?: string; dtype?: string };
}

/** What the workload reached in the run: the longest prompt + output, and vllm bench's peak concurrency. */
export interface RangeObserved {
  maxContextTokens: number;
  peakConcurrent: number;
}

const span = (xs: readonly number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];

/** Geometry fields a model shares with a measured table shape. */
const DIMS: { what: string; of: (a: LlmArchitecture) => number; shape: (s: CalibratedShape) => number | undefined }[] = [
  { what: 'hidden size', of: (a) => a.hiddenSize, shape: (s) => s.hidden },
  { what: 'attention heads', of: (a) => a.numHeads, shape: (s) => s.heads },
  { what: 'KV heads', of: (a) => a.numKvHeads, shape: (s) => s.kvHeads },
  { what: 'intermediate size', of: (a) => a.intermediateSize, shape: (s) => s.intermediate },
  // Per-layer tables (vidur) hold one layer, which the model multiplies by the depth: layers are a range only for whole-iteration tables.
  { what: 'layers', of: (a) => a.numLayers, shape: (s) => s.layers },
];

function sameShape(a: LlmArchitecture, s: CalibratedShape): boolean {
  return DIMS.every((d) => d.shape(s) === undefined || d.shape(s) === d.of(a));
}

function modelFlags(arch: LlmArchitecture, shapes: readonly CalibratedShape[]): Omit<RangeFlag, 'pool' | 'gpu'>[] {
  if (shapes.length === 0 || shapes.some((s) => sameShape(arch, s))) return [];
  const geometry = DIMS.map((d) => `${d.what} ${d.of(arch)}`).join(', ');
  const out: Omit<RangeFlag, 'pool' | 'gpu'>[] = [{ what: 'model', value: `${arch.id} (${geometry})`, calibratedRange: shapes.map((s) => s.name).join(', ') }];
  for (const d of DIMS) {
    const xs = shapes.map(d.shape).filter((x): x is number => x !== undefined);
    if (xs.length === 0) continue;
    const [lo, hi] = span(xs);
    const v = d.of(arch);
    if (v < lo || v > hi) out.push({ what: d.what, value: v, calibratedRange: lo === hi ? `${lo}` : `${lo}-${hi}` });
  }
  return out;
}

/** The element type vLLM computes in: `auto` is the checkpoint's, `half` is float16. */
function modelDtype(engineDtype: string | undefined, arch: LlmArchitecture): string {
  if (engineDtype === undefined || engineDtype === 'auto') return arch.dtype;
  return engineDtype === 'half' ? 'float16' : engineDtype;
}

export function outOfRangeFlags(arch: LlmArchitecture, pools: readonly RangePool[], seen: RangeObserved): RangeFlag[] {
  const flags: RangeFlag[] = [];
  for (const p of pools) {
    const add = (f: Omit<RangeFlag, 'pool' | 'gpu'>) => flags.push({ pool: p.pool, gpu: p.gpu.id, ...f });
    if (!p.gpu.calibrated) {
      add({ what: 'gpu profile', value: p.gpu.id, calibratedRange: `none (datasheet figures, transferred efficiencies; expected error: ${p.gpu.expectedError ?? 'wide'})` });
      continue;
    }
    const r = p.gpu.perf.calibratedRange;
    if (!r) continue;
    for (const f of modelFlags(arch, r.models ?? [])) add(f);
    if (seen.maxContextTokens > r.maxContextTokens) add({ what: 'context tokens (prompt + output)', value: seen.maxContextTokens, calibratedRange: `<= ${r.maxContextTokens}` });
    // Upper bounds of what an iteration can hold: the engine's budgets, and no more sequences than were ever in flight.
    if (p.engine.maxNumBatchedTokens > r.maxTokens) add({ what: 'tokens per iteration (up to maxNumBatchedTokens)', value: p.engine.maxNumBatchedTokens, calibratedRange: `<= ${r.maxTokens}` });
    const batch = Math.min(p.engine.maxNumSeqs, seen.peakConcurrent);
    if (batch > r.maxBatch) add({ what: 'decode batch (up to min(maxNumSeqs, peak concurrent requests))', value: batch, calibratedRange: `<= ${r.maxBatch}` });
    if (!r.tp.includes(p.tp)) add({ what: 'tp', value: p.tp, calibratedRange: r.tp.join(', ') });
    const dtypes = r.dtypes ?? ['float16', 'bfloat16'];
    const q = p.engine.quantization ?? 'none';
    if (q !== 'none') add({ what: 'weight quantization', value: q, calibratedRange: `none (${dtypes.join('/')} weights)` });
    const kv = p.engine.kvCacheDtype ?? 'auto';
    if (kv !== 'auto') add({ what: 'KV cache dtype', value: kv, calibratedRange: dtypes.join(', ') });
    const dt = modelDtype(p.engine.dtype, arch);
    if (!dtypes.includes(dt)) add({ what: 'dtype', value: dt, calibratedRange: dtypes.join(', ') });
  }
  return flags;
}

/** One line per flag, for `warning:` output. */
export function formatRangeFlag(f: RangeFlag): string {
  if (f.what === 'gpu profile') return `${f.pool} (${f.gpu}): the GPU profile is not calibrated against measured data (${f.calibratedRange})`;
  return `${f.pool} (${f.gpu}): ${f.what} ${f.value} is outside the profile's calibrated range (${f.calibratedRange}); the prediction extrapolates`;
}

/** The flags of a summary (`pdsim.out_of_range`) other than uncalibrated profiles, which the commands note on their own line. */
export function rangeFindings(flags: readonly RangeFlag[]): RangeFlag[] {
  return flags.filter((f) => f.what !== 'gpu profile');
}
