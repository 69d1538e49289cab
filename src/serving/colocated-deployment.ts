/**
 * Colocated replicas behind one router: each request runs whole (prefill and decode) on the
 * instance the router picks. Requests carry prefix block keys when prefix caching or KV tiers need
 * them (tier lookups are by prefix block key).
 */
import type { RandomStream } from '../kernel/random.js';
import { blockKeys } from './block-keys.js';
import { abortedOf, admitDecodeLeg, type Deployment } from './deployment.js';
import type { EngineInstance } from './instance.js';
import { pickInstance, type RouterPolicy, type RouteState } from './pick-instance.js';
import { NO_BLOCK_KEYS, RequestState } from './request-state.js';
import type { RequestSpec } from './types.js';

export interface ColocatedOptions {
  policy: RouterPolicy;
  /** The router's own random stream ("router"). */
  rng: RandomStream;
  /** Compute prefix block keys for each request. */
  keyed: boolean;
  blockSizeTokens: number;
  nowS: () => number;
}

export class ColocatedDeployment implements Deployment {
  private readonly route: RouteState = { next: 0 };

  constructor(readonly instances: readonly EngineInstance[], private readonly o: ColocatedOptions) {}

  submit(spec: RequestSpec): void {
    const o = this.o;
    // Without prefix hashes (a keyed run on a trace without them: the parity run) blockKeys would
    // return a new empty array; the shared one is the same keys without an allocation per request.
    const h = spec.prefixHashes;
    const keys = o.keyed && h !== undefined && h.length > 0 && spec.prefixBlockTokens ? blockKeys(spec.promptTokens, h, spec.prefixBlockTokens, o.blockSizeTokens) : NO_BLOCK_KEYS;
    const inst = pickInstance(o.policy, this.instances, this.route, o.rng, keys, spec.promptTokens);
    inst.submit(new RequestState(spec, keys));
  }

  submitDecodeLeg(spec: RequestSpec): void {
    const first = pickInstance(this.o.policy, this.instances, this.route, this.o.rng, NO_BLOCK_KEYS, spec.promptTokens);
    if (!admitDecodeLeg(spec, [first, ...this.instances.filter((i) => i !== first)], this.o.nowS())) this.submit(spec);
  }

  abort(id: number): boolean {
    for (const inst of this.instances) if (inst.abort(id)) return true;
    return false;
  }

  get abortedCount(): number {
    return abortedOf(this.instances);
  }
}
