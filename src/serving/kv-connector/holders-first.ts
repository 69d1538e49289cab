/**
 * The waiting-queue order every connector that loads KV into waiting requests needs (offload
 * tiers, swap): requests whose load or swap-in has landed hold GPU blocks they cannot use until
 * they run, so they go first (stable), and a fresh head needing those blocks cannot starve them.
 */
import type { RequestState } from '../request-state.js';

export function holdersFirst(w: RequestState[], busy: (r: RequestState) => boolean): void {
  let k = 0;
  for (let i = 0; i < w.length; i++) {
    const r = w[i]!;
    if (r.numComputed > 0 && r.blocks + r.hashedBlocks > 0 && !busy(r)) {
      if (i !== k) {
        w.splice(i, 1);
        w.splice(k, 0, r);
      }
      k++;
    }
  }
}
