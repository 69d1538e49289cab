import { describe, expect, it } from 'vitest';
import { bracketFactors } from './search.js';

describe('bracket steps of the rate search', () => {
  it('double from a cold start; from a warm one start at 1 + 4·relTol and square each time', () => {
    const cold = bracketFactors(false, 0.05);
    expect([cold(), cold(), cold()]).toEqual([2, 2, 2]);
    const warm = bracketFactors(true, 0.05);
    const f = [warm(), warm(), warm(), warm()];
    expect(f[0]).toBeCloseTo(1.2, 12);
    expect(f[1]).toBeCloseTo(1.44, 12);
    expect(f[2]).toBeCloseTo(2.0736, 12);
    // Within 4 steps a warm start covers a factor of 1.2 * 1.44 * 2.07 * 4.3 = 15.4 either way (cold: 16).
    expect(f.reduce((a, b) => a * b, 1)).toBeGreaterThan(15);
    // Then 16 per step, never Infinity: the 14 steps the search allows stay finite.
    const more = Array.from({ length: 10 }, () => warm());
    expect(more.every((x) => x === 16)).toBe(true);
  });
});
