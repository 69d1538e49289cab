/** Registry of routing policies: a new policy is one file plus one line here. */
import { leastLoaded, leastOutstandingTokens } from './least-outstanding-tokens.js';
import { powerOfTwo } from './power-of-two.js';
import { prefixAffinity } from './prefix-affinity.js';
import { roundRobin } from './round-robin.js';
import type { Router, RoutingPolicyName } from './types.js';

export type { RouteCandidate, RouteRequest, Router, RoutingPolicyName } from './types.js';
export { leastLoaded, leastOutstandingTokens, powerOfTwo, prefixAffinity, roundRobin };

/** Factories by policy name; `random` is the seeded stream a randomized policy draws from. */
export const routingPolicies: Record<RoutingPolicyName, (random: () => number) => Router> = {
  'round-robin': () => roundRobin(),
  'least-loaded': () => leastLoaded(),
  'least-outstanding-tokens': () => leastOutstandingTokens(),
  'power-of-two': (random) => powerOfTwo(random),
  'prefix-aware': () => prefixAffinity(),
};

export const routingPolicyNames = Object.keys(routingPolicies) as RoutingPolicyName[];

export function createRouter(name: RoutingPolicyName, random: () => number): Router {
  return routingPolicies[name](random);
}
