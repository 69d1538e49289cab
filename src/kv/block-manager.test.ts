import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../kernel/random.js';
import { BlockManager } from './block-manager.js';
import { MapBlockManager } from './map-reference-testing.js';

describe('BlockManager', () => {
  it('never hands out more blocks than it has (no double allocation)', () => {
    const b = new BlockManager(10, 16);
    expect(b.allocate(6)).toBe(true);
    expect(b.allocate(5)).toBe(false);
    expect(b.freeBlocks).toBe(4); // a refused allocation takes nothing
    expect(b.allocate(4)).toBe(true);
    expect(b.allocate(1)).toBe(false);
    b.release(10);
    expect(b.freeBlocks).toBe(10);
    expect(() => b.release(1)).toThrow();
  });

  it('shares committed prefix blocks and evicts the least recently used when space is needed', () => {
    const b = new BlockManager(6, 16);
    b.allocate(3);
    b.commit([1, 2, 3]); // request A's prompt blocks are now cached
    expect(b.matchPrefix([1, 2, 9])).toBe(2);
    b.acquire([1, 2]); // request B hits two blocks
    b.releaseHashed([1, 2, 3]); // A leaves: 3 becomes evictable, 1 and 2 still referenced by B
    expect(b.evictableBlocks).toBe(1);
    expect(b.availableBlocks).toBe(3 + 1);
    expect(b.allocate(4)).toBe(true); // takes the 3 free and evicts block 3
    expect(b.evictions).toBe(1);
    expect(b.matchPrefix([1, 2, 3])).toBe(2);
    b.checkConservation();
  });

  it('conserves blocks over random operation sequences', () => {
    const rng = new RandomStreams(5).stream('ops');
    const b = new BlockManager(64, 16);
    const held: number[] = [];
    const hashed: number[][] = [];
    for (let i = 0; i < 5000; i++) {
      const op = rng.intBetween(0, 3);
      if (op === 0) {
        const n = rng.intBetween(1, 8);
        if (b.allocate(n)) held.push(n);
      } else if (op === 1 && held.length > 0) b.release(held.pop()!);
      else if (op === 2 && held.length > 0) {
        const n = held.pop()!;
        const keys = Array.from({ length: n }, () => rng.intBetween(0, 40));
        const uniq = [...new Set(keys)];
        b.release(n - uniq.length);
        b.commit(uniq);
        hashed.push(uniq);
      } else if (op === 3 && hashed.length > 0) b.releaseHashed(hashed.pop()!);
      b.checkConservation();
    }
  });

  it('answers exactly as the Map-based prefix cache it replaces (random requests sharing prefixes, 20k operations)', () => {
    const rng = new RandomStreams(11).stream('diff');
    const fast = new BlockManager(300, 16);
    const ref = new MapBlockManager(300);
    // Requests: a prefix group's leading keys plus keys of their own; each holds anonymous blocks, then commits them.
    type Req = { keys: number[]; hashed: number[]; anon: number };
    const live: Req[] = [];
    let mismatches = 0;
    let evictionsSeen = 0;
    const same = (a: unknown, b: unknown): void => {
      if (a !== b) mismatches++;
    };
    for (let i = 0; i < 20_000; i++) {
      const op = rng.next();
      if (op < 0.45) {
        const g = rng.intBetween(0, 30);
        const keys = Array.from({ length: rng.intBetween(1, 40) }, (_, b) => (b < 20 ? g * 1000 + b : -(i * 100 + b)));
        const hit = fast.matchPrefix(keys);
        same(hit, ref.matchPrefix(keys));
        const hashed = keys.slice(0, hit);
        // The fast one gets ranges of the request's own key array (the engine's path), the reference slices.
        fast.acquire(keys, 0, hit);
        ref.acquire(hashed);
        const need = keys.length - hit + rng.intBetween(0, 3);
        const ok = fast.allocate(need);
        same(ok, ref.allocate(need));
        if (ok) live.push({ keys, hashed, anon: need });
        else {
          fast.releaseHashed(keys, 0, hit);
          ref.releaseHashed(hashed);
        }
      } else if (op < 0.75 && live.length > 0) {
        const r = live[rng.intBetween(0, live.length - 1)]!;
        const fresh = r.keys.slice(r.hashed.length, r.hashed.length + Math.min(r.anon, r.keys.length - r.hashed.length));
        fast.commit(r.keys, r.hashed.length, r.hashed.length + fresh.length);
        ref.commit(fresh);
        r.hashed = r.hashed.concat(fresh);
        r.anon -= fresh.length;
      } else if (live.length > 0) {
        const r = live.splice(rng.intBetween(0, live.length - 1), 1)[0]!;
        fast.releaseHashed(r.keys, 0, r.hashed.length);
        ref.releaseHashed(r.hashed);
        fast.release(r.anon);
        ref.release(r.anon);
      }
      same(fast.freeBlocks, ref.free);
      same(fast.evictableBlocks, ref.evictable.size);
      same(fast.usedBlocks, ref.usedBlocks);
      same(fast.evictions, ref.evictions);
      fast.checkConservation();
      evictionsSeen = ref.evictions;
    }
    expect(mismatches).toBe(0);
    expect(evictionsSeen).toBeGreaterThan(1000);
    // What is left cached, key by key, and which blocks an allocation would evict next: the same.
    const probe = [...ref.evictable.keys(), ...ref.referenced.keys()];
    expect(probe.map((k) => fast.matchPrefix([k]))).toEqual(probe.map((k) => ref.matchPrefix([k])));
    const n = ref.evictable.size;
    const order = [...ref.evictable.keys()];
    for (let k = 0; k < n; k++) {
      fast.allocate(fast.freeBlocks + 1);
      ref.allocate(ref.free + 1);
      expect(fast.matchPrefix([order[k]!])).toBe(0);
      if (k + 1 < n) expect(fast.matchPrefix([order[k + 1]!])).toBe(1);
    }
  });
  it('never trusts a remembered node whose block was evicted and whose node now holds another block', () => {
    const bm = new BlockManager(2, 16);
    const a = [11, 12];
    const b = [21, 22];
    expect(bm.allocate(2)).toBe(true);
    bm.commit(a, 0, 2); // remembers a's nodes
    bm.releaseHashed(a, 0, 2);
    expect(bm.allocate(2)).toBe(true); // evicts both of a's blocks
    bm.commit(b, 0, 2); // b's blocks reuse a's nodes
    expect(bm.matchPrefix(a)).toBe(0);
    expect(() => bm.acquire(a, 0, 1)).toThrow(/uncached block 11/);
    expect(() => bm.releaseHashed(a, 0, 2)).toThrow(/unreferenced block 12/);
    bm.releaseHashed(b, 0, 2);
    expect([bm.evictableBlocks, bm.matchPrefix(b)]).toEqual([2, 2]);
    bm.checkConservation();
  });
});

