/**
 * A counting filter over numeric keys (one hash, 2^17 one-byte counters: 128 KiB, cache-resident):
 * `mayHave` false means the key was certainly not added (or added and removed as often). The run
 * index of the KV tiers asks it before probing its hash table, because most probes of a prompt's
 * walk miss (its new blocks) and a miss in a table of ~10^4 runs costs a cache miss or two.
 *
 * A counter that reaches 255 sticks there (never counted down), so the filter stays exact about
 * absence however many keys share a counter.
 */
const BITS = 17;
const STUCK = 255;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

export class KeyFilter {
  private readonly counts = new Uint8Array(1 << BITS);

  private static slot(key: number): number {
    f64[0] = key === 0 ? 0 : key; // -0 -> 0, as NumMap compares keys
    return Math.imul(u32[0]! ^ Math.imul(u32[1]!, 0x85ebca6b), 0x9e3779b1) >>> (32 - BITS);
  }

  mayHave(key: number): boolean {
    return this.counts[KeyFilter.slot(key)] !== 0;
  }

  add(key: number): void {
    const s = KeyFilter.slot(key);
    if (this.counts[s] !== STUCK) this.counts[s]++;
  }

  /** Removes one `add` of `key` (which must have been added). */
  remove(key: number): void {
    const s = KeyFilter.slot(key);
    const c = this.counts[s]!;
    if (c === 0) throw new Error(`KeyFilter: remove of ${key}, never added`);
    if (c !== STUCK) this.counts[s] = c - 1;
  }
}
