/**
 * Picks the engine instance for a request with the routing policies the live proxy uses
 * (src/serving/routing: one implementation for both). Load figures come from the instances:
 * outstanding requests change only at iteration boundaries, so policies reading only them keep
 * fast-forwarding exact; outstanding tokens change every iteration, so policies reading them
 * (least-outstanding-tokens, prefix-aware's overload check) run step by step (see build.ts).
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

const TOKEN_POLICIES = new Set<RouterPolicy>(['least-outstanding-tokens', 'prefix-aware']);

/** Whether a policy reads only figures that are constant between iteration boundaries. */
export function fastForwardSafePolicy(policy: RouterPolicy): boolean {
  return !TOKEN_POLICIES.has(policy);
}

export function pickInstance(policy: RouterPolicy, instances: readonly EngineInstance[], state: RouteState, rng: RandomStream, keys: readonly number[], promptTokens = 0): EngineInstance {
  if (instances.length === 1) return instances[0]!;
  state.router ??= createRouter(policy, () => rng.next());
  const tokens = TOKEN_POLICIES.has(policy);
  const candidates: RouteCandidate[] = instances.map((i) => ({ id: i.name, outstandingRequests: i.outstanding, outstandingTokens: tokens ? i.outstandingTokens() : i.outstanding }));
  return instances[state.router.pick(candidates, { promptTokens, prefixHashes: keys.length > 0 ? keys : undefined })]!;
}
