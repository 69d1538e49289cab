/**
 * The served engine's per-sequence level: how much each one-token sequence of a served decode pass
 * costs beyond (or short of) what the profile's fit prices it at.
 *
 * Why a term of its own (llama14 round, docs/accuracy-live.md run 45): the profiler times each batch
 * shape in a tight loop of the same shape, the server runs a batch whose sequences come and go, and
 * the two disagree per sequence, not per pass or per KV token: fitted on each alone, the profile's
 * rows gave 6.98 ms per sequence and the served passes 6.25, with the same constant and the same KV
 * slope. So served batch-b passes ran 3-8 % under their price, the gap growing with b, and a
 * per-pass or per-token correction would misprice batch 1 or long contexts.
 *
 * Measured in the server's calibration run (server-overhead.ts runCalibrationRequests: closed loops
 * at concurrency 1, 4 and max-num-seqs, a workload apart from the validated Poisson rates, so those
 * stay held out): over its iterations of exactly one decode-only pass without padding (pads cost
 * differently from sampled sequences: 2.4 against 6.0 ms in run 45), residual = measured - price, and
 * the level is the least-squares slope of residual on b through the origin (no constant: the
 * profile's constant matched). Least squares, as for the server's cost: the simulator prices an
 * expectation. It goes into the served device profile as level x b added to perf.decodeBatchMs[b-1]
 * (applySequenceLevel), the table that prices a pass by its count of one-token sequences;
 * perf.cpuOverhead.perSeqMs cannot hold it, as the level is usually negative.
 */
import type { StepRecord } from './step-loop.js';

export interface SequenceLevel {
  /** ms per one-token sequence, measured - price (negative: served passes cheaper than profiled). */
  perSeqMs: number;
  /** Passes it was fitted on. */
  passes: number;
}

/** Fewer single decode passes than this in the calibration run: no level (the fit would be noise). */
export const MIN_SEQUENCE_LEVEL_PASSES = 20;

type Price = (entries: { newTokens: number; contextTokens: number }[]) => number;

/** The passes the level is fitted on: iterations of one pass, every sequence one token, no padding; with their batch size and residual. */
export function decodeResiduals(records: readonly StepRecord[], price: Price): { b: number; residualMs: number }[] {
  const out: { b: number; residualMs: number }[] = [];
  for (const r of records) {
    if (r.passes.length !== 1) continue;
    const p = r.passes[0]!;
    if (p.entries.length === 0 || p.pad || !p.entries.every(([n]) => n === 1)) continue;
    out.push({ b: p.entries.length, residualMs: p.ms - price(p.entries.map(([newTokens, contextTokens]) => ({ newTokens, contextTokens }))) });
  }
  return out;
}

/** Least squares of residual = level x b (through the origin); null under MIN_SEQUENCE_LEVEL_PASSES passes. */
export function fitSequenceLevel(records: readonly StepRecord[], price: Price): SequenceLevel | null {
  const rs = decodeResiduals(records, price);
  if (rs.length < MIN_SEQUENCE_LEVEL_PASSES) return null;
  let xy = 0;
  let xx = 0;
  for (const { b, residualMs } of rs) {
    xy += b * residualMs;
    xx += b * b;
  }
  return { perSeqMs: xy / xx, passes: rs.length };
}

/**
 * A device profile's text with the level in its decode batch table: entry b - 1 gets level x b, for
 * b = 1..maxNumSeqs (a table created as zeros where the profile has none, or is shorter).
 */
export function applySequenceLevel(deviceJson: string, level: SequenceLevel, maxNumSeqs: number): string {
  const d = JSON.parse(deviceJson) as { sources?: string[]; perf: { decodeBatchMs?: number[] }; provenance?: { notes?: string[] } };
  const old = d.perf.decodeBatchMs ?? [];
  const n = Math.max(old.length, maxNumSeqs);
  const round = (x: number): number => Number(x.toPrecision(6));
  d.perf.decodeBatchMs = Array.from({ length: n }, (_, i) => round((old[i] ?? 0) + (i < maxNumSeqs ? level.perSeqMs * (i + 1) : 0)));
  const note = `perf.decodeBatchMs: plus the served engine's per-sequence level, ${Number(level.perSeqMs.toPrecision(4))} ms x b for b = 1..${maxNumSeqs}, fitted on ${level.passes} single decode passes of the server's calibration run (adapters/llamacpp/sequence-level.ts)`;
  d.sources = [...(d.sources ?? []), note];
  if (d.provenance) d.provenance.notes = [...(d.provenance.notes ?? []), note];
  return `${JSON.stringify(d, null, 2)}\n`;
}
