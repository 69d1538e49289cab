import { describe, expect, it } from 'vitest';
import { radixSortNonNegative } from './radix-sort.js';

/** A seeded generator (no dependence on Math.random). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function bitsOf(a: Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}

describe('radixSortNonNegative', () => {
  const rnd = lcg(7);
  const cases: [string, () => number, number][] = [
    ['latency-like (lognormal ms)', () => Math.exp(rnd() * 12) * 0.37, 5000],
    ['many duplicates and zeros', () => (rnd() < 0.3 ? 0 : Math.floor(rnd() * 20)), 3000],
    ['one exponent (values in [1, 2))', () => 1 + rnd(), 2000],
    ['subnormals to huge', () => (rnd() < 0.1 ? 5e-324 * Math.floor(rnd() * 1000) : rnd() * 10 ** Math.floor(rnd() * 600 - 300)), 4000],
    ['integers below 2^53', () => Math.floor(rnd() * 2 ** 53), 3000],
    ['all equal', () => 42.5, 500],
  ];
  for (const [name, gen, n] of cases) {
    it(`orders bit for bit as Float64Array.prototype.sort: ${name}`, () => {
      const a = Float64Array.from({ length: n }, gen);
      const want = a.slice().sort();
      expect(radixSortNonNegative(a)).toBe(true);
      expect(bitsOf(a)).toBe(bitsOf(want));
    });
  }
  it('sorts a subarray view in place and leaves the rest of its buffer alone', () => {
    const whole = Float64Array.from([9, 3, 2, 1, 0.5, 7]);
    expect(radixSortNonNegative(whole.subarray(1, 5))).toBe(true);
    expect([...whole]).toEqual([9, 0.5, 1, 2, 3, 7]);
  });
  it('uses a caller\'s scratch array (longer than the values) and sorts the same', () => {
    const r = lcg(11);
    const a = Float64Array.from({ length: 1000 }, () => r() * 1e4);
    const want = a.slice().sort();
    const scratch = new Float64Array(1500);
    expect(radixSortNonNegative(a, scratch)).toBe(true);
    expect(bitsOf(a)).toBe(bitsOf(want));
    expect(() => radixSortNonNegative(Float64Array.from([2, 1, 3]), new Float64Array(2))).toThrow(RangeError);
  });
  it('refuses (false, array unchanged) a negative, -0, NaN or an infinity', () => {
    for (const bad of [-1, -0, NaN, Infinity]) {
      const a = Float64Array.from([3, 1, bad, 2]);
      const before = bitsOf(a);
      expect(radixSortNonNegative(a)).toBe(false);
      expect(bitsOf(a)).toBe(before);
    }
  });
  it('takes arrays of zero and one value', () => {
    expect(radixSortNonNegative(new Float64Array(0))).toBe(true);
    const one = Float64Array.from([5]);
    expect(radixSortNonNegative(one)).toBe(true);
    expect(one[0]).toBe(5);
  });
});
