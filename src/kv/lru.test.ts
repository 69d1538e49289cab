import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { LruLists, NO_LIST } from './lru.js';

describe('LruLists', () => {
  it('keeps recency order per list: insert appends, moveToTail relinks, popOldest takes the head', () => {
    const l = new LruLists(2, 2);
    for (const k of [5, -3, 7.5, 9]) l.insert(k, 0);
    l.moveToTail(l.find(-3), 0);
    expect(l.find(42)).toBe(-1);
    expect([...l.keys(0)]).toEqual([5, 7.5, 9, -3]);
    expect(l.popOldest(0)).toBe(5);
    l.moveToTail(l.find(9), 1); // to the other list
    expect([...l.keys(0)]).toEqual([7.5, -3]);
    expect([...l.keys(1)]).toEqual([9]);
    expect([l.sizeOf(0), l.sizeOf(1), l.size]).toEqual([2, 1, 3]);
    const n = l.insert(1, NO_LIST, 4); // held, on no list, with a value
    expect([l.listOf(n), l.value(n), l.keyOf(n), l.size, l.sizeOf(0)]).toEqual([NO_LIST, 4, 1, 4, 2]);
    l.moveToTail(n, 0);
    l.detach(l.find(7.5));
    expect([...l.keys(0)]).toEqual([-3, 1]);
    expect(l.has(7.5)).toBe(true);
    l.remove(l.find(7.5));
    expect(l.has(7.5)).toBe(false);
    expect(l.keyOf(l.oldest(0))).toBe(-3);
    l.popOldest(0);
    l.popOldest(0);
    expect(l.oldest(0)).toBe(-1);
    expect(() => l.popOldest(0)).toThrow(/empty/);
  });

  it('makes exactly the same evictions, in the same order, as one Map per list (90k random operations)', () => {
    const rng = seedrandom('lru');
    const a = new LruLists(3, 4);
    // The structure it replaces: a Map in insertion order per list, a move = delete + set; a key held on no list sits in `off`.
    const maps = [new Map<number, true>(), new Map<number, true>(), new Map<number, true>()];
    const off = new Set<number>();
    const listOfRef = (k: number): number => maps.findIndex((m) => m.has(k));
    const evictedA: number[] = [];
    const evictedB: number[] = [];
    let mismatches = 0;
    for (let i = 0; i < 90_000; i++) {
      const k = Math.floor(rng() * 5000) - 2500;
      const list = Math.floor(rng() * 3);
      const op = rng();
      const node = a.find(k);
      const refList = listOfRef(k);
      if ((node >= 0) !== (refList >= 0 || off.has(k))) mismatches++;
      if (node >= 0 && a.listOf(node) !== refList) mismatches++;
      if (op < 0.35) {
        if (node < 0) {
          a.insert(k, list);
          maps[list]!.set(k, true);
        } else {
          a.moveToTail(node, list);
          if (refList >= 0) maps[refList]!.delete(k);
          off.delete(k);
          maps[list]!.set(k, true);
        }
      } else if (op < 0.45) {
        if (node >= 0) {
          a.detach(node);
          if (refList >= 0) maps[refList]!.delete(k);
          off.add(k);
        }
      } else if (op < 0.6) {
        if (node >= 0) {
          a.remove(node);
          if (refList >= 0) maps[refList]!.delete(k);
          off.delete(k);
        }
      } else if (maps[list]!.size > 0) {
        evictedA.push(a.popOldest(list));
        const oldest = maps[list]!.keys().next().value as number;
        maps[list]!.delete(oldest);
        evictedB.push(oldest);
      }
      for (let l = 0; l < 3; l++) if (a.sizeOf(l) !== maps[l]!.size) mismatches++;
      if (a.size !== maps[0]!.size + maps[1]!.size + maps[2]!.size + off.size) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(evictedA.length).toBeGreaterThan(5_000);
    expect(evictedA).toEqual(evictedB);
    for (let l = 0; l < 3; l++) expect([...a.keys(l)]).toEqual([...maps[l]!.keys()]);
  });
});
