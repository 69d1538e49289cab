/**
 * KV tiers below the GPU: a CPU DRAM tier and an optional disk tier, each holding whole KV blocks
 * keyed by prefix block hash, each LRU. When the CPU tier is full its least recently used block is
 * demoted to disk (or evicted when there is no disk tier, or disk is full too, from disk's LRU end).
 *
 * Bookkeeping only: the engine moves the bytes on the flow network (GPU<->CPU over the GPU's PCIe
 * channels, CPU<->disk over the disk channels) using what each call returns.
 *
 * Within one call, blocks are touched tail first, so the head of a prefix ends up most recently used:
 * eviction takes tails before heads, as vLLM's free-block queue does, and a prefix is never cut at its
 * head while its tail survives.
 *
 * Both tiers live in one table (lru.ts) with a list per tier, so a demotion or promotion relinks a
 * block rather than deleting it from one table and inserting it into another.
 */
import { LruLists } from './lru.js';
import { NumMap } from './num-map.js';

/** The store's two recency lists (a block is on exactly one). */
const CPU = 0;
const DISK = 1;

export type BlockHash = number;
export type Tier = 'cpu' | 'disk';

export interface TierStoreOptions {
  cpuBlocks: number;
  /** 0 or absent: no disk tier. */
  diskBlocks?: number;
  blockBytes: number;
}

export interface Movement {
  /** Blocks moved CPU -> disk to make room. */
  demoted: BlockHash[];
  /** Blocks dropped from every tier. */
  evicted: BlockHash[];
}

export interface StoreResult extends Movement {
  /** Blocks written GPU -> CPU (new ones, and ones that were only on disk). */
  written: BlockHash[];
  /** Blocks already in the CPU tier: only their recency changed, no bytes move. */
  alreadyHeld: BlockHash[];
}

export interface TierStoreStats {
  blocksIn: number;
  cpuHeld: number;
  diskHeld: number;
  evictions: number;
  demotions: number;
  promotions: number;
  storeCalls: number;
  lookups: number;
  cpuHitBlocks: number;
  diskHitBlocks: number;
  bytesGpuToCpu: number;
  bytesCpuToDisk: number;
  bytesDiskToCpu: number;
}

export class TierStore {
  /**
   * Every held block, on the CPU or the disk list, least recently used first (O(1) eviction, see
   * lru.ts); a node's value is the block's count of flows still moving its bytes (`hold`).
   */
  private readonly held = new LruLists(2);
  /** Flow counts of blocks dropped from both tiers while their bytes were still moving (rare). */
  private readonly orphanHolds = new NumMap();
  private holds = 0;
  /** Inside store(.., true): a demoted block is held as it moves. */
  private holdDemoted = false;
  private readonly cpuBlocks: number;
  private readonly diskBlocks: number;
  private readonly blockBytes: number;
  private readonly counters = {
    blocksIn: 0,
    evictions: 0,
    demotions: 0,
    promotions: 0,
    storeCalls: 0,
    lookups: 0,
    cpuHitBlocks: 0,
    diskHitBlocks: 0,
  };
  private gpuToCpuBlocks = 0;

  constructor(opts: TierStoreOptions) {
    if (!Number.isInteger(opts.cpuBlocks) || opts.cpuBlocks < 1) {
      throw new RangeError(`CPU KV tier needs at least 1 block, got ${opts.cpuBlocks}`);
    }
    const disk = opts.diskBlocks ?? 0;
    if (!Number.isInteger(disk) || disk < 0) throw new RangeError(`Disk KV tier size must be a whole number of blocks >= 0, got ${disk}`);
    if (!(opts.blockBytes > 0)) throw new RangeError(`KV block size must be > 0 bytes, got ${opts.blockBytes}`);
    this.cpuBlocks = opts.cpuBlocks;
    this.diskBlocks = disk;
    this.blockBytes = opts.blockBytes;
  }

  /** Blocks held in the CPU tier (as stats().cpuHeld, without building the stats object). */
  get cpuHeld(): number {
    return this.held.sizeOf(CPU);
  }
  get diskHeld(): number {
    return this.held.sizeOf(DISK);
  }

  tierOf(hash: BlockHash): Tier | undefined {
    const node = this.held.find(hash);
    return node < 0 ? undefined : this.held.listOf(node) === CPU ? 'cpu' : 'disk';
  }

  /** The tier of a held block whose bytes are not moving (a block in flight is no hit, as vLLM's non-ready blocks). */
  readyTierOf(hash: BlockHash): Tier | undefined {
    const node = this.held.find(hash);
    if (node < 0 || this.held.value(node) > 0) return undefined;
    return this.held.listOf(node) === CPU ? 'cpu' : 'disk';
  }

  /**
   * A flow moving these blocks' bytes started: they are not ready until `release` (counted per
   * block, so two flows carrying one block both have to land). The count follows a block that is
   * dropped and stored again meanwhile.
   */
  hold(hashes: readonly BlockHash[]): void {
    const held = this.held;
    for (const h of hashes) {
      const node = held.find(h);
      if (node >= 0) held.setValue(node, held.value(node) + 1);
      else this.orphanHolds.set(h, Math.max(this.orphanHolds.get(h), 0) + 1);
    }
    this.holds += hashes.length;
  }

  /** The flow that `hold` counted landed. */
  release(hashes: readonly BlockHash[]): void {
    const held = this.held;
    for (const h of hashes) {
      const node = held.find(h);
      const n = node >= 0 ? held.value(node) : this.orphanHolds.get(h);
      if (!(n > 0)) throw new Error(`TierStore: release of block ${h}, which no flow holds`);
      if (node >= 0) held.setValue(node, n - 1);
      else if (n > 1) this.orphanHolds.set(h, n - 1);
      else this.orphanHolds.delete(h);
    }
    this.holds -= hashes.length;
  }

  /** Block-flows started by `hold` and not released yet. */
  get heldInFlight(): number {
    return this.holds;
  }

  /**
   * Offloads blocks from the GPU into the CPU tier. `holdMoved`: the caller starts flows for the
   * written and the demoted blocks, so each is held (as `hold` on both lists after the call would
   * do, while the block is in hand).
   */
  store(hashes: readonly BlockHash[], holdMoved = false): StoreResult {
    this.counters.storeCalls++;
    const held = this.held;
    const result: StoreResult = { written: [], alreadyHeld: [], demoted: [], evicted: [] };
    this.holdDemoted = holdMoved;
    for (let i = hashes.length - 1; i >= 0; i--) {
      const h = hashes[i]!;
      const node = held.find(h);
      if (node >= 0 && held.listOf(node) === CPU) {
        held.moveToTail(node, CPU);
        result.alreadyHeld.push(h);
        continue;
      }
      // A block only on disk is rewritten from the GPU's copy rather than read back.
      if (node >= 0) held.detach(node);
      else this.counters.blocksIn++;
      const at = this.insertCpu(h, node, result);
      if (holdMoved) held.setValue(at, held.value(at) + 1);
      result.written.push(h);
      this.gpuToCpuBlocks++;
    }
    this.holdDemoted = false;
    if (holdMoved) this.holds += result.written.length + result.demoted.length;
    result.written.reverse();
    result.alreadyHeld.reverse();
    return result;
  }

  /**
   * The tier of each block of the longest held prefix of `hashes` (stops at the first miss). Counts
   * hits and refreshes recency; use `peek` for a side-effect-free look (routing decisions).
   */
  lookup(hashes: readonly BlockHash[]): Tier[] {
    this.counters.lookups++;
    const held = this.held;
    const tiers = this.peek(hashes);
    for (let i = tiers.length - 1; i >= 0; i--) {
      const node = held.find(hashes[i]!);
      const list = held.listOf(node);
      held.moveToTail(node, list);
      if (list === CPU) this.counters.cpuHitBlocks++;
      else this.counters.diskHitBlocks++;
    }
    return tiers;
  }

  peek(hashes: readonly BlockHash[]): Tier[] {
    const tiers: Tier[] = [];
    for (const h of hashes) {
      const t = this.tierOf(h);
      if (t === undefined) break;
      tiers.push(t);
    }
    return tiers;
  }

  /** Reads disk blocks back into the CPU tier (before loading them onto a GPU); CPU blocks are refreshed. */
  promote(hashes: readonly BlockHash[]): Movement & { promoted: BlockHash[] } {
    const held = this.held;
    const result = { promoted: [] as BlockHash[], demoted: [] as BlockHash[], evicted: [] as BlockHash[] };
    for (let i = hashes.length - 1; i >= 0; i--) {
      const h = hashes[i]!;
      const node = held.find(h);
      if (node < 0) continue;
      if (held.listOf(node) === CPU) {
        held.moveToTail(node, CPU);
        continue;
      }
      held.detach(node);
      this.insertCpu(h, node, result);
      result.promoted.push(h);
      this.counters.promotions++;
    }
    result.promoted.reverse();
    return result;
  }

  stats(): TierStoreStats {
    return {
      ...this.counters,
      cpuHeld: this.held.sizeOf(CPU),
      diskHeld: this.held.sizeOf(DISK),
      bytesGpuToCpu: this.gpuToCpuBlocks * this.blockBytes,
      bytesCpuToDisk: this.counters.demotions * this.blockBytes,
      bytesDiskToCpu: this.counters.promotions * this.blockBytes,
    };
  }

  /** Throws when bookkeeping is broken: blocks in = blocks held + blocks evicted, tiers within size, every held block in one tier. */
  checkInvariants(): void {
    const { blocksIn, evictions } = this.counters;
    const cpu = this.held.sizeOf(CPU);
    const disk = this.held.sizeOf(DISK);
    if (blocksIn !== cpu + disk + evictions) {
      throw new Error(`TierStore: ${blocksIn} blocks in != ${cpu} CPU + ${disk} disk + ${evictions} evicted`);
    }
    if (cpu > this.cpuBlocks || disk > this.diskBlocks) throw new Error('TierStore: a tier is over capacity');
    if (this.held.size !== cpu + disk) throw new Error(`TierStore: ${this.held.size} blocks held, ${cpu + disk} on the tier lists`);
    let holds = 0;
    for (const list of [CPU, DISK]) for (const h of this.held.keys(list)) holds += this.held.value(this.held.find(h));
    for (const n of this.orphanHolds.values()) holds += n;
    if (holds !== this.holds || this.holds < 0) throw new Error(`TierStore: ${this.holds} block-flows held, ${holds} counted on blocks`);
  }

  /**
   * Puts `h` last in the CPU tier (`node`: its node, off every list, or -1 for a new block), first
   * making room: the CPU LRU block goes to disk (whose LRU block is dropped when disk is full), or
   * is dropped when there is no disk tier. Returns `h`'s node.
   */
  private insertCpu(h: BlockHash, node: number, out: Movement): number {
    const held = this.held;
    if (held.sizeOf(CPU) >= this.cpuBlocks) {
      if (this.diskBlocks > 0) {
        if (held.sizeOf(DISK) >= this.diskBlocks) {
          out.evicted.push(this.drop(held.oldest(DISK)));
          this.counters.evictions++;
        }
        const victim = held.oldest(CPU);
        held.moveToTail(victim, DISK);
        if (this.holdDemoted) held.setValue(victim, held.value(victim) + 1);
        out.demoted.push(held.keyOf(victim));
        this.counters.demotions++;
      } else {
        out.evicted.push(this.drop(held.oldest(CPU)));
        this.counters.evictions++;
      }
    }
    if (node >= 0) {
      held.moveToTail(node, CPU);
      return node;
    }
    if (this.orphanHolds.size === 0) return held.insert(h, CPU);
    const n = this.orphanHolds.get(h);
    if (n > 0) this.orphanHolds.delete(h);
    return held.insert(h, CPU, Math.max(n, 0));
  }

  /** Removes a block from the tiers, keeping its flow count if its bytes are still moving; returns its hash. */
  private drop(node: number): BlockHash {
    const held = this.held;
    const h = held.keyOf(node);
    const n = held.value(node);
    if (n > 0) this.orphanHolds.set(h, n);
    held.remove(node);
    return h;
  }
}
