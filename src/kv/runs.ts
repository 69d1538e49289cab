/**
 * What the run-based stores (block-manager.ts: the GPU prefix cache; tier-store.ts: the CPU/disk
 * tiers) share about runs of chain keys (src/serving/block-keys.ts): a key fixes its position and
 * every key before it, so two key arrays that agree at index j agree below it.
 */
import type { HashBlockKeys } from './hash-block-keys.js';

/**
 * End (exclusive, at most `end`) of the stretch from i where `runKeys` (a run's key array, holding
 * keys[i]: the caller probed it) agrees with `keys`. Agreement is a prefix, so it is bisected.
 */
export function chainMatchEnd(runKeys: HashBlockKeys, keys: HashBlockKeys, i: number, end: number): number {
  if (runKeys === keys || runKeys.at(end - 1) === keys.at(end - 1)) return end;
  // runKeys[i] === keys[i], runKeys[end - 1] !== keys[end - 1]: the last agreeing index lies in [i, end - 1).
  let a = i;
  let b = end - 1;
  while (b - a > 1) {
    const m = (a + b) >>> 1;
    if (runKeys.at(m) === keys.at(m)) a = m;
    else b = m;
  }
  return a + 1;
}
