/**
 * The predicted TPOT of a served run split into its terms and each set beside what the same run's
 * step log measured, iteration by iteration (issue 13, round 7). An iteration that gives b decoding
 * sequences a token costs each of them its whole time: its passes, its own time outside them and
 * its delivery (postMs), and the gap before the next one (server-overhead.ts). So the mean ITL a
 * client sees is, to the first order, the mean of those times weighted by decode tokens; the
 * simulator prices each pass with the device profile `simulate` uses, which is the engine's own fit
 * (the pass term) plus the server's cost added to every profiled row (the server term), refitted
 * (the refit term: what the second fit moves besides adding the cost). Priced on the served shapes,
 * the difference between prediction and measurement is one of these three; what is left between
 * the simulated TPOT and this priced one is the scheduling (the simulator served other shapes).
 */
import type { ServerOverhead } from './server-overhead.js';
import type { StepRecord } from './step-loop.js';

type Pricer = (entries: { newTokens: number; contextTokens: number }[]) => number;

/** Decode-token-weighted means over a run's iterations, ms per token. */
export interface TpotTerms {
  /** Iterations that gave at least one decoding sequence a token, and those tokens. */
  iterations: number;
  tokens: number;
  measured: { passMs: number; serverMs: number; totalMs: number };
  predicted: { passMs: number; serverMs: number; refitMs: number; totalMs: number };
}

const decodes = (r: StepRecord): number => (r.passes[0]?.entries ?? []).filter(([n]) => n === 1).length;

/**
 * `passPrice`: the engine's own fit (models-passes); `servedPrice`: the profile simulate used (with
 * the server's cost); `cost`: the server cost that was added to its rows. The last record has no
 * next gap and is left out, as are iterations without decodes (their time is a TTFT's).
 */
export function tpotTerms(records: readonly StepRecord[], passPrice: Pricer, servedPrice: Pricer, cost: ServerOverhead): TpotTerms {
  const sum = { tokens: 0, iterations: 0, mPass: 0, mServer: 0, pPass: 0, pServer: 0, pServed: 0 };
  for (let i = 0; i + 1 < records.length; i++) {
    const r = records[i]!;
    const w = decodes(r);
    const gap = records[i + 1]!.gapMs;
    if (w === 0 || gap === null) continue;
    const passMs = r.passes.reduce((a, p) => a + p.ms, 0);
    let pPass = 0;
    let pServed = 0;
    let pServer = 0;
    for (const p of r.passes) {
      const entries = p.entries.map(([newTokens, contextTokens]) => ({ newTokens, contextTokens }));
      pPass += passPrice(entries);
      pServed += servedPrice(entries);
      pServer += cost.baseMs + cost.perSeqMs * p.entries.length;
    }
    sum.iterations++;
    sum.tokens += w;
    sum.mPass += w * passMs;
    sum.mServer += w * (Math.max(0, r.ms - passMs) + (r.postMs ?? 0) + gap);
    sum.pPass += w * pPass;
    sum.pServer += w * pServer;
    sum.pServed += w * pServed;
  }
  const per = (x: number): number => (sum.tokens > 0 ? x / sum.tokens : 0);
  return {
    iterations: sum.iterations,
    tokens: sum.tokens,
    measured: { passMs: per(sum.mPass), serverMs: per(sum.mServer), totalMs: per(sum.mPass + sum.mServer) },
    predicted: { passMs: per(sum.pPass), serverMs: per(sum.pServer), refitMs: per(sum.pServed - sum.pPass - sum.pServer), totalMs: per(sum.pServed) },
  };
}

/** One line: each term predicted / measured, and the simulated mean ITL beside the priced one (the scheduling term). */
export function formatTpotTerms(t: TpotTerms, simulatedItlMs?: number | null, measuredItlMs?: number | null): string {
  const f = (x: number): string => x.toFixed(2);
  const sched = simulatedItlMs == null ? '' : `; simulated mean ITL ${f(simulatedItlMs)} ms against ${f(t.predicted.totalMs)} priced on the served shapes (scheduling ${f(simulatedItlMs - t.predicted.totalMs)} ms)`;
  const client = measuredItlMs == null ? '' : `; the client measured mean ITL ${f(measuredItlMs)} ms`;
  return `per decode token over ${t.iterations} iterations (${t.tokens} tokens), predicted / measured ms: passes ${f(t.predicted.passMs)} / ${f(t.measured.passMs)}, server cost ${f(t.predicted.serverMs)} / ${f(t.measured.serverMs)}, refit ${f(t.predicted.refitMs)}, total ${f(t.predicted.totalMs)} / ${f(t.measured.totalMs)}${sched}${client}`;
}
