/**
 * The per-block KV tier store (one table entry and one list node per block), kept as the test
 * oracle of the run-based TierStore (tier-store.ts, tier6 round): tier-store.test.ts drives both
 * with the same random operations through the range API at the end of this class (`offload`,
 * `readyHits`, `load`, `land`) and compares the lists block by block after every operation.
 * Its own tests (tier-store-blocks.test.ts) check it against the Map-based store before it.
 *
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
 * block rather than deleting it from one table and inserting it into another. A block's count of
 * flows moving its bytes lives on its node; the engine's path (`storeMoving`, `promoteHolding`)
 * gets the nodes it counted on and releases them by node (`releaseNodes`): no hash probe per block
 * when a flow lands. A node dropped from both tiers while flows still hold it stays allocated (an
 * orphan, found by hash in `orphans`) and is taken back if its block is stored again.
 */
import { LruLists, NO_LIST } from './lru.js';
import { NumMap } from './num-map.js';
import { checkedTierSizes, tierStats, zeroTierCounters, type BlockHash, type Tier, type TierStoreOptions, type TierStoreStats } from './tier-store.js';

/** The store's two recency lists (a block is on exactly one). */
const CPU = 0;
const DISK = 1;

export type { BlockHash, Tier, TierStoreOptions, TierStoreStats } from './tier-store.js';

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


export class BlockTierStore {
  /**
   * Every held block, on the CPU or the disk list, least recently used first (O(1) eviction, see
   * lru.ts); a node's value is the block's count of flows still moving its bytes (`hold`).
   */
  private readonly held = new LruLists(2);
  /** Nodes of blocks dropped from both tiers while their bytes were still moving (rare), by hash. */
  private readonly orphans = new NumMap();
  private holds = 0;
  /** Inside a store that holds what it moves: a demoted block is held as it moves. */
  private holdDemoted = false;
  /** What the last store/promote moved, in visiting order (reused: no arrays per call). */
  private readonly moved = new MovedList();
  private readonly kept = new MovedList();
  private readonly demoted = new MovedList();
  private readonly evicted = new MovedList();
  private readonly cpuBlocks: number;
  private readonly diskBlocks: number;
  private readonly blockBytes: number;
  private readonly counters = zeroTierCounters();
  private gpuToCpuBlocks = 0;

  constructor(opts: TierStoreOptions) {
    ({ cpuBlocks: this.cpuBlocks, diskBlocks: this.diskBlocks, blockBytes: this.blockBytes } = checkedTierSizes(opts));
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
   * dropped and stored again meanwhile. Returns the nodes counted on, for `releaseNodes`.
   */
  hold(hashes: readonly BlockHash[]): NodeList {
    const held = this.held;
    const nodes = new Array<number>(hashes.length);
    for (let i = 0; i < hashes.length; i++) {
      const h = hashes[i]!;
      let node = held.find(h);
      if (node < 0) node = this.orphans.get(h);
      if (node < 0) {
        node = held.alloc(h, 0);
        this.orphans.set(h, node);
      }
      held.setValue(node, held.value(node) + 1);
      nodes[i] = node;
    }
    this.holds += hashes.length;
    return nodes;
  }

  /** The flow that `hold` counted landed. */
  release(hashes: readonly BlockHash[]): void {
    const held = this.held;
    for (const h of hashes) {
      let node = held.find(h);
      if (node < 0) node = this.orphans.get(h);
      if (node < 0) throw new Error(`TierStore: release of block ${h}, which no flow holds`);
      this.releaseNode(node);
    }
    this.holds -= hashes.length;
  }

  /** The flow landed whose blocks `hold`, `storeMoving` or `promoteHolding` counted on these nodes. */
  releaseNodes(nodes: NodeList): void {
    for (let i = 0; i < nodes.length; i++) this.releaseNode(nodes[i]!);
    this.holds -= nodes.length;
  }

  private releaseNode(node: number): void {
    const held = this.held;
    const n = held.value(node);
    if (!(n > 0)) throw new Error(`TierStore: release of block ${held.keyOf(node)}, which no flow holds`);
    held.setValue(node, n - 1);
    // An orphan (on no list) whose last flow landed is gone.
    if (n === 1 && held.listOf(node) === NO_LIST) {
      this.orphans.delete(held.keyOf(node));
      held.free(node);
    }
  }

  /** Blocks dropped from both tiers while flows still move their bytes (tests). */
  get orphanCount(): number {
    return this.orphans.size;
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
    this.storeCore(hashes, holdMoved);
    return { written: this.moved.keysReversed(), alreadyHeld: this.kept.keysReversed(), demoted: this.demoted.keysInOrder(), evicted: this.evicted.keysInOrder() };
  }

  /**
   * The engine's store: as `store(hashes, true)`, answering only the nodes of the written and the
   * demoted blocks (each held once; `releaseNodes` when its flow lands). No arrays of hashes built.
   */
  storeMoving(hashes: readonly BlockHash[]): { written: NodeList; demoted: NodeList } {
    this.storeCore(hashes, true);
    return { written: this.moved.nodesCopy(), demoted: this.demoted.nodesCopy() };
  }

  private storeCore(hashes: readonly BlockHash[], holdMoved: boolean): void {
    this.counters.storeCalls++;
    const held = this.held;
    const written = this.moved.reset();
    const kept = this.kept.reset();
    this.demoted.reset();
    this.evicted.reset();
    this.holdDemoted = holdMoved;
    for (let i = hashes.length - 1; i >= 0; i--) {
      const h = hashes[i]!;
      const node = held.find(h);
      if (node >= 0 && held.listOf(node) === CPU) {
        held.moveToTail(node, CPU);
        kept.push(h, node);
        continue;
      }
      // A block only on disk is rewritten from the GPU's copy rather than read back.
      if (node >= 0) held.detach(node);
      else this.counters.blocksIn++;
      const at = this.insertCpu(h, node);
      if (holdMoved) held.setValue(at, held.value(at) + 1);
      written.push(h, at);
      this.gpuToCpuBlocks++;
    }
    this.holdDemoted = false;
    if (holdMoved) this.holds += written.n + this.demoted.n;
  }

  /**
   * The tier of each block of the longest held prefix of `hashes` (stops at the first miss). Counts
   * hits and refreshes recency; use `peek` for a side-effect-free look (routing decisions).
   */
  lookup(hashes: readonly BlockHash[]): Tier[] {
    this.counters.lookups++;
    const held = this.held;
    const found = this.kept.reset();
    const tiers: Tier[] = [];
    for (const h of hashes) {
      const node = held.find(h);
      if (node < 0) break;
      tiers.push(held.listOf(node) === CPU ? 'cpu' : 'disk');
      found.push(h, node);
    }
    for (let i = found.n - 1; i >= 0; i--) {
      const node = found.nodes[i]!;
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
    this.promoteCore(hashes);
    return { promoted: this.moved.keysReversed(), demoted: this.demoted.keysInOrder(), evicted: this.evicted.keysInOrder() };
  }

  /**
   * The engine's read-back: `promote(hashes)`, then the blocks it demoted held (their CPU -> disk
   * flow) and then `hashes` held (their disk -> CPU flow), as `hold` on each list would; answers the
   * nodes of each hold for `releaseNodes`.
   */
  promoteHolding(hashes: readonly BlockHash[]): { demoted: NodeList; read: NodeList } {
    this.promoteCore(hashes);
    if (this.evicted.n === 0 && this.moved.n === hashes.length) {
      // Every block was promoted and nothing was dropped, so no node was freed meanwhile: the nodes
      // the call visited are the ones a hold by hash would find (a block promoted then demoted
      // again is on both lists and is held twice either way).
      const demoted = this.holdVisited(this.demoted);
      return { demoted, read: this.holdVisited(this.moved) };
    }
    const demoted = this.demoted.n === 0 ? EMPTY_NODES : this.hold(this.demoted.keysInOrder());
    return { demoted, read: this.hold(hashes) };
  }

  private holdVisited(list: MovedList): NodeList {
    const nodes = list.nodesCopy();
    const held = this.held;
    for (let i = 0; i < nodes.length; i++) held.setValue(nodes[i]!, held.value(nodes[i]!) + 1);
    this.holds += nodes.length;
    return nodes;
  }

  private promoteCore(hashes: readonly BlockHash[]): void {
    const held = this.held;
    const promoted = this.moved.reset();
    this.demoted.reset();
    this.evicted.reset();
    for (let i = hashes.length - 1; i >= 0; i--) {
      const h = hashes[i]!;
      const node = held.find(h);
      if (node < 0) continue;
      if (held.listOf(node) === CPU) {
        held.moveToTail(node, CPU);
        continue;
      }
      held.detach(node);
      this.insertCpu(h, node);
      promoted.push(h, node);
      this.counters.promotions++;
    }
  }

  // --- the range API of the run-based TierStore (tier-store.ts), per block ---------------------

  /** As TierStore.offload: stores keys[from, to) holding what moves; answers the held nodes. */
  offload(keys: readonly number[], from: number, to: number): { written: NodeList; demoted: NodeList } {
    return this.storeMoving(keys.slice(from, to));
  }

  /** As TierStore.readyHits: leading blocks of keys[from, to) held and not moving. */
  readyHits(keys: readonly number[], from: number, to: number): number {
    let n = 0;
    for (let i = from; i < to && i < keys.length; i++) {
      if (this.readyTierOf(keys[i]!) === undefined) break;
      n++;
    }
    return n;
  }

  /** As TierStore.load: the lookup of keys[from, to), then the read-back of its disk blocks, held (KvTiers.startLoad before the tier6 round). */
  load(keys: readonly number[], from: number, to: number): { cpu: number; disk: number; demoted: NodeList; read: NodeList } {
    const slice = keys.slice(from, to);
    const tiers = this.lookup(slice);
    const diskKeys = slice.filter((_, i) => tiers[i] === 'disk');
    const cpu = tiers.length - diskKeys.length;
    if (diskKeys.length === 0) return { cpu, disk: 0, demoted: EMPTY_NODES, read: EMPTY_NODES };
    const mv = this.promoteHolding(diskKeys);
    return { cpu, disk: diskKeys.length, demoted: mv.demoted, read: mv.read };
  }

  /** As TierStore.land. */
  land(nodes: NodeList): void {
    this.releaseNodes(nodes);
  }

  /** Keys on a tier's list, least recently used first (tests). */
  listKeys(tier: Tier): number[] {
    return [...this.held.keys(tier === 'cpu' ? CPU : DISK)];
  }

  /** Flows holding `hash` (tests). */
  holdCount(hash: BlockHash): number {
    let node = this.held.find(hash);
    if (node < 0) node = this.orphans.get(hash);
    return node < 0 ? 0 : this.held.value(node);
  }

  stats(): TierStoreStats {
    return tierStats(this.counters, this.held.sizeOf(CPU), this.held.sizeOf(DISK), this.gpuToCpuBlocks, this.blockBytes);
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
    for (const node of this.orphans.values()) {
      if (this.held.listOf(node) !== NO_LIST || !(this.held.value(node) > 0)) throw new Error(`TierStore: orphan block ${this.held.keyOf(node)} is on a list or held by no flow`);
      holds += this.held.value(node);
    }
    if (holds !== this.holds || this.holds < 0) throw new Error(`TierStore: ${this.holds} block-flows held, ${holds} counted on blocks`);
  }

  /**
   * Puts `h` last in the CPU tier (`node`: its node, off every list, or -1 for a new block), first
   * making room: the CPU LRU block goes to disk (whose LRU block is dropped when disk is full), or
   * is dropped when there is no disk tier. Returns `h`'s node.
   */
  private insertCpu(h: BlockHash, node: number): number {
    const held = this.held;
    if (held.sizeOf(CPU) >= this.cpuBlocks) {
      if (this.diskBlocks > 0) {
        if (held.sizeOf(DISK) >= this.diskBlocks) {
          this.evicted.push(this.drop(held.oldest(DISK)), -1);
          this.counters.evictions++;
        }
        const victim = held.oldest(CPU);
        held.moveToTail(victim, DISK);
        if (this.holdDemoted) held.setValue(victim, held.value(victim) + 1);
        this.demoted.push(held.keyOf(victim), victim);
        this.counters.demotions++;
      } else {
        this.evicted.push(this.drop(held.oldest(CPU)), -1);
        this.counters.evictions++;
      }
    }
    if (node >= 0) {
      held.moveToTail(node, CPU);
      return node;
    }
    if (this.orphans.size > 0) {
      // A block dropped while its bytes were moving comes back with its flow count.
      const o = this.orphans.get(h);
      if (o >= 0) {
        this.orphans.delete(h);
        held.remap(o);
        held.moveToTail(o, CPU);
        return o;
      }
    }
    return held.insert(h, CPU);
  }

  /** Removes a block from the tiers, keeping its node as an orphan if its bytes are still moving; returns its hash. */
  private drop(node: number): BlockHash {
    const held = this.held;
    const h = held.keyOf(node);
    if (held.value(node) > 0) {
      held.unmap(node);
      this.orphans.set(h, node);
    } else held.remove(node);
    return h;
  }
}

/**
 * Nodes a flow holds (an array of small integers: cheaper to make than a typed array at the ~10^2
 * entries of one store).
 */
export type NodeList = readonly number[];
const EMPTY_NODES: NodeList = [];

/** Hashes and nodes of the blocks one call moved, in visiting order; grows, never shrinks. */
class MovedList {
  n = 0;
  keys = new Float64Array(64);
  nodes = new Int32Array(64);

  reset(): this {
    this.n = 0;
    return this;
  }

  push(key: number, node: number): void {
    if (this.n === this.keys.length) {
      const keys = new Float64Array(2 * this.n);
      keys.set(this.keys);
      this.keys = keys;
      const nodes = new Int32Array(2 * this.n);
      nodes.set(this.nodes);
      this.nodes = nodes;
    }
    this.keys[this.n] = key;
    this.nodes[this.n++] = node;
  }

  keysInOrder(): number[] {
    return Array.from(this.keys.subarray(0, this.n));
  }

  /** Calls visit blocks tail first; their lists read head first. */
  keysReversed(): number[] {
    return Array.from(this.keys.subarray(0, this.n)).reverse();
  }

  nodesCopy(): NodeList {
    if (this.n === 0) return EMPTY_NODES;
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) out.push(this.nodes[i]!);
    return out;
  }
}
