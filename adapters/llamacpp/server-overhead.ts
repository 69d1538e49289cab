/**
 * The step loop's own cost per iteration, which the profiler cannot see: besides its passes an
 * iteration schedules and keeps its books (StepRecord.ms minus the passes' ms), delivers the sampled
 * tokens (SSE writes) and frees finished slots (postMs), then yields to the event loop before the
 * next iteration (the next record's gapMs: HTTP reads and writes, timers). In the quiet bench of 2 December 14:33 these were 0.45 ms
 * per batch-1 iteration (mean gap 0.33 + delivery 0.11) next to a 5 ms decode pass, 9 % of a
 * low-load ITL, and grew with the sequences served (0.98 ms at 8); the simulator prices neither.
 *
 * Measured in a calibration run against the same server before the validated rates: closed-loop
 * requests at concurrency 1 and 4 (CALIBRATION_STREAMS), a workload apart from the validated
 * Poisson ones, so the rates stay held out. The fit, per iteration, is base + perSeq x sequences
 * (least squares: the simulator prices an expectation, and a served mean ITL is a mean); it is added
 * to every profiled row (a row is one pass, and all but a few served iterations are one pass;
 * a step with prompt chunks pays it once per pass, a few tenths of a ms on a 20-200 ms chunk).
 */
import { fitAffineNonNegative } from '../../src/calibrate/fit.js';
import type { ProfileRow } from './profile.js';
import type { StepRecord } from './step-loop.js';

export interface ServerOverhead {
  baseMs: number;
  perSeqMs: number;
  /** Iterations the fit was made on. */
  iterations: number;
}

/** Sequences an iteration served: one entry each in pass 1 when it has decodes; else one prompt chunk per pass. */
export function iterationSequences(r: StepRecord): number {
  const first = r.passes[0];
  if (!first) return 0;
  return first.entries.some(([n]) => n === 1) ? first.entries.length : r.passes.length;
}

/**
 * Per iteration that the loop ran straight on from, ms, with its sequence count: the iteration's own
 * time outside its passes (scheduling, padding resets, bookkeeping: 0.09 ms mean on the 14:33 log),
 * its delivery, and the gap before the next one.
 */
export function iterationOverheads(records: readonly StepRecord[]): { seqs: number; ms: number }[] {
  const out: { seqs: number; ms: number }[] = [];
  for (let i = 0; i + 1 < records.length; i++) {
    const gap = records[i + 1]!.gapMs;
    if (gap === null) continue;
    const r = records[i]!;
    const outside = Math.max(0, r.ms - r.passes.reduce((a, p) => a + p.ms, 0));
    out.push({ seqs: iterationSequences(r), ms: outside + (r.postMs ?? 0) + gap });
  }
  return out;
}

/** Least squares of ms = base + perSeq x seqs, both >= 0: the regression the device profile's cpuOverhead is fitted with. */
export function fitServerOverhead(samples: readonly { seqs: number; ms: number }[]): ServerOverhead {
  const f = fitAffineNonNegative(samples.map((s) => ({ x: s.seqs, y: s.ms })));
  return { baseMs: f.base, perSeqMs: f.slope, iterations: samples.length };
}

/** The profile's rows with the server's per-iteration cost added (a row of b sequences: base + perSeq x b). */
export function withServerOverhead(rows: readonly ProfileRow[], o: ServerOverhead): ProfileRow[] {
  return rows.map((r) => ({ ...r, ms: r.ms + o.baseMs + o.perSeqMs * r.batch }));
}

/** Concurrency levels of the calibration run, and requests per stream at each. */
// About 450 iterations (a few seconds on a quiet machine): under load the gaps have a long tail (p99 5-7 ms at load 6-8), and 220 iterations moved the mean by 0.4 ms between two runs.
export const CALIBRATION_STREAMS: readonly { streams: number; requests: number }[] = [
  { streams: 1, requests: 8 },
  { streams: 4, requests: 6 },
];

/**
 * The calibration run: at each level, `streams` closed loops each sending `requests` streamed
 * completions one after another (prompt and output `tokens` long, ignore_eos), through the same
 * HTTP server and SSE path the validated runs use. Returns the wall-clock window (epoch ms) of its
 * iterations in the step log.
 */
export async function runCalibrationRequests(url: string, model: string, tokens: { prompt: number; output: number }, levels = CALIBRATION_STREAMS): Promise<[number, number]> {
  const from = Date.now();
  let id = 0;
  for (const { streams, requests } of levels) {
    await Promise.all(
      Array.from({ length: streams }, async () => {
        for (let k = 0; k < requests; k++) {
          const first = 1000 + 37 * id++;
          const prompt = Array.from({ length: tokens.prompt }, (_, i) => first + i);
          const res = await fetch(`${url}/v1/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model, prompt, max_tokens: tokens.output, ignore_eos: true, stream: true }),
          });
          if (!res.ok) throw new Error(`calibration request: HTTP ${res.status}: ${await res.text()}`);
          await res.text();
        }
      }),
    );
  }
  return [from, Date.now()];
}
