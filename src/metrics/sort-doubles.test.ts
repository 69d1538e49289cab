import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { sortDoubles } from './sort-doubles.js';

function same(values: number[]): void {
  const want = Float64Array.from(values).sort();
  const got = sortDoubles(Float64Array.from(values));
  // Object.is per element: -0 and +0, NaN placement, exact bit patterns.
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) expect([i, got[i]]).toEqual([i, want[i]]);
}

describe('sortDoubles', () => {
  const rnd = seedrandom('sort-doubles');
  it('orders latency-like samples exactly as the built-in sort (radix path)', () => {
    // Log-spread values with many ties and near-ties, over the radix threshold.
    same(Array.from({ length: 50_000 }, () => Math.round(Math.exp(rnd() * 20 - 5) * 1e3) / 1e3));
    same(Array.from({ length: 20_000 }, () => rnd() * 1e-300));
    same(Array.from({ length: 20_000 }, (_, i) => (i % 7 === 0 ? 0 : 1 + rnd() * 2 ** -40)));
    same(Array.from({ length: 10_000 }, () => 42.5));
    same([...Array.from({ length: 9_000 }, () => rnd() * 1e308), Number.MAX_VALUE, Number.MIN_VALUE, 0]);
  });

  it('gives the built-in order for negatives, -0, NaN and infinities, and for small arrays', () => {
    const base = Array.from({ length: 8_000 }, () => rnd() * 100);
    same([...base, -1]);
    same([...base, -0, 0]);
    same([...base, NaN, 3]);
    same([...base, Infinity]);
    same([3, 1, 2, 0, 1e-9]);
    same([]);
  });

  it('sorts a view that starts inside its buffer', () => {
    const buf = new Float64Array(20_001);
    for (let i = 0; i < buf.length; i++) buf[i] = rnd() * 1e6;
    const view = buf.subarray(1);
    const want = Float64Array.from(view).sort();
    expect(Array.from(sortDoubles(view))).toEqual(Array.from(want));
  });
});
