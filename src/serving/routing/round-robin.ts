/** Round-robin: each request goes to the next instance in turn, ignoring load. */
import { assertCandidates, type RouteCandidate, type Router } from './types.js';

export function roundRobin(): Router {
  let next = 0;
  return {
    reads: 'none',
    pick(candidates: readonly RouteCandidate[]): number {
      assertCandidates(candidates);
      const i = next % candidates.length;
      next = i + 1;
      return i;
    },
  };
}
