/**
 * Picks the engine instance for a request with the routing policies the live proxy uses
 * (src/serving/routing: one implementation for both). Load figures come from the instances:
 * outstanding requests change only at iteration boundaries, so policies reading only them keep
 * fast-forwarding exact; outstanding tokens change every iteration, so policies reading them
 * (the routers declaring `reads: 'tokens'`) run step by step (see build.ts).
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

/** Whether a policy reads only figures that are constant between iteration boundaries (it declares what it reads). */
export function fastForwardSafePolicy(policy: RouterPolicy): boolean {
  return createRouter(policy, () => 0).reads !== 'tokens';
}

export function pickInstance(policy: RouterPolicy, instances: readonly EngineInstance[], state: RouteState, rng: RandomStream, keys: readonly number[], promptTokens = 0): EngineInstance {
  if (instances.length === 1) return instances[0]!;
  state.router ??= createRouter(policy, () => rng.next());
  // Tokens are counted (O(requests)) only for a router that declares it reads them.
  const tokens = state.router.reads === 'tokens';
  const candidates: RouteCandidate[] = instances.map((i) => (tokens ? { id: i.name, outstandingRequests: i.outstanding, outstandingTokens: i.outstandingTokens() } : { id: i.name, outstandingRequests: i.outstanding }));
  return instances[state.router.pick(candidates, { promptTokens, prefixHashes: keys.length > 0 ? keys : undefined })]!;
}
