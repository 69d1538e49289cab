/**
 * The order the loop serves its rates in (`npm run bench:llamacpp -- --rate-order ...`). The bench
 * always ran low, moderate, high, so the high rate's batch shape and the server's age were
 * confounded (runs 40-43: its passes ran 1.02-1.03x their price); serving high first separates them.
 * Results keep their place (and label) in the given list; each one records when it ran (runIndex).
 */
import { UserError } from '../../src/errors.js';

/** As given; ascending or descending by rate (ties keep the given order); or explicit indices into the given list, first run first. */
export type RateOrder = 'as-given' | 'low-first' | 'high-first' | readonly number[];

/** `--rate-order` as typed: "as-given", "low-first", "high-first" or "2,0,1" (indices into --fractions). */
export function parseRateOrder(v: string): RateOrder {
  if (v === 'as-given' || v === 'low-first' || v === 'high-first') return v;
  if (!/^\d+(,\d+)*$/.test(v)) throw new UserError(`--rate-order must be as-given, low-first, high-first or comma-separated indices into the rates (e.g. 2,0,1), got "${v}"`);
  return v.split(',').map(Number);
}

/** The run order as a permutation of 0..values.length-1: element k is the index of the rate served k-th. */
export function resolveRateOrder(order: RateOrder, values: readonly number[]): number[] {
  const idx = values.map((_, i) => i);
  if (order === 'as-given') return idx;
  // Array.prototype.sort is stable, so equal rates keep the given order.
  if (order === 'low-first') return idx.sort((a, b) => values[a]! - values[b]!);
  if (order === 'high-first') return idx.sort((a, b) => values[b]! - values[a]!);
  const seen = new Set(order);
  if (order.length !== values.length || seen.size !== order.length || order.some((i) => !Number.isInteger(i) || i < 0 || i >= values.length)) {
    throw new UserError(`--rate-order must name each of the ${values.length} rates once, indices 0-${values.length - 1}, got "${order.join(',')}"`);
  }
  return [...order];
}

/**
 * Runs `run` on each item in `order` (one at a time: the server serves one rate after another) and
 * returns the results in the items' given order, each with the position it ran at.
 */
export async function runInOrder<T, R>(items: readonly T[], order: readonly number[], run: (item: T, runIndex: number) => Promise<R>): Promise<(R & { runIndex: number })[]> {
  const out: (R & { runIndex: number })[] = new Array(items.length);
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    out[i] = { ...(await run(items[i]!, k)), runIndex: k };
  }
  return out;
}

/** How bench.md says it: "0.9, 0.25, 0.5 x capacity (high-first)". */
export function formatRunOrder(labels: readonly string[], order: readonly number[], spec: RateOrder): string {
  return `${order.map((i) => labels[i]).join(', ')} (${typeof spec === 'string' ? spec : spec.join(',')})`;
}
