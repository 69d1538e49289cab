import { describe, expect, it } from 'vitest';
import { HashBlockKeys } from './hash-block-keys.js';
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
    b.commit(HashBlockKeys.of([1, 2, 3])); // request A's prompt blocks are now cached
    expect(b.matchPrefix(HashBlockKeys.of([1, 2, 9]))).toBe(2);
    b.acquire(HashBlockKeys.of([1, 2])); // request B hits two blocks
    b.releaseHashed(HashBlockKeys.of([1, 2, 3])); // A leaves: 3 becomes evictable, 1 and 2 still referenced by B
    expect(b.evictableBlocks).toBe(1);
    expect(b.availableBlocks).toBe(3 + 1);
    expect(b.allocate(4)).toBe(true); // takes the 3 free and evicts block 3
    expect(b.evictions).toBe(1);
    expect(b.matchPrefix(HashBlockKeys.of([1, 2, 3]))).toBe(2);
    b.checkConservation();
  });

  it('conserves blocks over random operation sequences', () => {
    const rng = new RandomStreams(5).stream('ops');
    const b = new BlockManager(64, 16);
    const held: number[] = [];
    const hashed: HashBlockKeys[] = [];
    for (let i = 0; i < 5000; i++) {
      const op = rng.intBetween(0, 3);
      if (op === 0) {
        const n = rng.intBetween(1, 8);
        if (b.allocate(n)) held.push(n);
      } else if (op === 1 && held.length > 0) b.release(held.pop()!);
      else if (op === 2 && held.length > 0) {
        // Chain keys (a key fixes its prefix): one of 6 groups' leading blocks, then the request's own.
        const n = held.pop()!;
        const g = rng.intBetween(0, 5);
        const shared = rng.intBetween(0, n);
        const keys = HashBlockKeys.of(Array.from({ length: n }, (_, k) => (k < shared ? g * 100 + k : -(i * 100 + k + 1))));
        const hit = b.matchPrefix(keys);
        b.acquire(keys, 0, hit);
        b.release(hit);
        b.commit(keys, hit, n);
        hashed.push(keys);
      } else if (op === 3 && hashed.length > 0) b.releaseHashed(hashed.pop()!);
      b.checkConservation();
    }
  });

  it('answers exactly as the per-block Map prefix cache (random requests on a prefix tree, chunked commits, 20k operations)', () => {
    const rng = new RandomStreams(11).stream('diff');
    const fast = new BlockManager(300, 16);
    const ref = new MapBlockManager(300);
    // Requests: a group's leading keys, then one of 4 branches from a random depth (so a run is often
    // matched part way), then keys of their own; each holds anonymous blocks, then commits them in chunks.
    type Req = { keys: number[]; K: HashBlockKeys; hashed: number[]; anon: number };
    const live: Req[] = [];
    const seen: { keys: number[]; K: HashBlockKeys }[] = [];
    let mismatches = 0;
    let evictionsSeen = 0;
    let partialHits = 0;
    const same = (a: unknown, b: unknown): void => {
      if (a !== b) mismatches++;
    };
    for (let i = 0; i < 20_000; i++) {
      const op = rng.next();
      if (op < 0.45) {
        const g = rng.intBetween(0, 30);
        const s = rng.intBetween(0, 30);
        const u = rng.intBetween(0, 3);
        const keys = Array.from({ length: rng.intBetween(1, 50) }, (_, b) => (b < s ? g * 1e6 + b : b < 30 ? g * 1e6 + (s + 1) * 1e4 + u * 100 + b : -(i * 100 + b + 1)));
        const K = HashBlockKeys.of(keys);
        const hit = fast.matchPrefix(K);
        same(hit, ref.matchPrefix(keys));
        if (hit > 0 && hit < keys.length) partialHits++;
        const hashed = keys.slice(0, hit);
        // The fast one gets ranges of the request's own key array (the engine's path), the reference slices.
        fast.acquire(K, 0, hit);
        ref.acquire(hashed);
        const need = keys.length - hit + rng.intBetween(0, 3);
        const ok = fast.allocate(need);
        same(ok, ref.allocate(need));
        if (ok) {
          live.push({ keys, K, hashed, anon: need });
          seen.push({ keys, K });
          if (seen.length > 200) seen.shift();
        } else {
          fast.releaseHashed(K, 0, hit);
          ref.releaseHashed(hashed);
        }
      } else if (op < 0.75 && live.length > 0) {
        const r = live[rng.intBetween(0, live.length - 1)]!;
        const room = Math.min(r.anon, r.keys.length - r.hashed.length);
        const fresh = r.keys.slice(r.hashed.length, r.hashed.length + rng.intBetween(Math.min(1, room), room));
        fast.commit(r.K, r.hashed.length, r.hashed.length + fresh.length);
        ref.commit(fresh);
        r.hashed = r.hashed.concat(fresh);
        r.anon -= fresh.length;
      } else if (live.length > 0) {
        const r = live.splice(rng.intBetween(0, live.length - 1), 1)[0]!;
        fast.releaseHashed(r.K, 0, r.hashed.length);
        ref.releaseHashed(r.hashed);
        fast.release(r.anon);
        ref.release(r.anon);
      }
      same(fast.freeBlocks, ref.free);
      same(fast.evictableBlocks, ref.evictable.size);
      same(fast.usedBlocks, ref.usedBlocks);
      same(fast.evictions, ref.evictions);
      if (seen.length > 0) {
        const k = seen[rng.intBetween(0, seen.length - 1)]!;
        same(fast.matchPrefix(k.K), ref.matchPrefix(k.keys));
      }
      fast.checkConservation();
      evictionsSeen = ref.evictions;
    }
    expect(mismatches).toBe(0);
    expect(evictionsSeen).toBeGreaterThan(1000);
    expect(partialHits).toBeGreaterThan(500);
    // Then evict what is left one block at a time: after each eviction every request seen matches as many blocks in both.
    for (const r of live) {
      fast.releaseHashed(r.K, 0, r.hashed.length);
      ref.releaseHashed(r.hashed);
    }
    const n = ref.evictable.size;
    expect(n).toBeGreaterThan(100);
    for (let k = 0; k < n; k++) {
      fast.allocate(fast.freeBlocks + 1);
      ref.allocate(ref.free + 1);
      for (const k of seen) same(fast.matchPrefix(k.K), ref.matchPrefix(k.keys));
    }
    expect(mismatches).toBe(0);
    expect(fast.evictableBlocks).toBe(0);
    fast.checkConservation();
  });

  it('keeps a prompt committed in chunks as one run, evicted from its tail first', () => {
    const bm = new BlockManager(10, 16);
    const a = HashBlockKeys.of([1, 2, 3, 4, 5, 6]);
    expect(bm.allocate(6)).toBe(true);
    bm.commit(a, 0, 2);
    bm.commit(a, 2, 6);
    const ops = bm.indexOps;
    bm.releaseHashed(a, 0, 6);
    expect(bm.indexOps - ops).toBe(1); // one run: one probe
    expect(bm.allocate(4 + 2)).toBe(true); // 4 free, then blocks 6 and 5 are evicted
    expect(bm.matchPrefix(a)).toBe(4);
    const b = HashBlockKeys.of([1, 2, 30]);
    expect(bm.matchPrefix(b)).toBe(2); // a run matched part way
    bm.acquire(b, 0, 2); // splits a's run: 1-2 referenced, 3-4 still evictable
    expect([bm.evictableBlocks, bm.usedBlocks]).toEqual([2, 6 + 2]);
    bm.release(6);
    expect(bm.allocate(6 + 1)).toBe(true); // the 6 free, then evicts 4 (older than 3)
    expect(bm.matchPrefix(a)).toBe(3);
    bm.checkConservation();
  });

  it('never trusts a remembered node whose block was evicted and whose node now holds another block', () => {
    const bm = new BlockManager(2, 16);
    const a = HashBlockKeys.of([11, 12]);
    const b = HashBlockKeys.of([21, 22]);
    expect(bm.allocate(2)).toBe(true);
    bm.commit(a, 0, 2); // remembers a's nodes
    bm.releaseHashed(a, 0, 2);
    expect(bm.allocate(2)).toBe(true); // evicts both of a's blocks
    bm.commit(b, 0, 2); // b's blocks reuse a's nodes
    expect(bm.matchPrefix(a)).toBe(0);
    expect(() => bm.acquire(a, 0, 1)).toThrow(/uncached block 11/);
    expect(() => bm.releaseHashed(a, 0, 2)).toThrow(/unreferenced block 11/);
    bm.releaseHashed(b, 0, 2);
    expect([bm.evictableBlocks, bm.matchPrefix(b)]).toEqual([2, 2]);
    bm.checkConservation();
  });
});

