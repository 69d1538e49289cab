/**
 * The predicted TPOT of a served run split into its terms and each set beside what the same run's
 * step log measured, iteration by iteration (issue 13, round 7). An iteration that gives b decoding
 * sequences a token costs each of them its whole time: its passes, its own time outside them and
 * its delivery (postMs), and the gap before the next one (server-overhead.ts). So the mean ITL a
 * client sees is, to the first order, the mean of those times weighted by decode tokens; the
 * simulator prices each pass with the device profile `simulate` uses, which is the engine's own fit
 * (the pass term) plus the server's cost added to its per-pass cost (the server term); the refit
 * term is whatever else the served profile prices beyond those two: what a second fit of the rows
 * with the cost added moved (runs made before server-overhead.ts servedDeviceJson), and since the
 * sequence level (sequence-level.ts) that level; zero without it, to rounding. Priced
 * on the served shapes, the difference between prediction and measurement is one of these three;
 * what is left between the simulated TPOT and this priced one is the scheduling (the simulator
 * served other shapes).
 *
 * A decode token is a one-token entry of pass 1 that is not a prompt chunk's first token: a chunk
 * scheduled beside decodes puts its first token in pass 1 and its rest in a pass of its own
 * (step-loop.ts), so pass 1 holds one such entry per pass after it. Counting those as decodes
 * weighted the long mixed iterations once more per chunk (runs 35-39: 0.6-1.8 ms per token of a
 * "scheduling" term that was this). A token's ITL runs from the delivery of the sequence's previous
 * token, so an iteration goes with the gap before it (its own gapMs); weighted so, the step log's
 * total came within 0.02 ms of the client's mean ITL at every rate of the five runs of 3 December.
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

/** Decode tokens of an iteration: pass 1's one-token entries less the prompt chunks' first tokens (one per later pass). */
export function decodeTokens(r: StepRecord): number {
  const first = r.passes[0]?.entries ?? [];
  const ones = first.filter(([n]) => n === 1).length;
  return ones === 0 ? 0 : ones - (r.passes.length - 1);
}

/**
 * `passPrice`: the engine's own fit (models-passes); `servedPrice`: the profile simulate used (with
 * the server's cost); `cost`: the server cost that was added to it. Iterations without decodes
 * (their time is a TTFT's) are left out, as is one after the loop idled (no gap: nothing decoded).
 */
export function tpotTerms(records: readonly StepRecord[], passPrice: Pricer, servedPrice: Pricer, cost: ServerOverhead): TpotTerms {
  const sum = { tokens: 0, iterations: 0, mPass: 0, mServer: 0, pPass: 0, pServer: 0, pServed: 0 };
  for (const r of records) {
    const w = decodeTokens(r);
    const gap = r.gapMs;
    if (w <= 0 || gap === null) continue;
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
  return `per decode token over ${t.iterations} iterations (${t.tokens} tokens), predicted / measured ms: passes ${f(t.predicted.passMs)} / ${f(t.measured.passMs)}, server cost ${f(t.predicted.serverMs)} / ${f(t.measured.serverMs)}, refit / sequence level ${f(t.predicted.refitMs)}, total ${f(t.predicted.totalMs)} / ${f(t.measured.totalMs)}${sched}${client}`;
}
