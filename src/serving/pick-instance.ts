/**
 * Picks the engine instance for a request with the routing policies the live proxy uses
 * (src/serving/routing: one implementation for both). Load figures come from the instances, and
 * are exact with decode fast-forward on, outstanding tokens included: a fast-forward segment ends at
 * the first iteration boundary at or after the next pending event, so when any event (an arrival
 * that routes) runs, every instance has applied exactly the iterations that ended before it and has
 * the one in flight pending, as step by step (fast-forward.test.ts checks token readers too).
 */
import type { RandomStream } from '../kernel/random.js';
import type { EngineInstance } from './instance.js';
import { createRouter, type RouteCandidate, type Router, type RoutingPolicyName } from './routing/index.js';

export type RouterPolicy = RoutingPolicyName;

/** Per-pool routing state (the router keeps round-robin position and the like). */
export interface RouteState {
  next: number;
  router?: Router;
}

export function pickInstance(policy: RouterPolicy, instances: readonly EngineInstance[], state: RouteState, rng: RandomStream, keys: readonly number[], promptTokens = 0): EngineInstance {
  if (instances.length === 1) return instances[0]!;
  state.router ??= createRouter(policy, () => rng.next());
  // Tokens are counted (O(requests)) only for a router that declares it reads them, and only for the
  // candidates it looks at (power-of-two reads two of sixteen).
  const tokens = state.router.reads === 'tokens';
  const candidates: RouteCandidate[] = instances.map((i) => (tokens ? new CountedOnRead(i) : { id: i.name, outstandingRequests: i.outstanding }));
  return instances[state.router.pick(candidates, { promptTokens, prefixHashes: keys.length > 0 ? keys : undefined })]!;
}

/** A candidate whose outstanding tokens are counted when first read (the instance does not change during a pick). */
class CountedOnRead implements RouteCandidate {
  readonly id: string;
  readonly outstandingRequests: number;
  private tokens = -1;
  constructor(private readonly inst: EngineInstance) {
    this.id = inst.name;
    this.outstandingRequests = inst.outstanding;
  }
  get outstandingTokens(): number {
    if (this.tokens < 0) this.tokens = this.inst.outstandingTokens();
    return this.tokens;
  }
}
