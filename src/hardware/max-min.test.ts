import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { maxMinFairRates, maxMinFairRatesInto, type FairShareFlow } from './max-min.js';

describe('maxMinFairRates', () => {
  it('fills the tightest channel first, then gives the slack to the others', () => {
    // Channels 0 (10) and 1 (4). Flow 0 crosses both, flow 1 only 0, flow 2 only 1.
    const rates = maxMinFairRates(
      [
        { uses: [{ channel: 0, weight: 1 }, { channel: 1, weight: 1 }], capBytesPerS: Infinity },
        { uses: [{ channel: 0, weight: 1 }], capBytesPerS: Infinity },
        { uses: [{ channel: 1, weight: 1 }], capBytesPerS: Infinity },
      ],
      [10, 4],
    );
    expect(rates).toEqual([2, 8, 2]);
  });

  it('freezes a capped flow at its cap and shares the rest', () => {
    const rates = maxMinFairRates(
      [
        { uses: [{ channel: 0, weight: 1 }], capBytesPerS: 1 },
        { uses: [{ channel: 0, weight: 1 }], capBytesPerS: Infinity },
        { uses: [{ channel: 0, weight: 1 }], capBytesPerS: Infinity },
      ],
      [9],
    );
    expect(rates).toEqual([1, 4, 4]);
  });

  it('counts a doubly crossed channel twice', () => {
    const rates = maxMinFairRates(
      [
        { uses: [{ channel: 0, weight: 2 }], capBytesPerS: Infinity },
        { uses: [{ channel: 0, weight: 1 }], capBytesPerS: Infinity },
      ],
      [9],
    );
    expect(rates).toEqual([3, 3]);
  });

  it('gives bit-identical rates to the textbook Map-based loop it replaced, on random flow sets', () => {
    const rng = seedrandom('max-min');
    const out: number[] = [];
    let compared = 0;
    let total = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const nCh = 1 + Math.floor(rng() * 6);
      const caps = Array.from({ length: nCh }, () => (rng() < 0.3 ? 25e9 : rng() * 30e9 + 1e6));
      const flows: FairShareFlow[] = Array.from({ length: 1 + Math.floor(rng() * 8) }, () => {
        const uses = [];
        for (let c = 0; c < nCh; c++) if (rng() < 0.5) uses.push({ channel: c, weight: rng() < 0.2 ? 2 : 1 });
        if (uses.length === 0) uses.push({ channel: Math.floor(rng() * nCh), weight: 1 });
        return { uses, capBytesPerS: rng() < 0.3 ? rng() * 20e9 + 1 : Infinity };
      });
      const want = textbookRates(flows, caps);
      maxMinFairRatesInto(flows, flows.length, caps, out);
      total += flows.length;
      for (let i = 0; i < flows.length; i++) if (Object.is(out[i], want[i])) compared++;
      expect(out.slice(0, flows.length)).toEqual(want);
    }
    expect(compared).toBe(total);
  });
});

describe('maxMinFairRatesInto, flows of one shape', () => {
  // Flows sharing one uses array and cap take a one-round shortcut: it must give the textbook's bits.
  it('gives bit-identical rates to the textbook loop when every flow has the same uses and cap', () => {
    const rng = seedrandom('one-shape');
    const out: number[] = [];
    for (let trial = 0; trial < 3000; trial++) {
      const nCh = 1 + Math.floor(rng() * 5);
      const caps = Array.from({ length: nCh }, () => (rng() < 0.3 ? 25e9 : rng() * 30e9 + 1e6));
      const uses = [];
      for (let c = 0; c < nCh; c++) if (rng() < 0.6) uses.push({ channel: c, weight: rng() < 0.2 ? 2 : rng() < 0.1 ? 1.5 : 1 });
      // Now and then a channel listed twice, or no channel at all.
      if (uses.length > 0 && rng() < 0.1) uses.push({ ...uses[0]! });
      const cap = rng() < 0.3 ? rng() * 20e9 + 1 : rng() < 0.05 ? 0 : Infinity;
      const shared = { uses, capBytesPerS: cap };
      const flows: FairShareFlow[] = Array.from({ length: 2 + Math.floor(rng() * 40) }, () => shared);
      const want = textbookRates(flows, caps);
      maxMinFairRatesInto(flows, flows.length, caps, out);
      for (let i = 0; i < flows.length; i++) expect(Object.is(out[i], want[i])).toBe(true);
    }
  });
});

/** The implementation before it was made allocation-free (Maps per call), kept as the reference. */
function textbookRates(flows: readonly FairShareFlow[], capacityBytesPerS: readonly number[]): number[] {
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
    const threshold = level * (1 + 1e-12);
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
