/**
 * Numeric keys, each on at most one of a few recency lists (least recently used first), with O(1)
 * insert, move, remove and take-oldest: the GPU prefix cache (one list: evictable blocks; referenced
 * blocks are on none) and the CPU/disk KV tiers (a list per tier) each keep all their blocks in one
 * of these, so a block changing state (released, acquired, demoted, promoted) is relinked in place
 * with one hash probe rather than deleted from one table and inserted into another.
 *
 * Why not a `Map` in insertion order: V8's Map marks deleted entries and only compacts them when it
 * rehashes, so `map.keys().next()` after many deletes walks every dead slot (37 us per eviction at
 * 131k entries, measured). Here each list is an intrusive doubly-linked list over typed arrays (node
 * indices, no object per key), and a NumMap (unboxed keys) answers key -> node. Per list the order is
 * exactly a Map's: `append` puts a key last, `moveToTail` is delete-then-set, iteration runs oldest
 * first (lru.test.ts checks it against Maps). Each node also carries one int32 of the caller's
 * (the prefix cache's reference count).
 */
import { NumMap } from './num-map.js';

const NIL = -1;
/** The list of a node on no list. */
export const NO_LIST = -1;

export class LruLists {
  private readonly nodeOf = new NumMap();
  private keyAt: Float64Array;
  /** Per node, side by side (one cache line per node touched): prev, next, list, value. */
  private link: Int32Array;
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;
  private readonly sizes: Int32Array;
  /** Freed nodes, reused before the arrays grow. */
  private readonly freeNodes: number[] = [];
  private used = 0;

  constructor(lists: number, initialCapacity = 64) {
    const n = Math.max(4, initialCapacity);
    this.keyAt = new Float64Array(n);
    this.link = new Int32Array(4 * n);
    this.heads = new Int32Array(lists).fill(NIL);
    this.tails = new Int32Array(lists).fill(NIL);
    this.sizes = new Int32Array(lists);
  }

  /** Keys held, on a list or not. */
  get size(): number {
    return this.nodeOf.size;
  }

  sizeOf(list: number): number {
    return this.sizes[list]!;
  }

  /** The node of `key`, or -1 when absent (valid until the key is removed). */
  find(key: number): number {
    return this.nodeOf.get(key);
  }

  has(key: number): boolean {
    return this.nodeOf.has(key);
  }

  keyOf(node: number): number {
    return this.keyAt[node]!;
  }

  /** The list `node` is on, or NO_LIST. */
  listOf(node: number): number {
    return this.link[4 * node + 2]!;
  }

  value(node: number): number {
    return this.link[4 * node + 3]!;
  }

  setValue(node: number, v: number): void {
    this.link[4 * node + 3] = v;
  }

  /** Adds an absent `key` last on `list` (or on no list) with `value`; returns its node. */
  insert(key: number, list: number, value = 0): number {
    const node = this.alloc(key, value);
    this.nodeOf.set(key, node);
    if (list !== NO_LIST) this.linkLast(node, list);
    return node;
  }

  /** Puts `node` last on `list`, off whatever list it was on (a touch when it is the same list). */
  moveToTail(node: number, list: number): void {
    const from = this.link[4 * node + 2]!;
    if (from === list && this.tails[list] === node) return;
    if (from !== NO_LIST) this.unlink(node, from);
    this.linkLast(node, list);
  }

  /** Takes `node` off its list; the key stays held. */
  detach(node: number): void {
    const from = this.link[4 * node + 2]!;
    if (from !== NO_LIST) this.unlink(node, from);
  }

  /** Drops `node`'s key altogether. */
  remove(node: number): void {
    this.detach(node);
    this.nodeOf.delete(this.keyAt[node]!);
    this.free(node);
  }

  /**
   * Whether `node` (remembered by a caller) still holds `key`: a freed node holds no key (NaN), a
   * reused one another key, so a stale handle is detected rather than trusted.
   */
  holds(node: number, key: number): boolean {
    return node >= 0 && node < this.used && this.keyAt[node] === key;
  }

  /**
   * Takes `node`'s key out of the table but keeps the node (its value too): the caller owns it
   * until `free` or `remap` (the tiers keep a block's flow count this way while it is dropped).
   */
  unmap(node: number): void {
    this.detach(node);
    this.nodeOf.delete(this.keyAt[node]!);
  }

  /** Puts an unmapped node's key back in the table (on no list). */
  remap(node: number): void {
    this.nodeOf.set(this.keyAt[node]!, node);
  }

  /** A node for `key` outside the table (on no list, not found by `find`), with `value`. */
  alloc(key: number, value: number): number {
    const node = this.freeNodes.length > 0 ? this.freeNodes.pop()! : this.newNode();
    this.keyAt[node] = key;
    this.link[4 * node + 3] = value;
    this.link[4 * node + 2] = NO_LIST;
    return node;
  }

  /** Recycles an unmapped node. */
  free(node: number): void {
    this.keyAt[node] = NaN;
    this.freeNodes.push(node);
  }

  /** The least recently used node of `list`, or -1 when it is empty. */
  oldest(list: number): number {
    return this.heads[list]!;
  }

  /** Removes and returns the least recently used key of `list` (which must not be empty). */
  popOldest(list: number): number {
    const node = this.heads[list]!;
    if (node === NIL) throw new Error('popOldest on an empty LRU list');
    const key = this.keyAt[node]!;
    this.remove(node);
    return key;
  }

  /** Keys of `list`, least recently used first. */
  *keys(list: number): IterableIterator<number> {
    for (let s = this.heads[list]!; s !== NIL; s = this.link[4 * s + 1]!) yield this.keyAt[s]!;
  }

  private newNode(): number {
    if (this.used === this.keyAt.length) {
      const n = this.keyAt.length * 2;
      const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
        const b = make(n);
        b.set(a);
        return b;
      };
      this.keyAt = grow(this.keyAt, (m) => new Float64Array(m));
      this.link = grow(this.link, (m) => new Int32Array(4 * m));
    }
    return this.used++;
  }

  private linkLast(s: number, list: number): void {
    const t = this.tails[list]!;
    this.link[4 * s] = t;
    this.link[4 * s + 1] = NIL;
    if (t === NIL) this.heads[list] = s;
    else this.link[4 * t + 1] = s;
    this.tails[list] = s;
    this.link[4 * s + 2] = list;
    this.sizes[list]++;
  }

  private unlink(s: number, list: number): void {
    const p = this.link[4 * s]!;
    const n = this.link[4 * s + 1]!;
    if (p === NIL) this.heads[list] = n;
    else this.link[4 * p + 1] = n;
    if (n === NIL) this.tails[list] = p;
    else this.link[4 * n] = p;
    this.link[4 * s + 2] = NO_LIST;
    this.sizes[list]--;
  }
}
