import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { formatRunOrder, parseRateOrder, resolveRateOrder, runInOrder } from './rate-order.js';

describe('rate order', () => {
  const rates = [1.28, 2.56, 4.6];
  it('resolves each spelling to a permutation, by hand', () => {
    expect(resolveRateOrder('as-given', rates)).toEqual([0, 1, 2]);
    expect(resolveRateOrder('high-first', rates)).toEqual([2, 1, 0]);
    expect(resolveRateOrder('low-first', [4.6, 1.28, 2.56])).toEqual([1, 2, 0]);
    expect(resolveRateOrder(parseRateOrder('2,0,1'), rates)).toEqual([2, 0, 1]);
    // Ties keep the given order.
    expect(resolveRateOrder('high-first', [2, 3, 2])).toEqual([1, 0, 2]);
  });
  it('refuses what is not a permutation with a one-line user error', () => {
    expect(() => parseRateOrder('fast')).toThrow(UserError);
    expect(() => resolveRateOrder(parseRateOrder('0,0,1'), rates)).toThrow(/each of the 3 rates once/);
    expect(() => resolveRateOrder(parseRateOrder('0,1'), rates)).toThrow(UserError);
    expect(() => resolveRateOrder(parseRateOrder('0,1,3'), rates)).toThrow(UserError);
  });
  it('serves in the asked order and returns results in the given order with their run index', async () => {
    const served: number[] = [];
    const out = await runInOrder(rates, [2, 0, 1], async (rate, k) => {
      served.push(rate);
      return { rate, k };
    });
    expect(served).toEqual([4.6, 1.28, 2.56]);
    expect(out.map((o) => o.rate)).toEqual(rates);
    expect(out.map((o) => o.runIndex)).toEqual([1, 2, 0]);
    expect(out.every((o) => o.k === o.runIndex)).toBe(true);
  });
  it('says the order as bench.md prints it', () => {
    expect(formatRunOrder(['0.25 x cap', '0.5 x cap', '0.9 x cap'], [2, 0, 1], 'high-first')).toBe('0.9 x cap, 0.25 x cap, 0.5 x cap (high-first)');
  });
});
