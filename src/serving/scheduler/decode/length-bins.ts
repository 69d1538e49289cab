/**
 * Length bins: sequences are grouped by context length in bins of `binTokens`; when a cap binds,
 * the batch is filled from the oldest sequence's bin first, then the nearest bins. With paged
 * attention there is no padding to save, so bins change results only when a cap binds (a finding,
 * not a bug: the reference system batched padded tensors).
 */
import type { DecodeVariant } from './types.js';

/** Scratch of arrange: each sequence's distance in bins from the oldest one's (one arrangement at a time). */
const distances: number[] = [];

export function lengthBins(binTokens: number): DecodeVariant {
  return {
    name: `length-bins(${binTokens})`,
    arrange(running) {
      const n = running.length;
      if (n < 2) return;
      const head = Math.floor(running[0]!.numTokens / binTokens);
      // Stable: distance from the oldest sequence's bin, then age. An insertion sort moving an entry
      // only past larger distances is that order; it allocates nothing (a sort per decode step with
      // a keyed copy was ~8 % of a P/D run's allocation) and a sorted batch, the usual case, costs one pass.
      const d = distances;
      for (let i = 0; i < n; i++) d[i] = Math.abs(Math.floor(running[i]!.numTokens / binTokens) - head);
      for (let i = 1; i < n; i++) {
        const di = d[i]!;
        if (!(di < d[i - 1]!)) continue;
        const r = running[i]!;
        let j = i - 1;
        while (j >= 0 && d[j]! > di) {
          d[j + 1] = d[j]!;
          running[j + 1] = running[j]!;
          j--;
        }
        d[j + 1] = di;
        running[j + 1] = r;
      }
    },
    // Arranging again with the same bins changes nothing (a stable sort of a sorted list, same
    // head): the order holds until the first sequence enters its next bin. The arrangement before
    // iteration k sees numTokens + k - 1 tokens, in the same bin up to k = binTokens - numTokens % binTokens.
    steadyIterations(running) {
      let k = Infinity;
      for (const r of running) k = Math.min(k, binTokens - (r.numTokens % binTokens));
      return k;
    },
  };
}
