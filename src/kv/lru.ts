/**
 * An ordered set of numeric keys in recency order (least recently used first) with O(1) insert,
 * delete, touch and take-oldest: the LRU under the GPU prefix cache and the CPU/disk KV tiers.
 *
 * Why not a `Map` in insertion order: V8's Map marks deleted entries and only compacts them when it
 * rehashes, so `map.keys().next()` after many deletes walks every dead slot (37 us per eviction at
 * 131k entries, measured). Here the order is an intrusive doubly-linked list over typed arrays (slot
 * indices, no object per key), and a NumMap (unboxed keys) answers key -> slot. The order it keeps is exactly the
 * Map's: `add` appends (a present key stays put), `touch` is delete-then-append, iteration runs oldest first.
 */
import { NumMap } from './num-map.js';

const NIL = -1;

export class LruSet {
  private readonly slotOf = new NumMap();
  private keyAt: Float64Array;
  private prev: Int32Array;
  private next: Int32Array;
  private head = NIL;
  private tail = NIL;
  /** Freed slots, reused before the arrays grow. */
  private freeSlots: number[] = [];
  private used = 0;

  constructor(initialCapacity = 64) {
    const n = Math.max(4, initialCapacity);
    this.keyAt = new Float64Array(n);
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
  }

  get size(): number {
    return this.slotOf.size;
  }

  has(key: number): boolean {
    return this.slotOf.has(key);
  }

  /** Appends `key` as the most recent; a key already present keeps its place (as `Map.set`). */
  add(key: number): void {
    const slot = this.freeSlots.length > 0 ? this.freeSlots[this.freeSlots.length - 1]! : this.used;
    if (!this.slotOf.addIfAbsent(key, slot)) return;
    if (slot === this.used) this.newSlot();
    else this.freeSlots.pop();
    this.keyAt[slot] = key;
    this.linkLast(slot);
  }

  /** Makes a present key the most recent (as Map delete + set); false when absent. */
  touch(key: number): boolean {
    const s = this.slotOf.get(key);
    if (s < 0) return false;
    if (s !== this.tail) {
      this.unlink(s);
      this.linkLast(s);
    }
    return true;
  }

  delete(key: number): boolean {
    const s = this.slotOf.get(key);
    if (s < 0) return false;
    this.slotOf.delete(key);
    this.unlink(s);
    this.freeSlots.push(s);
    return true;
  }

  /** The least recently used key, or undefined when empty. */
  oldest(): number | undefined {
    return this.head === NIL ? undefined : this.keyAt[this.head];
  }

  /** Removes and returns the least recently used key (the set must not be empty). */
  popOldest(): number {
    const s = this.head;
    if (s === NIL) throw new Error('popOldest on an empty LRU');
    const key = this.keyAt[s]!;
    this.slotOf.delete(key);
    this.unlink(s);
    this.freeSlots.push(s);
    return key;
  }

  /** Keys, least recently used first. */
  *keys(): IterableIterator<number> {
    for (let s = this.head; s !== NIL; s = this.next[s]!) yield this.keyAt[s]!;
  }

  private newSlot(): number {
    if (this.used === this.keyAt.length) {
      const n = this.keyAt.length * 2;
      const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
        const b = make(n);
        b.set(a);
        return b;
      };
      this.keyAt = grow(this.keyAt, (m) => new Float64Array(m));
      this.prev = grow(this.prev, (m) => new Int32Array(m));
      this.next = grow(this.next, (m) => new Int32Array(m));
    }
    return this.used++;
  }

  private linkLast(s: number): void {
    this.prev[s] = this.tail;
    this.next[s] = NIL;
    if (this.tail === NIL) this.head = s;
    else this.next[this.tail] = s;
    this.tail = s;
  }

  private unlink(s: number): void {
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p === NIL) this.head = n;
    else this.next[p] = n;
    if (n === NIL) this.tail = p;
    else this.prev[n] = p;
  }
}
