/**
 * Fault injection for the simulator-backed server, so the live client's failure handling is
 * tested over real sockets. Each request draws once from a seeded stream, in arrival order:
 * - fail: answer 500 at once;
 * - stall: accept and never answer (the client's timeout must fire);
 * - reset: destroy the connection after half of the tokens were streamed;
 * - break: write half an SSE event after half of the tokens, then end without `[DONE]`.
 */
import { RandomStreams } from '../../src/kernel/random.js';

export type FaultKind = 'fail' | 'stall' | 'reset' | 'break';
export const FAULT_KINDS: readonly FaultKind[] = ['fail', 'stall', 'reset', 'break'];

export interface FaultOptions {
  /** Percent of requests per fault kind, 0..100 each; their sum at most 100. */
  failPct?: number;
  stallPct?: number;
  resetPct?: number;
  breakPct?: number;
  seed?: number | string;
}

export function createFaultPicker(o: FaultOptions = {}): () => FaultKind | undefined {
  const pcts: [FaultKind, number][] = [
    ['fail', o.failPct ?? 0],
    ['stall', o.stallPct ?? 0],
    ['reset', o.resetPct ?? 0],
    ['break', o.breakPct ?? 0],
  ];
  for (const [k, p] of pcts) if (!(p >= 0 && p <= 100)) throw new RangeError(`${k} percentage must be in [0, 100], got ${p}`);
  const total = pcts.reduce((a, [, p]) => a + p, 0);
  if (total > 100) throw new RangeError(`fault percentages add up to ${total}, more than 100`);
  if (total === 0) return () => undefined;
  const rng = new RandomStreams(o.seed ?? 0).stream('faults');
  return () => {
    let u = rng.next() * 100;
    for (const [k, p] of pcts) {
      if (u < p) return k;
      u -= p;
    }
    return undefined;
  };
}
