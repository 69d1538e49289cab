/**
 * Picks the engine instance for a request with the routing policies the live proxy uses
 * (src/serving/routing: one implementation for both). Load figures come from the instances, and
 * are exact with decode fast-forward on, outstanding tokens included: a fast-forward segment ends at
 * the first iteration boundary at or after the next pending event, so when any event (an arrival
 * that routes) runs, every instance has applied exactly the iterations that ended before it and has
 * the one in flight pending, as step by step (fast-forward.test.ts checks token readers too).
 */
import type { HashBlockKeys } from '../kv/hash-block-keys.js';
import type { RandomStream } from '../kernel/random.js';
import type { EngineInstance } from './instance.js';
import { createRouter, type RouteCandidate, type RouteRequest, type Router, type RoutingPolicyName } from './routing/index.js';

export type RouterPolicy = RoutingPolicyName;

/** Per-pool routing state (the router keeps round-robin position and the like). */
export interface RouteState {
  next: number;
  router?: Router;
  /** Candidates of `forInstances`, reused from pick to pick (refreshed before each). */
  candidates?: CountedOnRead[];
  forInstances?: readonly EngineInstance[];
  request?: { promptTokens: number; prefixHashes: readonly number[] | undefined };
  /** The request's first block key, as `request.prefixHashes` (reused from pick to pick). */
  firstKey?: number[];
}

export function pickInstance(policy: RouterPolicy, instances: readonly EngineInstance[], state: RouteState, rng: RandomStream, keys: HashBlockKeys, promptTokens = 0): EngineInstance {
  if (instances.length === 1) return instances[0]!;
  state.router ??= createRouter(policy, () => rng.next());
  // One candidate object per instance for the pool's lifetime, not 16 per arrival: a pick refreshes
  // the request counts and forgets the token counts, which are counted (O(requests)) only when a
  // router that declares it reads them looks at that candidate (power-of-two reads two of sixteen).
  let cs = state.candidates;
  if (cs === undefined || state.forInstances !== instances) {
    const tokens = state.router.reads === 'tokens';
    state.candidates = cs = instances.map((i) => new CountedOnRead(i, tokens));
    state.forInstances = instances;
  }
  for (let i = 0; i < cs.length; i++) cs[i]!.refresh();
  const req = (state.request ??= { promptTokens: 0, prefixHashes: undefined });
  req.promptTokens = promptTokens;
  // Only the first block key: the one a router reads (prefix affinity); the keys are stored per hash
  // block (src/kv/hash-block-keys.ts), not as the array a router is given.
  const first = (state.firstKey ??= [0]);
  if (keys.length > 0) first[0] = keys.at(0);
  req.prefixHashes = keys.length > 0 ? first : undefined;
  return instances[state.router.pick(cs, req as RouteRequest)]!;
}

/**
 * A candidate whose outstanding tokens are counted when first read after a refresh (the instance
 * does not change during a pick); a router that does not read tokens sees none, as the contract says.
 */
class CountedOnRead implements RouteCandidate {
  readonly id: string;
  outstandingRequests = 0;
  private tokens = -1;
  constructor(private readonly inst: EngineInstance, private readonly readsTokens: boolean) {
    this.id = inst.name;
  }
  refresh(): void {
    this.outstandingRequests = this.inst.outstanding;
    this.tokens = -1;
  }
  get outstandingTokens(): number | undefined {
    if (!this.readsTokens) return undefined;
    if (this.tokens < 0) this.tokens = this.inst.outstandingTokens();
    return this.tokens;
  }
}
