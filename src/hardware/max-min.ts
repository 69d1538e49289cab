/**
 * Max-min fair rate allocation by progressive filling (water-filling), the textbook fluid model of
 * flows sharing links (Bertsekas & Gallager, "Data Networks", 6.5.2). Pure and allocation-light so
 * the flow network can call it on every flow start and finish.
 *
 * All unfrozen flows rise at the same rate; when a channel fills up (or a flow reaches its own cap)
 * the flows crossing it freeze at the current level and the rest keep rising. A flow may cross a
 * channel more than once (host DRAM written then read when bouncing through the host): `weight`
 * counts the crossings, so the flow consumes weight x rate of that channel.
 */

export interface ChannelUse {
  /** Index into the capacity array. */
  channel: number;
  /** Times the flow crosses this channel (>= 1). */
  weight: number;
}

export interface FairShareFlow {
  uses: readonly ChannelUse[];
  /** The flow's own ceiling (pageable memory, slow endpoint); Infinity when none. */
  capBytesPerS: number;
}

/** Relative slack when deciding that a channel is full at the current level (float round-off). */
const LEVEL_TOLERANCE = 1e-12;

/**
 * Returns one rate per flow, in bytes/s. `capacityBytesPerS[c]` must be > 0 for every channel used.
 * A flow with no channel and no cap gets Infinity (the caller treats it as instantaneous).
 */
export function maxMinFairRates(flows: readonly FairShareFlow[], capacityBytesPerS: readonly number[]): number[] {
  const rates = new Array<number>(flows.length).fill(0);
  const remaining = new Map<number, number>();
  const weightSum = new Map<number, number>();
  for (const f of flows) {
    for (const u of f.uses) {
      weightSum.set(u.channel, (weightSum.get(u.channel) ?? 0) + u.weight);
      if (!remaining.has(u.channel)) remaining.set(u.channel, capacityBytesPerS[u.channel]!);
    }
  }
  const fillLevel = (c: number): number => remaining.get(c)! / weightSum.get(c)!;

  let unfrozen = flows.map((_, i) => i);
  while (unfrozen.length > 0) {
    let level = Infinity;
    for (const i of unfrozen) {
      const f = flows[i]!;
      level = Math.min(level, f.capBytesPerS);
      for (const u of f.uses) level = Math.min(level, fillLevel(u.channel));
    }
    const threshold = level * (1 + LEVEL_TOLERANCE);
    // Decide every freeze before subtracting, so one flow's freeze does not change the test of another.
    const freezing: number[] = [];
    const next: number[] = [];
    for (const i of unfrozen) {
      const f = flows[i]!;
      const saturated = f.capBytesPerS <= threshold || f.uses.some((u) => fillLevel(u.channel) <= threshold);
      (saturated ? freezing : next).push(i);
    }
    for (const i of freezing) {
      rates[i] = level;
      for (const u of flows[i]!.uses) {
        remaining.set(u.channel, Math.max(0, remaining.get(u.channel)! - u.weight * level));
        weightSum.set(u.channel, weightSum.get(u.channel)! - u.weight);
      }
    }
    unfrozen = next;
  }
  return rates;
}
