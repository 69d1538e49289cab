/**
 * A counting filter over numeric keys (one hash, 2^17 one-byte counters: 128 KiB, cache-resident):
 * `mayHave` false means the key was certainly not added (or added and removed as often). The run
 * index of the KV tiers asks it before probing its hash table, because most probes of a prompt's
 * walk miss (its new blocks) and a miss in a table of ~10^4 runs costs a cache miss or two.
 *
 * A counter that reaches 255 sticks there (never counted down), so the filter stays exact about
 * absence however many keys share a counter.
 */
import { mix32 } from './num-map.js';

const BITS = 17;
const STUCK = 255;

export class KeyFilter {
  private readonly counts = new Uint8Array(1 << BITS);

  private static slot(key: number): number {
    return mix32(key === 0 ? 0 : key) >>> (32 - BITS); // -0 -> 0, as NumMap compares keys
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
