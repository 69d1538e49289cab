/**
 * Request routing across serving instances, shared by the simulator (replica and P/D instance
 * choice) and the live proxy, so both make the same decision from the same inputs. A router is a
 * small object over a list of candidates with their load; it returns the index of the chosen one.
 */

/** One instance a request could go to, with the load the caller tracks for it. */
export interface RouteCandidate {
  /** Stable name ("p0", "http://10.0.0.1:8100"); prefix affinity hashes it. */
  id: string;
  /** Requests sent to it and not yet finished. */
  outstandingRequests: number;
  /**
   * Tokens still to process for those requests (prompt + output still to generate, as the caller
   * counts them). Given only to routers that declare `reads: 'tokens'` (counting them is O(requests)).
   */
  outstandingTokens?: number;
}

/** What a router may look at in the request. */
export interface RouteRequest {
  promptTokens: number;
  /**
   * The prompt's prefix-cache block keys, when known (derived from Mooncake `hash_ids`): pickInstance
   * gives only the first, the one prefix affinity reads (the keys are held per hash block, not as an array).
   */
  prefixHashes?: readonly number[];
}

/** The load figure a router reads: none (round-robin), request counts, or outstanding tokens. */
export type RouterLoad = 'none' | 'requests' | 'tokens';

export interface Router {
  /** What it reads; the router contract suite checks that it ignores what it does not declare. */
  readonly reads: RouterLoad;
  /** Index into `candidates` (non-empty) of the instance that gets `req`. */
  pick(candidates: readonly RouteCandidate[], req: RouteRequest): number;
}

/** The names of the scenario schema's `deployment.router.policy`. */
export type RoutingPolicyName = 'round-robin' | 'least-loaded' | 'least-outstanding-tokens' | 'power-of-two' | 'prefix-aware';

export function assertCandidates(candidates: readonly RouteCandidate[]): void {
  if (candidates.length === 0) throw new RangeError('No candidate instance to route to');
}

/** Outstanding tokens of a candidate, for routers that declare `reads: 'tokens'`. */
export function tokensOf(c: RouteCandidate): number {
  if (c.outstandingTokens === undefined) throw new RangeError(`candidate ${c.id} has no outstandingTokens, which a token-reading router needs`);
  return c.outstandingTokens;
}
