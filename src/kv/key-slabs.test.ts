import { describe, expect, it } from 'vitest';
import { KeySlabs } from './key-slabs.js';

describe('KeySlabs', () => {
  it('copies keys into slots by size class, keeps them while referenced and reuses a slot only after its last release', () => {
    const s = new KeySlabs();
    const keys = Array.from({ length: 40 }, (_, i) => 2 ** 40 + i * 7919);
    const a = s.copy(keys, 40);
    expect([...a.view]).toEqual(keys);
    s.retain(a.slot); // a run cut from it
    const b = s.copy([1, 2, 3], 3); // another class (16 keys)
    expect([...b.view]).toEqual([1, 2, 3]);
    expect(s.slotsInUse).toBe(2);
    s.release(a.slot);
    // Still referenced once: a new copy of the same size class must not take its slot.
    const c = s.copy(keys.map((k) => k + 1), 40);
    expect(c.slot).not.toBe(a.slot);
    expect([...a.view]).toEqual(keys);
    s.release(a.slot);
    expect(s.slotsInUse).toBe(2);
    // Free now: the next copy of that class reuses it, overwriting what the old view showed.
    const d = s.copy([9, 8], 33);
    expect(d.slot).toBe(a.slot);
    expect(() => {
      s.release(b.slot);
      s.release(b.slot);
    }).toThrow(/released more often/);
    expect(s.references).toBe(2); // c and d
  });

  it('a slab of one class holds 512 KiB of slots; a longer array gets a slab of its own size', () => {
    const s = new KeySlabs();
    const big = Array.from({ length: 70_000 }, (_, i) => i);
    const a = s.copy(big, big.length);
    expect(a.view.length).toBe(70_000);
    expect(a.view[69_999]).toBe(69_999);
    s.copy([1], 1);
    expect(s.slots).toBe(1 + (1 << 16) / 16);
  });
});
