/**
 * Paged KV blocks of one engine instance, with optional prefix caching (vLLM's block-hash LRU).
 *
 * Blocks are counted, not stored one by one, unless they carry a prefix hash: a run without prefix
 * caching is a handful of integers. Invariant: free + evictable + inUse = total, always.
 * Cached blocks whose reference count drops to zero stay reusable (evictable, LRU) until an
 * allocation needs their space.
 */
import { LruSet } from './lru.js';
import { NumMap } from './num-map.js';

export class BlockManager {
  private free: number;
  /** Hashed blocks with refcount 0, in LRU order (oldest first; O(1) eviction, see lru.ts). */
  private readonly evictable = new LruSet();
  /** Hashed blocks with refcount > 0 (unboxed keys, see num-map.ts). */
  private readonly referenced = new NumMap();
  private anonymousInUse = 0;
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
    return this.evictable.size;
  }
  get usedBlocks(): number {
    return this.anonymousInUse + this.referenced.size;
  }
  /** Blocks an allocation could get now (free plus evictable cached ones). */
  get availableBlocks(): number {
    return this.free + this.evictable.size;
  }

  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.blockSizeTokens);
  }

  /** Takes `n` anonymous blocks; returns false (and takes nothing) if they are not available. */
  allocate(n: number): boolean {
    if (n <= 0) return true;
    if (n > this.free + this.evictable.size) return false;
    const fromFree = Math.min(n, this.free);
    this.free -= fromFree;
    let rest = n - fromFree;
    if (rest > 0) {
      while (rest-- > 0) {
        this.evictable.popOldest();
        this.evictions++;
      }
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
    let n = 0;
    while (n < keys.length && (this.referenced.has(keys[n]!) || this.evictable.has(keys[n]!))) n++;
    return n;
  }

  /** Takes a reference on cached blocks (a prefix hit); they must all be cached. */
  acquire(keys: readonly number[]): void {
    const ref = this.referenced;
    for (const k of keys) {
      const i = ref.find(k);
      if (i >= 0) ref.setValueAt(i, ref.valueAt(i) + 1);
      else if (this.evictable.delete(k)) ref.set(k, 1);
      else throw new Error(`acquire of uncached block ${k}`);
    }
  }

  /**
   * Turns `keys.length` of the caller's anonymous blocks into hashed, referenced blocks (their
   * content is now complete). A key already cached by someone else is shared and the caller's
   * duplicate block is freed, as vLLM does.
   */
  commit(keys: readonly number[]): void {
    const ref = this.referenced;
    for (const k of keys) {
      this.anonymousInUse--;
      const i = ref.find(k);
      if (i >= 0) {
        ref.setValueAt(i, ref.valueAt(i) + 1);
        this.free++;
      } else {
        if (this.evictable.delete(k)) this.free++;
        ref.set(k, 1);
      }
    }
  }

  /** Drops references on hashed blocks; unreferenced ones become evictable (most recent last). */
  releaseHashed(keys: readonly number[]): void {
    // Reverse order: a request's tail blocks are evicted before its head (vLLM frees in reverse).
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      const at = this.referenced.find(k);
      if (at < 0) throw new Error(`release of unreferenced block ${k}`);
      const r = this.referenced.valueAt(at);
      if (r > 1) this.referenced.setValueAt(at, r - 1);
      else {
        this.referenced.delete(k);
        this.evictable.add(k);
      }
    }
  }

  /** Checks free + evictable + inUse = total; throws if violated (used by tests and debug runs). */
  checkConservation(): void {
    const sum = this.free + this.evictable.size + this.usedBlocks;
    if (sum !== this.totalBlocks || this.free < 0 || this.anonymousInUse < 0) {
      throw new Error(`KV blocks not conserved: free ${this.free} + evictable ${this.evictable.size} + used ${this.usedBlocks} != ${this.totalBlocks}`);
    }
  }
}
