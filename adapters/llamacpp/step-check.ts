/**
 * Where a serving prediction's error comes from, read from the server's step log (llamacpp-serve
 * --step-log): each forward pass the engine ran is priced by the calibrated device model (the one
 * `simulate` uses) and compared with its measured time, and the time between iterations (HTTP,
 * SSE writes, timers: what the simulator does not price) is summed. If passes run at their
 * profiled speed and gaps are small, a latency error is the scheduler's or the workload's; if
 * passes run slower than profiled, the engine was slower while serving (on a shared machine: other
 * processes' load).
 */
import { readFileSync } from 'node:fs';
import { withoutDecodeBatch } from '../../src/calibrate/fit-decode-batch.js';
import { loadGpu, loadLlm } from '../../src/model/catalog.js';
import { profiledEngineOverhead } from '../../src/perf/engine-setup.js';
import { RooflinePerfModel } from '../../src/perf/perf-model.js';
import type { StepRecord } from './step-loop.js';

export interface StepCheck {
  iterations: number;
  passes: number;
  /** Median of measured / predicted pass time, decode-only passes (every sequence one token). */
  decodeRatio: number | null;
  /** Same, passes with a prompt chunk. */
  prefillRatio: number | null;
  /**
   * The prompt passes split by what came before them: a prompt-only iteration the loop started
   * after idling (gapMs null: the engine had no work), against prompt passes of a loop that ran on
   * (docs/accuracy-live.md, run 25, says why); medians of measured / predicted, with their counts.
   */
  promptAfterIdle: { n: number; ratio: number | null };
  promptInRunningLoop: { n: number; ratio: number | null };
  /** Over the prompt passes that record them: system CPU / all CPU, and minor page faults per pass (memory the engine touched afresh). */
  promptSysShare: number | null;
  promptFaultsPerPass: number | null;
  /** Measured / predicted, summed over every pass. */
  totalRatio: number | null;
  /** Mean time between back-to-back iterations, ms, and its share of the engine's busy time. */
  meanGapMs: number | null;
  gapShare: number | null;
  /** Delivery and slot release after each iteration's passes (StepRecord.postMs), as a share of busy time. */
  postShare: number | null;
  /**
   * Decode-only iterations by batch size: summed measured / summed predicted, and how many had padding;
   * `rows`, when checkSteps was given the profile's rows as a second price (profile-rows.ts): summed
   * measured / summed row price over the passes that price covers.
   */
  decodeByBatch: { batch: number; n: number; ratio: number; padded: number; rows?: number }[];
  /** Passes with throw-away padding tokens: summed measured / predicted (their pads are not priced). */
  paddedRatio: number | null;
  paddedPasses: number;
  /** Process CPU time / wall time over the passes that record it: below 1, the engine waited for a core (other processes' load). */
  cpuShare: number | null;
  /** Measured / predicted over each WINDOW_MS of wall time (from the first record): how the engine's speed drifts within a run. */
  windowRatios: number[];
}

/** Width of the drift windows, ms: long enough for tens of passes at any load. */
export const WINDOW_MS = 10_000;

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function readStepLog(file: string): StepRecord[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as StepRecord);
}

/** Prices each logged pass with `priceMs` ([new tokens, context] per sequence -> ms) and compares. */
export function checkSteps(records: readonly StepRecord[], priceMs: (entries: { newTokens: number; contextTokens: number }[]) => number, rowMs?: (entries: { newTokens: number; contextTokens: number }[]) => number | null): StepCheck {
  const dec: number[] = [];
  const pre: number[] = [];
  const afterIdle: number[] = [];
  const running: number[] = [];
  const promptRes = { sys: 0, cpu: 0, faults: 0, n: 0 };
  let measured = 0;
  let predicted = 0;
  let passes = 0;
  let busy = 0;
  let post = 0;
  let cpu = 0;
  let cpuWall = 0;
  const gaps: number[] = [];
  const byBatch = new Map<number, { n: number; m: number; p: number; padded: number; rm: number; rp: number }>();
  const padded = { n: 0, m: 0, p: 0 };
  const windows = new Map<number, { m: number; p: number }>();
  for (const r of records) {
    const k = Math.floor((r.atMs - records[0]!.atMs) / WINDOW_MS);
    const w = windows.get(k) ?? { m: 0, p: 0 };
    windows.set(k, w);
    busy += r.ms;
    post += r.postMs ?? 0;
    if (r.gapMs !== null) gaps.push(r.gapMs);
    // A record of prompt chunks only, after the loop had idled (gapMs null): its prompt passes met an idle engine.
    const idleStart = r.gapMs === null && r.passes.every((q) => q.entries.every(([n]) => n > 1));
    for (const p of r.passes) {
      if (p.entries.length === 0) continue;
      const ms = priceMs(p.entries.map(([newTokens, contextTokens]) => ({ newTokens, contextTokens })));
      passes++;
      measured += p.ms;
      predicted += ms;
      if (p.cpuMs !== undefined) {
        cpu += p.cpuMs;
        cpuWall += p.ms;
      }
      w.m += p.ms;
      w.p += ms;
      const decode = p.entries.every(([n]) => n === 1);
      const ratio = p.ms / ms;
      (decode ? dec : pre).push(ratio);
      if (!decode) {
        (idleStart ? afterIdle : running).push(ratio);
        if (p.sysMs !== undefined && p.cpuMs !== undefined && p.faults !== undefined) {
          promptRes.sys += p.sysMs;
          promptRes.cpu += p.cpuMs;
          promptRes.faults += p.faults;
          promptRes.n++;
        }
      }
      if (p.pad) {
        padded.n++;
        padded.m += p.ms;
        padded.p += ms;
      }
      if (decode && r.passes.length === 1) {
        const g = byBatch.get(p.entries.length) ?? { n: 0, m: 0, p: 0, padded: 0, rm: 0, rp: 0 };
        g.n++;
        g.m += p.ms;
        g.p += ms;
        const row = rowMs?.(p.entries.map(([newTokens, contextTokens]) => ({ newTokens, contextTokens })));
        if (row !== undefined && row !== null) {
          g.rm += p.ms;
          g.rp += row;
        }
        if (p.pad) g.padded++;
        byBatch.set(p.entries.length, g);
      }
    }
  }
  const gapSum = gaps.reduce((a, b) => a + b, 0);
  return {
    iterations: records.length,
    passes,
    decodeRatio: median(dec),
    prefillRatio: median(pre),
    promptAfterIdle: { n: afterIdle.length, ratio: median(afterIdle) },
    promptInRunningLoop: { n: running.length, ratio: median(running) },
    promptSysShare: promptRes.cpu > 0 ? promptRes.sys / promptRes.cpu : null,
    promptFaultsPerPass: promptRes.n > 0 ? promptRes.faults / promptRes.n : null,
    totalRatio: predicted > 0 ? measured / predicted : null,
    meanGapMs: gaps.length > 0 ? gapSum / gaps.length : null,
    gapShare: busy > 0 ? gapSum / busy : null,
    postShare: busy > 0 ? post / busy : null,
    decodeByBatch: [...byBatch].sort(([a], [b]) => a - b).map(([batch, g]) => ({ batch, n: g.n, ratio: g.m / g.p, padded: g.padded, ...(rowMs && g.rp > 0 ? { rows: g.rm / g.rp } : {}) })),
    paddedRatio: padded.p > 0 ? padded.m / padded.p : null,
    paddedPasses: padded.n,
    cpuShare: cpuWall > 0 ? cpu / cpuWall : null,
    windowRatios: [...windows].sort(([a], [b]) => a - b).filter(([, w]) => w.p > 0).map(([, w]) => w.m / w.p),
  };
}

/** The calibrated device's price of one pass, as `simulate` computes it (one pass: no further split); `withoutBatchTerm`: less perf.decodeBatchMs. */
export function passPricer(modelId: string, deviceId: string, modelsDir: string, o: { withoutBatchTerm?: boolean } = {}): (entries: { newTokens: number; contextTokens: number }[]) => number {
  const loaded = loadGpu(deviceId, modelsDir);
  const gpu = o.withoutBatchTerm ? { ...loaded, perf: withoutDecodeBatch(loaded.perf) } : loaded;
  const model = new RooflinePerfModel(loadLlm(modelId, modelsDir), gpu, { tp: 1, overhead: profiledEngineOverhead(gpu) });
  return (entries) => model.iterationMs(entries);
}

export function formatStepCheck(c: StepCheck): string {
  const f = (x: number | null, d = 2): string => (x === null ? '-' : x.toFixed(d));
  const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
  const byBatch = c.decodeByBatch.map((g) => `b${g.batch} ${f(g.ratio)}${g.rows !== undefined ? ` [rows ${f(g.rows)}]` : ''} (${g.n}${g.padded > 0 ? `, ${g.padded} padded` : ''})`).join(', ');
  return `${c.iterations} iterations, ${c.passes} passes; measured / predicted pass time: decode median ${f(c.decodeRatio)}, prompt median ${f(c.prefillRatio)} (after the loop idled ${f(c.promptAfterIdle.ratio)} (${c.promptAfterIdle.n}), in a running loop ${f(c.promptInRunningLoop.ratio)} (${c.promptInRunningLoop.n}); system CPU ${pct(c.promptSysShare)}, ${f(c.promptFaultsPerPass, 0)} page faults per pass), all ${f(c.totalRatio)}; decode-only steps by batch (sum measured / sum predicted${c.decodeByBatch.some((g) => g.rows !== undefined) ? ' [/ the profile\'s own rows: per batch their least-squares line in KV, then interpolated in batch]' : ''}): ${byBatch || '-'}; passes with padding: ${c.paddedPasses}, ${f(c.paddedRatio)}; by ${WINDOW_MS / 1000}-s window: ${c.windowRatios.length > 0 ? `${f(Math.min(...c.windowRatios))}-${f(Math.max(...c.windowRatios))}` : '-'}; gap between iterations mean ${f(c.meanGapMs)} ms (${pct(c.gapShare)} of engine time), delivery after iterations ${pct(c.postShare)}; CPU / wall during passes ${f(c.cpuShare)}`;
}
