/**
 * Least outstanding tokens: the instance with the least work queued, counted in tokens because one
 * 8k-token prompt weighs more than ten short ones. Ties go to fewer requests, then the lower index,
 * so the choice is deterministic.
 */
import { assertCandidates, tokensOf, type RouteCandidate, type Router } from './types.js';

export function leastLoadedIndex(candidates: readonly RouteCandidate[], among?: readonly number[]): number {
  // No index array built when all are candidates: a simulated router picks once per arrival.
  const n = among === undefined ? candidates.length : among.length;
  let best = among === undefined ? 0 : among[0]!;
  let bestTokens = tokensOf(candidates[best]!);
  for (let k = 1; k < n; k++) {
    const i = among === undefined ? k : among[k]!;
    const c = candidates[i]!;
    const t = tokensOf(c);
    if (t < bestTokens || (t === bestTokens && c.outstandingRequests < candidates[best]!.outstandingRequests)) {
      best = i;
      bestTokens = t;
    }
  }
  return best;
}

export function leastOutstandingTokens(): Router {
  return {
    reads: 'tokens',
    pick(candidates: readonly RouteCandidate[]): number {
      assertCandidates(candidates);
      return leastLoadedIndex(candidates);
    },
  };
}

/** Least loaded by request count (then tokens, then index): the figure a proxy always knows. */
export function leastLoaded(): Router {
  return {
    reads: 'requests',
    pick(candidates: readonly RouteCandidate[]): number {
      assertCandidates(candidates);
      let best = 0;
      candidates.forEach((c, i) => {
        const b = candidates[best]!;
        // Ties go to the lower index: it declares that it reads request counts only.
        if (c.outstandingRequests < b.outstandingRequests) best = i;
      });
      return best;
    },
  };
}
