import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../kernel/random.js';
import { BlockManager } from './block-manager.js';

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
});
