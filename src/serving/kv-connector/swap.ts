/**
 * Swap preemption (legacy vLLM V0 `--swap-space` with preemption mode swap) as a KV connector: a
 * preempted request's computed KV goes to the instance's CPU swap area (src/serving/kv-tiers.ts)
 * instead of being dropped, and comes back on admission into the GPU blocks it allocates here
 * (update_state_after_alloc). Everything else is the inner connector's (none, or the offload tiers
 * when the instance has both).
 */
import type { KvTiers } from '../kv-tiers.js';
import type { RequestState } from '../request-state.js';
import { holdersFirst } from './holders-first.js';
import type { ConnectorEngine } from './offload.js';
import type { AdmitResult, KvConnector } from './types.js';
import { WrappingKvConnector } from './wrap.js';

export class SwapKvConnector extends WrappingKvConnector {
  readonly name: string;

  constructor(
    readonly tiers: KvTiers,
    private readonly engine: ConnectorEngine,
    /** A swap-in landed: the engine steps again. */
    private readonly onReady: () => void,
    inner: KvConnector,
  ) {
    super(inner);
    this.name = inner.loadsKv ? `swap+${inner.name}` : 'swap';
  }

  override get waitingMayHoldBlocks(): boolean {
    return true;
  }

  override get loadsKv(): boolean {
    return true;
  }

  /** 'busy' while `r` swaps in (also when that starts now), 'fail' without blocks for it; else the inner connector's. */
  override admit(r: RequestState, budget: number): AdmitResult {
    const c = this.engine;
    if (this.tiers.busy(r)) return 'busy';
    if (!this.tiers.swappedOut(r)) return this.inner.admit(r, budget);
    const need = c.blocks.blocksFor(r.numComputed + Math.min(r.numTokens - r.numComputed, budget));
    if (!c.blocks.allocate(need)) return 'fail';
    r.blocks = need;
    this.tiers.startSwapIn(r, this.onReady);
    return 'busy';
  }

  /** Swapped-in requests hold blocks, as loaded ones do: one stable pass covers both. */
  override orderWaiting(w: RequestState[]): void {
    holdersFirst(w, (r) => this.tiers.busy(r));
  }

  override saveOnPreempt(victim: RequestState, blocks: number): boolean {
    return victim.numComputed > 0 && this.tiers.trySwapOut(victim, blocks);
  }

  override isBusy(r: RequestState): boolean {
    return this.tiers.busy(r);
  }
}
