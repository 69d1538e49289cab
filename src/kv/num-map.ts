/**
 * A hash map from numbers to small non-negative integers (slot indices, reference counts) for the
 * KV block tables, whose keys are 52-bit prefix hashes (src/serving/block-keys.ts).
 *
 * Why not a `Map`: keys that large are not small integers to V8, so each one is a boxed heap number
 * and a Map lookup hashes and compares objects; with ~10^5 blocks touched per second of simulated
 * prefill, those lookups were most of a prefix-caching run's time. Here keys sit unboxed in a
 * Float64Array with linear probing, and deletion shifts the following run back (no tombstones, so
 * lookups never slow down however many deletions a long run makes). Key and value share one array
 * (slot i at 2i, 2i+1), so a probe of a table larger than the cache costs one miss, not two. Keys compare as `Map` does
 * (SameValueZero: -0 equals 0); NaN is not a valid key.
 */
const EMPTY = -1;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** A double's bits mixed into 32 (both halves: keys differ in high and low bits alike), Fibonacci hashing; also KeyFilter's hash. */
export function mix32(key: number): number {
  f64[0] = key;
  return Math.imul(u32[0]! ^ Math.imul(u32[1]!, 0x85ebca6b), 0x9e3779b1);
}

export class NumMap {
  /** Slot i: key at 2i, value at 2i + 1; EMPTY as the value marks a free slot (values are >= 0). */
  private tab: Float64Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 16) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.tab = NumMap.table(cap);
    this.mask = cap - 1;
  }

  private static table(cap: number): Float64Array {
    const t = new Float64Array(2 * cap);
    for (let i = 1; i < t.length; i += 2) t[i] = EMPTY;
    return t;
  }

  get size(): number {
    return this.count;
  }

  private slot(key: number): number {
    return mix32(key) & this.mask;
  }

  /**
   * Slot holding `key`, or -1: with valueAt/setValueAt, a read-modify-write (reference counts)
   * probes once. A slot stays valid until the next set of a new key or delete.
   */
  find(key: number): number {
    if (key === 0) key = 0; // -0 -> 0
    const tab = this.tab;
    for (let i = this.slot(key); ; i = (i + 1) & this.mask) {
      if (tab[2 * i + 1] === EMPTY) return -1;
      if (tab[2 * i] === key) return i;
    }
  }

  has(key: number): boolean {
    return this.find(key) >= 0;
  }

  /** The value of `key`, or -1 when absent. */
  get(key: number): number {
    const i = this.find(key);
    return i < 0 ? -1 : this.tab[2 * i + 1]!;
  }

  valueAt(slot: number): number {
    return this.tab[2 * slot + 1]!;
  }

  setValueAt(slot: number, value: number): void {
    if ((value | 0) !== value || value < 0) throw new RangeError(`NumMap values are int32 >= 0, got ${value}`);
    this.tab[2 * slot + 1] = value;
  }

  /** Sets `key` to `value` unless present (one probe); true when it was added. */
  addIfAbsent(key: number, value: number): boolean {
    const before = this.count;
    this.upsert(key, value, false);
    return this.count !== before;
  }

  set(key: number, value: number): void {
    this.upsert(key, value, true);
  }

  private upsert(key: number, value: number, overwrite: boolean): void {
    if ((value | 0) !== value || value < 0) throw new RangeError(`NumMap values are int32 >= 0, got ${value}`);
    if (key !== key) throw new RangeError('NumMap key NaN');
    if (key === 0) key = 0;
    const tab = this.tab;
    let i = this.slot(key);
    for (; tab[2 * i + 1] !== EMPTY; i = (i + 1) & this.mask) {
      if (tab[2 * i] === key) {
        if (overwrite) tab[2 * i + 1] = value;
        return;
      }
    }
    tab[2 * i] = key;
    tab[2 * i + 1] = value;
    if (++this.count * 2 > this.mask + 1) this.grow();
  }

  delete(key: number): boolean {
    const i = this.find(key);
    if (i < 0) return false;
    this.removeSlot(i);
    return true;
  }

  /** Deletes `key` only while it maps to `value` (one probe); true when it did. */
  deleteIf(key: number, value: number): boolean {
    const i = this.find(key);
    if (i < 0 || this.tab[2 * i + 1] !== value) return false;
    this.removeSlot(i);
    return true;
  }

  private removeSlot(slot: number): void {
    let i = slot;
    const tab = this.tab;
    const mask = this.mask;
    // Backward-shift deletion (Knuth 6.4, Algorithm R): move later entries of the run into the hole
    // when their home slot does not lie cyclically in (hole, their slot].
    for (let j = (i + 1) & mask; tab[2 * j + 1] !== EMPTY; j = (j + 1) & mask) {
      const home = this.slot(tab[2 * j]!);
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!stays) {
        tab[2 * i] = tab[2 * j]!;
        tab[2 * i + 1] = tab[2 * j + 1]!;
        i = j;
      }
    }
    tab[2 * i + 1] = EMPTY;
    this.count--;
  }

  /** Values, in no particular order (for invariant checks). */
  *values(): IterableIterator<number> {
    for (let i = 1; i < this.tab.length; i += 2) if (this.tab[i] !== EMPTY) yield this.tab[i]!;
  }

  private grow(): void {
    const old = this.tab;
    const cap = old.length; // twice the slots
    this.tab = NumMap.table(cap);
    this.mask = cap - 1;
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== EMPTY) this.set(old[i]!, old[i + 1]!);
  }
}
