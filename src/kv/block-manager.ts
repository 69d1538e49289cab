/**
 * Paged KV blocks of one engine instance, with optional prefix caching (vLLM's block-hash LRU).
 *
 * Blocks are counted, not stored one by one, unless they carry a prefix hash: a run without prefix
 * caching is a handful of integers. Invariant: free + evictable + inUse = total, always.
 * Cached blocks whose reference count drops to zero stay reusable (evictable, LRU) until an
 * allocation needs their space.
 */
import { LruLists, NO_LIST } from './lru.js';

/** The one recency list: hashed blocks with reference count 0 (referenced ones are on no list). */
const EVICTABLE = 0;

export class BlockManager {
  private free: number;
  /**
   * Every hashed block, its reference count as the node's value: count 0 = evictable, on the LRU
   * list (oldest first; O(1) eviction, see lru.ts); count > 0 = referenced, on no list. One table,
   * so acquiring or releasing a cached block is one probe and a relink.
   */
  private readonly hashed = new LruLists(1);
  private anonymousInUse = 0;
  /**
   * Per request key array (the engine passes each request's own `blockKeys`), the node each key
   * was last found at: releasing a request's blocks, or acquiring the prefix `matchPrefix` just
   * found, then needs no hash probe per block. A handle is checked (`LruLists.holds`) before use,
   * so a stale one costs a probe, never a wrong block.
   */
  private readonly nodesOf = new WeakMap<readonly number[], Int32Array>();
  /** The memo used last (the engine works on one request several times in a row). */
  private lastKeys: readonly number[] | null = null;
  private lastMemo: Int32Array = new Int32Array(0);
  /** Blocks taken from the evictable LRU to satisfy allocations (prefix-cache evictions). */
  evictions = 0;

  constructor(
    readonly totalBlocks: number,
    readonly blockSizeTokens: number,
  ) {
    if (!(totalBlocks >= 1) || !Number.isInteger(totalBlocks)) throw new RangeError(`Invalid block count ${totalBlocks}`);
    this.free = totalBlocks;
  }

  get freeBlocks(): number {
    return this.free;
  }
  get evictableBlocks(): number {
    return this.hashed.sizeOf(EVICTABLE);
  }
  get usedBlocks(): number {
    return this.anonymousInUse + this.hashed.size - this.hashed.sizeOf(EVICTABLE);
  }
  /** Blocks an allocation could get now (free plus evictable cached ones). */
  get availableBlocks(): number {
    return this.free + this.hashed.sizeOf(EVICTABLE);
  }

  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.blockSizeTokens);
  }

  /** Takes `n` anonymous blocks; returns false (and takes nothing) if they are not available. */
  allocate(n: number): boolean {
    if (n <= 0) return true;
    if (n > this.free + this.hashed.sizeOf(EVICTABLE)) return false;
    const fromFree = Math.min(n, this.free);
    this.free -= fromFree;
    let rest = n - fromFree;
    if (rest > 0) {
      this.evictions += rest;
      while (rest-- > 0) this.hashed.popOldest(EVICTABLE);
    }
    this.anonymousInUse += n;
    return true;
  }

  /** Returns `n` anonymous blocks to the free pool. */
  release(n: number): void {
    if (n < 0 || n > this.anonymousInUse) throw new RangeError(`Release of ${n} blocks, only ${this.anonymousInUse} in use`);
    this.anonymousInUse -= n;
    this.free += n;
  }

  /** Number of leading keys that are cached (referenced or evictable). */
  matchPrefix(keys: readonly number[]): number {
    const memo = this.memo(keys);
    let n = 0;
    for (; n < keys.length; n++) {
      // A waiting request is matched at every try: the nodes found last time answer without a probe.
      const node = this.nodeAt(keys, memo, n);
      if (node < 0) break;
      memo[n] = node;
    }
    return n;
  }

  /** The node memo of a request's key array (made on first use). */
  private memo(keys: readonly number[]): Int32Array {
    // The engine works on one request several times in a row (match, acquire, commit): no WeakMap look-up then.
    if (keys === this.lastKeys) return this.lastMemo;
    let m = this.nodesOf.get(keys);
    if (m === undefined) {
      m = new Int32Array(keys.length).fill(-1);
      this.nodesOf.set(keys, m);
    }
    this.lastKeys = keys;
    this.lastMemo = m;
    return m;
  }

  /** The node of keys[i], from the memo when it still holds that key, else by probe (-1: absent). */
  private nodeAt(keys: readonly number[], memo: Int32Array, i: number): number {
    const k = keys[i]!;
    const node = memo[i]!;
    return this.hashed.holds(node, k) ? node : this.hashed.find(k);
  }

  /**
   * Takes a reference on cached blocks keys[from, to) (a prefix hit); they must all be cached.
   * Ranges rather than slices: callers pass a request's own key array, no copy per call.
   */
  acquire(keys: readonly number[], from = 0, to = keys.length): void {
    const t = this.hashed;
    const memo = this.memo(keys);
    for (let i = from; i < to; i++) {
      const node = this.nodeAt(keys, memo, i);
      if (node < 0) throw new Error(`acquire of uncached block ${keys[i]}`);
      memo[i] = node;
      const refs = t.value(node);
      if (refs === 0) t.detach(node);
      t.setValue(node, refs + 1);
    }
  }

  /**
   * Turns `to - from` of the caller's anonymous blocks into hashed, referenced blocks keys[from, to) (their
   * content is now complete). A key already cached by someone else is shared and the caller's
   * duplicate block is freed, as vLLM does.
   */
  commit(keys: readonly number[], from = 0, to = keys.length): void {
    const t = this.hashed;
    this.anonymousInUse -= to - from;
    const memo = this.memo(keys);
    for (let i = from; i < to; i++) {
      const k = keys[i]!;
      const node = t.find(k);
      if (node < 0) {
        memo[i] = t.insert(k, NO_LIST, 1);
        continue;
      }
      memo[i] = node;
      const refs = t.value(node);
      if (refs === 0) t.detach(node);
      t.setValue(node, refs + 1);
      this.free++;
    }
  }

  /** Drops references on hashed blocks keys[from, to); unreferenced ones become evictable (most recent last). */
  releaseHashed(keys: readonly number[], from = 0, to = keys.length): void {
    const t = this.hashed;
    // Reverse order: a request's tail blocks are evicted before its head (vLLM frees in reverse).
    const memo = this.memo(keys);
    for (let i = to - 1; i >= from; i--) {
      const node = this.nodeAt(keys, memo, i);
      const refs = node < 0 ? 0 : t.value(node);
      if (refs === 0) throw new Error(`release of unreferenced block ${keys[i]}`);
      t.setValue(node, refs - 1);
      if (refs === 1) t.moveToTail(node, EVICTABLE);
    }
  }

  /** Checks free + evictable + inUse = total; throws if violated (used by tests and debug runs). */
  checkConservation(): void {
    const evictable = this.hashed.sizeOf(EVICTABLE);
    const sum = this.free + evictable + this.usedBlocks;
    if (sum !== this.totalBlocks || this.free < 0 || this.anonymousInUse < 0) {
      throw new Error(`KV blocks not conserved: free ${this.free} + evictable ${evictable} + used ${this.usedBlocks} != ${this.totalBlocks}`);
    }
  }
}
