/**
 * Length bins: sequences are grouped by context length in bins of `binTokens`; when a cap binds,
 * the batch is filled from the oldest sequence's bin first, then the nearest bins. With paged
 * attention there is no padding to save, so bins change results only when a cap binds (a finding,
 * not a bug: the reference system batched padded tensors).
 */
import type { DecodeVariant } from './types.js';

export function lengthBins(binTokens: number): DecodeVariant {
  return {
    name: `length-bins(${binTokens})`,
    arrange(running) {
      if (running.length < 2) return;
      const head = Math.floor(running[0]!.numTokens / binTokens);
      // Stable: distance from the oldest sequence's bin, then age.
      const keyed = running.map((r, i) => ({ r, i, d: Math.abs(Math.floor(r.numTokens / binTokens) - head) }));
      keyed.sort((a, b) => a.d - b.d || a.i - b.i);
      for (let i = 0; i < keyed.length; i++) running[i] = keyed[i]!.r;
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
