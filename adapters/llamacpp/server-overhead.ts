/**
 * The step loop's own cost per iteration, which the profiler cannot see: besides its passes an
 * iteration schedules and keeps its books (StepRecord.ms minus the passes' ms), delivers the sampled
 * tokens (SSE writes) and frees finished slots (postMs), then yields to the event loop before the
 * next iteration (the next record's gapMs: HTTP reads and writes, timers). In the quiet bench of 2 December 14:33 these were 0.45 ms
 * per batch-1 iteration (mean gap 0.33 + delivery 0.11) next to a 5 ms decode pass, 9 % of a
 * low-load ITL, and grew with the sequences served (0.98 ms at 8); the simulator prices neither.
 *
 * Measured in a calibration run against the same server before the validated rates: closed-loop
 * requests at concurrency 1, 4 and max-num-seqs (calibrationLevels), a workload apart from the validated
 * Poisson ones, so the rates stay held out. The fit, per iteration, is base + perSeq x sequences
 * (least squares: the simulator prices an expectation, and a served mean ITL is a mean); it is added
 * to the engine's fitted per-pass cost (servedDeviceJson; all but a few served iterations are one
 * pass, and a step with prompt chunks pays it once per pass in the simulator, once in the server:
 * 0.01-0.06 ms per decode token in the runs of 3 December, left).
 *
 * Two things the five quiet runs of 3 December showed (docs/speed.md, llama10 round): the first
 * request a fresh server process streams costs 0.50-0.70 ms per iteration against 0.38-0.43 for the
 * next ones (its HTTP and SSE code runs cold; V8 optimizes it as it runs), so warm-up requests go
 * first and are not fitted (the cost goes on falling for 30-60 s of serving, from about 0.42 to
 * 0.32 ms per batch-1 iteration: a longer warm-up is an option, off by default as unmeasured on a
 * quiet machine); and a line through concurrency 1 and 4 priced batch 8 at 1.22-1.28 ms
 * in four runs where the served batch-8 iterations cost 0.87-0.98, so the run also measures
 * max-num-seqs streams.
 */
import { fitAffineNonNegative } from '../../src/calibrate/fit.js';
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

/**
 * The device profile `simulate` uses: the engine's own fit (its file text, as calibrate wrote it)
 * with the server's cost added to its per-pass cost. Before, the profile's rows with the cost added
 * were fitted again; that second 9-parameter fit did not come back to the first plus the cost (run
 * 39: base 0.48 -> 1.95 ms, not 0.77; GEMM efficiency 0.67 -> 0.57), and priced the served shapes
 * -0.01 to +0.51 ms per decode token above engine fit + cost in the five runs (the `refit` term).
 */
export function servedDeviceJson(engineDeviceJson: string, o: ServerOverhead): string {
  const d = JSON.parse(engineDeviceJson) as { sources?: string[]; perf: { cpuOverhead: { baseMs: number; perSeqMs: number } }; provenance?: { notes?: string[] } };
  const c = d.perf.cpuOverhead;
  const round = (x: number): number => Number(x.toPrecision(4));
  const note = `perf.cpuOverhead = the engine's fitted ${c.baseMs} ms + ${c.perSeqMs} ms per sequence, plus the server's own cost per iteration measured in a calibration run (adapters/llamacpp/server-overhead.ts): ${round(o.baseMs)} ms + ${round(o.perSeqMs)} ms per sequence over ${o.iterations} iterations`;
  d.perf.cpuOverhead = { baseMs: round(c.baseMs + o.baseMs), perSeqMs: round(c.perSeqMs + o.perSeqMs) };
  d.sources = [...(d.sources ?? []), note];
  if (d.provenance) d.provenance.notes = [...(d.provenance.notes ?? []), note];
  return `${JSON.stringify(d, null, 2)}\n`;
}

/**
 * A finished run's calibration iterations without its first `warmupRequests` requests (a run made
 * before the warm-up requests were sent separately): at concurrency 1 each request starts the loop
 * afresh, an iteration with no gap before it, so the records from the (n+1)-th such start on.
 */
export function afterWarmup(records: readonly StepRecord[], warmupRequests: number): StepRecord[] {
  let starts = 0;
  for (let i = 0; i < records.length; i++) if (records[i]!.gapMs === null && ++starts > warmupRequests) return records.slice(i);
  return [];
}

/** Concurrency levels of the calibration run, and requests per stream at each. */
// About 450 iterations (a few seconds on a quiet machine): under load the gaps have a long tail (p99 5-7 ms at load 6-8), and 220 iterations moved the mean by 0.4 ms between two runs.
export const CALIBRATION_STREAMS: readonly { streams: number; requests: number }[] = [
  { streams: 1, requests: 8 },
  { streams: 4, requests: 6 },
];

/** Requests sent one after another before the timed levels, not fitted (see the module comment). */
export const CALIBRATION_WARMUP_REQUESTS = 2;

/** The levels for a server of `maxNumSeqs` sequences: CALIBRATION_STREAMS, then every sequence busy (4 requests each), so the fit spans the batch sizes it will price. */
export function calibrationLevels(maxNumSeqs: number): { streams: number; requests: number }[] {
  const top = Math.max(...CALIBRATION_STREAMS.map((l) => l.streams));
  return maxNumSeqs > top ? [...CALIBRATION_STREAMS, { streams: maxNumSeqs, requests: 4 }] : [...CALIBRATION_STREAMS];
}

/**
 * The calibration run: `warmupRequests` requests one after another, and more until `warmupMs` have
 * passed (not in the returned window; the module comment says why, bench.ts --calibration-warmup-s),
 * then at each level `streams` closed loops each sending `requests` streamed completions one after
 * another (prompt and output `tokens` long, ignore_eos), through the same HTTP server and SSE path
 * the validated runs use. Returns the wall-clock window (epoch ms) of the levels' iterations in the
 * step log.
 */
export async function runCalibrationRequests(url: string, model: string, tokens: { prompt: number; output: number }, levels: readonly { streams: number; requests: number }[] = CALIBRATION_STREAMS, warmupRequests = CALIBRATION_WARMUP_REQUESTS, warmupMs = 0): Promise<[number, number]> {
  let id = 0;
  const level = (streams: number, requests: number): Promise<unknown> =>
    Promise.all(
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
  const warmFrom = Date.now();
  await level(1, warmupRequests);
  while (Date.now() - warmFrom < warmupMs) await level(1, 1);
  // Records are matched by their start (atMs): the warm-up's last iteration started before its stream ended.
  const from = Date.now();
  for (const { streams, requests } of levels) await level(streams, requests);
  return [from, Date.now()];
}
