import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { LruSet } from './lru.js';

/** The structure LruSet replaces: a Map in insertion order, touch = delete + set. */
class MapLru {
  readonly m = new Map<number, true>();
  add(k: number): void {
    this.m.set(k, true);
  }
  touch(k: number): boolean {
    if (!this.m.delete(k)) return false;
    this.m.set(k, true);
    return true;
  }
  popOldest(): number {
    const k = this.m.keys().next().value as number;
    this.m.delete(k);
    return k;
  }
}

describe('LruSet', () => {
  it('keeps recency order: add appends, touch moves to the end, popOldest takes the head', () => {
    const l = new LruSet(2);
    for (const k of [5, -3, 7.5, 9]) l.add(k);
    expect(l.touch(-3)).toBe(true);
    expect(l.touch(42)).toBe(false);
    expect([...l.keys()]).toEqual([5, 7.5, 9, -3]);
    expect(l.popOldest()).toBe(5);
    expect(l.delete(9)).toBe(true);
    expect(l.delete(9)).toBe(false);
    l.add(1);
    expect([...l.keys()]).toEqual([7.5, -3, 1]);
    expect(l.oldest()).toBe(7.5);
    expect(l.size).toBe(3);
    l.popOldest();
    l.popOldest();
    l.popOldest();
    expect(l.oldest()).toBeUndefined();
    expect(() => l.popOldest()).toThrow(/empty/);
  });

  it('makes exactly the same evictions, in the same order, as the Map LRU it replaces (60k random operations)', () => {
    const rng = seedrandom('lru');
    const a = new LruSet(4);
    const b = new MapLru();
    const evictedA: number[] = [];
    const evictedB: number[] = [];
    let mismatches = 0;
    for (let i = 0; i < 60_000; i++) {
      const k = Math.floor(rng() * 5000) - 2500;
      const op = rng();
      if (op < 0.4) {
        a.add(k);
        b.add(k);
      } else if (op < 0.6) {
        if (a.touch(k) !== b.touch(k)) mismatches++;
      } else if (op < 0.75) {
        if (a.delete(k) !== b.m.delete(k)) mismatches++;
      }
      else if (b.m.size > 0) {
        evictedA.push(a.popOldest());
        evictedB.push(b.popOldest());
      }
      if (a.size !== b.m.size) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(evictedA.length).toBeGreaterThan(5_000);
    expect(evictedA).toEqual(evictedB);
    expect([...a.keys()]).toEqual([...b.m.keys()]);
  });
});
