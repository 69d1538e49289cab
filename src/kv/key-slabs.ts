/**
 * The CPU/disk tier store's own copies of the key arrays its runs point into (tier-store.ts): a
 * request's key array, copied once when a stored prompt makes its first run, into a slot of a
 * large Float64Array slab, shared by every run and hold cut from it and handed back when the last
 * one lets go (reference counts per slot, free slots reused by size class).
 *
 * Why: runs live for minutes of simulated time, so a run pointing into the request's own array kept
 * that array (~1 KB a request) alive through two scavenges and promoted it to the old generation,
 * once per stored prompt. A slot's keys live off the JS heap (a slab's backing store); what a run
 * keeps on the heap is a small view. Measured in docs/speed.md (tiers9 round).
 */

/** Doubles per slab (512 KiB). */
const SLAB_DOUBLES = 1 << 16;
/** Smallest slot: 16 keys. */
const MIN_SHIFT = 4;

export class KeySlabs {
  private readonly slabOf: Float64Array[] = [];
  private readonly offsetOf: number[] = [];
  private readonly refs: number[] = [];
  private readonly classOf: number[] = [];
  /** Free slot ids per size class (class c holds 16 << c keys). */
  private readonly free: number[][] = [];
  private used = 0;

  /** Slots in use (tests: 0 once nothing refers to a copy). */
  get slotsInUse(): number {
    return this.used;
  }

  /** References held over all slots (tests: the store's runs and hold stretches). */
  get references(): number {
    let n = 0;
    for (const r of this.refs) n += r;
    return n;
  }

  /** Slots ever made (free or not). */
  get slots(): number {
    return this.refs.length;
  }

  /**
   * A copy of keys[0, len) in a slot holding one reference (the caller's): `view` is the copy,
   * `slot` what retain/release take.
   */
  copy(keys: ArrayLike<number>, len: number): { view: Float64Array; slot: number } {
    let c = 0;
    while (1 << (c + MIN_SHIFT) < len) c++;
    const list = (this.free[c] ??= []);
    if (list.length === 0) this.addSlab(c, list);
    const slot = list.pop()!;
    const off = this.offsetOf[slot]!;
    const view = this.slabOf[slot]!.subarray(off, off + len);
    for (let i = 0; i < len; i++) view[i] = keys[i]!;
    this.refs[slot] = 1;
    this.used++;
    return { view, slot };
  }

  retain(slot: number): void {
    this.refs[slot]!++;
  }

  /** Drops one reference; the slot is free for reuse at the last. */
  release(slot: number): void {
    const n = this.refs[slot]! - 1;
    if (n < 0) throw new Error(`KeySlabs: slot ${slot} released more often than retained`);
    this.refs[slot] = n;
    if (n > 0) return;
    this.free[this.classOf[slot]!]!.push(slot);
    this.used--;
  }

  private addSlab(c: number, list: number[]): void {
    const cap = 1 << (c + MIN_SHIFT);
    const slab = new Float64Array(Math.max(SLAB_DOUBLES, cap));
    for (let off = slab.length - cap; off >= 0; off -= cap) {
      list.push(this.refs.length);
      this.slabOf.push(slab);
      this.offsetOf.push(off);
      this.classOf.push(c);
      this.refs.push(0);
    }
  }
}
