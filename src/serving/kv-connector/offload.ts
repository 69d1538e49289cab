/**
 * KV connector over the CPU/disk KV tiers of an instance (src/serving/kv-tiers.ts), in the role of
 * vLLM's OffloadingConnector / LMCache: on admission it finds the leading prompt blocks the tiers
 * hold after the GPU prefix hit (get_num_new_matched_tokens), allocates GPU blocks for them and the
 * first chunk (update_state_after_alloc) and starts the load; a computed prompt is offloaded
 * (request_finished). Swap preemption is swap.ts, wrapped around this one when both are on. Byte
 * moves are flows on the flow network, so they end on events like any other and the decode fast
 * path stays exact.
 */
import type { BlockManager } from '../../kv/block-manager.js';
import type { KvTiers } from '../kv-tiers.js';
import type { RequestState } from '../request-state.js';
import { holdersFirst } from './holders-first.js';
import type { AdmitResult, KvConnector } from './types.js';

/** What the connector reads and writes of its engine. */
export interface ConnectorEngine {
  readonly cfg: { blockSizeTokens: number; enablePrefixCaching: boolean; enableChunkedPrefill: boolean };
  readonly blocks: BlockManager;
  /** The engine's time of the step or iteration end in progress (ahead of the clock when it runs ahead). */
  readonly stepS: number;
}

export class OffloadKvConnector implements KvConnector {
  readonly name = 'offload';
  readonly waitingMayHoldBlocks = true;
  readonly loadsKv = true;
  readonly leavesAfterPrefill = false;

  constructor(
    readonly tiers: KvTiers,
    private readonly engine: ConnectorEngine,
    /** A load or swap-in landed: the engine steps again. */
    private readonly onReady: () => void,
  ) {}

  /**
   * Tier part of admitting waiting request `r`: 'busy' while it loads (also when that starts now),
   * 'fail' when it cannot get the GPU blocks to load into, 'go' for the usual path.
   */
  admit(r: RequestState, budget: number): AdmitResult {
    const tiers = this.tiers;
    const c = this.engine;
    if (tiers.busy(r)) return 'busy';
    const bs = c.cfg.blockSizeTokens;
    if (tiers.store === null || r.numComputed > 0 || r.blockKeys.length === 0) return 'go';
    // After the GPU prefix hit, the next leading blocks the tiers hold (never the last token).
    const maxHit = Math.floor((r.numTokens - 1) / bs);
    const gpuHit = c.cfg.enablePrefixCaching ? Math.min(c.blocks.matchPrefix(r.blockKeys), maxHit) : 0;
    const tierHit = tiers.hits(r.blockKeys, gpuHit, maxHit);
    if (tierHit === 0) return 'go';
    const loaded = (gpuHit + tierHit) * bs;
    const n = Math.min(r.numTokens - loaded, budget);
    if (!c.cfg.enableChunkedPrefill && n < r.numTokens - loaded) return 'fail';
    // GPU blocks for the loaded tokens and the first chunk after them (vLLM allocates both at once).
    const need = c.blocks.blocksFor(loaded + n) - gpuHit;
    if (gpuHit > 0) c.blocks.acquire(r.blockKeys, 0, gpuHit);
    if (!c.blocks.allocate(need)) {
      if (gpuHit > 0) c.blocks.releaseHashed(r.blockKeys, 0, gpuHit);
      return 'fail';
    }
    r.hashedBlocks = gpuHit;
    r.blocks = need;
    tiers.noteAdmission(r.numTokens, gpuHit);
    tiers.startLoad(r, r.blockKeys, gpuHit, gpuHit + tierHit, c.stepS, () => {
      r.numComputed = loaded;
      if (r.generated === 0) r.cachedPromptTokens = loaded;
      if (c.cfg.enablePrefixCaching) {
        c.blocks.commit(r.blockKeys, gpuHit, gpuHit + tierHit);
        r.blocks -= tierHit;
        r.hashedBlocks = gpuHit + tierHit;
      }
      this.onReady();
    });
    return 'busy';
  }

  orderWaiting(w: RequestState[]): void {
    holdersFirst(w, (r) => this.tiers.busy(r));
  }

  noteAdmission(numTokens: number, gpuHitBlocks: number): void {
    this.tiers.noteAdmission(numTokens, gpuHitBlocks);
  }

  saveOnPreempt(): boolean {
    return false;
  }

  onPromptDone(r: RequestState): void {
    this.tiers.offloadPrompt(r, this.engine.stepS);
  }

  isBusy(r: RequestState): boolean {
    return this.tiers.busy(r);
  }
}
