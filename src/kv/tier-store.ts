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
 */
import { LruSet } from './lru.js';

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
  /** Recency order, least recently used first (O(1) eviction, see lru.ts). */
  private readonly cpu = new LruSet();
  private readonly disk = new LruSet();
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
    return this.cpu.size;
  }
  get diskHeld(): number {
    return this.disk.size;
  }

  tierOf(hash: BlockHash): Tier | undefined {
    return this.cpu.has(hash) ? 'cpu' : this.disk.has(hash) ? 'disk' : undefined;
  }

  /** Offloads blocks from the GPU into the CPU tier. */
  store(hashes: readonly BlockHash[]): StoreResult {
    this.counters.storeCalls++;
    const result: StoreResult = { written: [], alreadyHeld: [], demoted: [], evicted: [] };
    for (let i = hashes.length - 1; i >= 0; i--) {
      const h = hashes[i]!;
      if (this.cpu.touch(h)) {
        result.alreadyHeld.push(h);
        continue;
      }
      // A block only on disk is rewritten from the GPU's copy rather than read back.
      if (!this.disk.delete(h)) this.counters.blocksIn++;
      this.insertCpu(h, result);
      result.written.push(h);
      this.gpuToCpuBlocks++;
    }
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
    const tiers = this.peek(hashes);
    for (let i = tiers.length - 1; i >= 0; i--) {
      const h = hashes[i]!;
      if (tiers[i] === 'cpu') {
        this.cpu.touch(h);
        this.counters.cpuHitBlocks++;
      } else {
        this.disk.touch(h);
        this.counters.diskHitBlocks++;
      }
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
    const result = { promoted: [] as BlockHash[], demoted: [] as BlockHash[], evicted: [] as BlockHash[] };
    for (let i = hashes.length - 1; i >= 0; i--) {
      const h = hashes[i]!;
      if (this.cpu.touch(h)) continue;
      if (this.disk.delete(h)) {
        this.insertCpu(h, result);
        result.promoted.push(h);
        this.counters.promotions++;
      }
    }
    result.promoted.reverse();
    return result;
  }

  stats(): TierStoreStats {
    return {
      ...this.counters,
      cpuHeld: this.cpu.size,
      diskHeld: this.disk.size,
      bytesGpuToCpu: this.gpuToCpuBlocks * this.blockBytes,
      bytesCpuToDisk: this.counters.demotions * this.blockBytes,
      bytesDiskToCpu: this.counters.promotions * this.blockBytes,
    };
  }

  /** Throws when bookkeeping is broken: blocks in = blocks held + blocks evicted, tiers within size, disjoint. */
  checkInvariants(): void {
    const { blocksIn, evictions } = this.counters;
    if (blocksIn !== this.cpu.size + this.disk.size + evictions) {
      throw new Error(`TierStore: ${blocksIn} blocks in != ${this.cpu.size} CPU + ${this.disk.size} disk + ${evictions} evicted`);
    }
    if (this.cpu.size > this.cpuBlocks || this.disk.size > this.diskBlocks) throw new Error('TierStore: a tier is over capacity');
    for (const h of this.cpu.keys()) if (this.disk.has(h)) throw new Error(`TierStore: block ${h} is in two tiers`);
  }

  private insertCpu(h: BlockHash, out: Movement): void {
    if (this.cpu.size >= this.cpuBlocks) {
      const victim = this.cpu.popOldest();
      if (this.diskBlocks > 0) {
        if (this.disk.size >= this.diskBlocks) {
          const dropped = this.disk.popOldest();
          out.evicted.push(dropped);
          this.counters.evictions++;
        }
        this.disk.add(victim);
        out.demoted.push(victim);
        this.counters.demotions++;
      } else {
        out.evicted.push(victim);
        this.counters.evictions++;
      }
    }
    this.cpu.add(h);
  }
}
