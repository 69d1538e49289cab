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
  maxMinFairRatesInto(flows, flows.length, capacityBytesPerS, rates);
  return rates;
}

// Scratch space reused across calls (the flow network calls this on every flow start and finish):
// per-channel remaining capacity and crossing weight, and two lists of unfrozen flow indices.
let remaining = new Float64Array(16);
let weightSum = new Float64Array(16);
let unfrozenA = new Int32Array(16);
let unfrozenB = new Int32Array(16);
let freezing = new Int32Array(16);

/**
 * `maxMinFairRates` for the first `n` flows, writing rates into `out`, allocating nothing once its
 * scratch space has grown. The floating-point operations are the same, in the same order, as the
 * textbook loop, so results are bit-identical to it.
 */
export function maxMinFairRatesInto(flows: readonly FairShareFlow[], n: number, capacityBytesPerS: readonly number[], out: number[]): void {
  if (remaining.length < capacityBytesPerS.length) {
    remaining = new Float64Array(capacityBytesPerS.length * 2);
    weightSum = new Float64Array(capacityBytesPerS.length * 2);
  }
  if (unfrozenA.length < n) {
    unfrozenA = new Int32Array(n * 2);
    unfrozenB = new Int32Array(n * 2);
    freezing = new Int32Array(n * 2);
  }
  for (let i = 0; i < n; i++) {
    out[i] = 0;
    for (const u of flows[i]!.uses) {
      remaining[u.channel] = capacityBytesPerS[u.channel]!;
      weightSum[u.channel] = 0;
    }
  }
  for (let i = 0; i < n; i++) for (const u of flows[i]!.uses) weightSum[u.channel]! += u.weight;
  if (n > 1 && oneShape(flows, n)) {
    // Every flow on the same uses with the same cap (chunks pulled together on one path): the
    // loop's first round computes one level for all, and every flow freezes there (the term that
    // makes the minimum is within the threshold), so that round's operations give every rate.
    const f = flows[0]!;
    let level = f.capBytesPerS;
    for (const u of f.uses) level = Math.min(level, remaining[u.channel]! / weightSum[u.channel]!);
    for (let i = 0; i < n; i++) out[i] = level;
    return;
  }

  let unfrozen = unfrozenA;
  let next = unfrozenB;
  let count = n;
  for (let i = 0; i < n; i++) unfrozen[i] = i;
  while (count > 0) {
    let level = Infinity;
    for (let k = 0; k < count; k++) {
      const f = flows[unfrozen[k]!]!;
      level = Math.min(level, f.capBytesPerS);
      for (const u of f.uses) level = Math.min(level, remaining[u.channel]! / weightSum[u.channel]!);
    }
    const threshold = level * (1 + LEVEL_TOLERANCE);
    // Decide every freeze before subtracting, so one flow's freeze does not change the test of another.
    let nFreeze = 0;
    let nNext = 0;
    for (let k = 0; k < count; k++) {
      const i = unfrozen[k]!;
      const f = flows[i]!;
      let saturated = f.capBytesPerS <= threshold;
      if (!saturated) for (const u of f.uses) if (remaining[u.channel]! / weightSum[u.channel]! <= threshold) { saturated = true; break; }
      if (saturated) freezing[nFreeze++] = i;
      else next[nNext++] = i;
    }
    for (let k = 0; k < nFreeze; k++) {
      const i = freezing[k]!;
      out[i] = level;
      for (const u of flows[i]!.uses) {
        remaining[u.channel] = Math.max(0, remaining[u.channel]! - u.weight * level);
        weightSum[u.channel] = weightSum[u.channel]! - u.weight;
      }
    }
    const t = unfrozen;
    unfrozen = next;
    next = t;
    count = nNext;
  }
}

/** The first n flows share one uses array and one cap. */
function oneShape(flows: readonly FairShareFlow[], n: number): boolean {
  const uses = flows[0]!.uses;
  const cap = flows[0]!.capBytesPerS;
  for (let i = 1; i < n; i++) if (flows[i]!.uses !== uses || flows[i]!.capBytesPerS !== cap) return false;
  return true;
}
