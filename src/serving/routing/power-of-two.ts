/**
 * Power of two choices (Mitzenmacher 2001): sample two distinct instances at random and take the
 * less loaded. Nearly as good as least-loaded, without every router herding onto the same instance
 * when load information is stale. `random` is a seeded stream in [0, 1), passed in.
 */
import { leastLoadedIndex } from './least-outstanding-tokens.js';
import { assertCandidates, type RouteCandidate, type Router } from './types.js';

export function powerOfTwo(random: () => number): Router {
  return {
    reads: 'tokens',
    pick(candidates: readonly RouteCandidate[]): number {
      assertCandidates(candidates);
      const n = candidates.length;
      if (n === 1) return 0;
      const a = Math.floor(random() * n);
      const b = (a + 1 + Math.floor(random() * (n - 1))) % n; // distinct from a
      return leastLoadedIndex(candidates, [Math.min(a, b), Math.max(a, b)]);
    },
  };
}
