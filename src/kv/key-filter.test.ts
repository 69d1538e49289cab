import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../kernel/random.js';
import { KeyFilter } from './key-filter.js';

describe('KeyFilter', () => {
  it('never says no to a key added more often than removed (random multiset of chain-key-like numbers)', () => {
    const rng = new RandomStreams(5).stream('filter');
    const f = new KeyFilter();
    const ref = new Map<number, number>();
    const pool = Array.from({ length: 3000 }, () => Math.floor(rng.next() * 2 ** 52));
    let absentSaidNo = 0;
    let absent = 0;
    for (let i = 0; i < 50_000; i++) {
      const k = pool[rng.intBetween(0, pool.length - 1)]!;
      const n = ref.get(k) ?? 0;
      if (rng.next() < 0.55 || n === 0) {
        f.add(k);
        ref.set(k, n + 1);
      } else {
        f.remove(k);
        if (n === 1) ref.delete(k);
        else ref.set(k, n - 1);
      }
      const q = pool[rng.intBetween(0, pool.length - 1)]!;
      if (ref.has(q)) expect(f.mayHave(q)).toBe(true);
      else {
        absent++;
        if (!f.mayHave(q)) absentSaidNo++;
      }
    }
    // Mostly a useful answer for absent keys (a few thousand keys in 2^17 counters).
    expect(absentSaidNo / absent).toBeGreaterThan(0.9);
  });

  it('a counter shared by 300 keys sticks at 255 and still never denies one of them', () => {
    const f = new KeyFilter();
    for (let i = 0; i < 300; i++) f.add(7);
    for (let i = 0; i < 299; i++) f.remove(7);
    expect(f.mayHave(7)).toBe(true);
    expect(() => new KeyFilter().remove(1)).toThrow(/never added/);
  });
});
