import { describe, expect, it } from 'vitest';
import { maxMinFairRates } from './max-min.js';

describe('maxMinFairRates', () => {
  it('fills the tightest channel first, then gives the slack to the others', () => {
    // Channels 0 (10) and 1 (4). Flow 0 crosses both, flow 1 only 0, flow 2 only 1.
    const rates = maxMinFairRates(
      [
        { uses: [{ channel: 0, weight: 1 }, { channel: 1, weight: 1 }], capBytesPerS: Infinity },
        { uses: [{ channel: 0, weight: 1 }], capBytesPerS: Infinity },
        { uses: [{ channel: 1, weight: 1 }], capBytesPerS: Infinity },
      ],
      [10, 4],
    );
    expect(rates).toEqual([2, 8, 2]);
  });

  it('freezes a capped flow at its cap and shares the rest', () => {
    const rates = maxMinFairRates(
      [
        { uses: [{ channel: 0, weight: 1 }], capBytesPerS: 1 },
        { uses: [{ channel: 0, weight: 1 }], capBytesPerS: Infinity },
        { uses: [{ channel: 0, weight: 1 }], capBytesPerS: Infinity },
      ],
      [9],
    );
    expect(rates).toEqual([1, 4, 4]);
  });

  it('counts a doubly crossed channel twice', () => {
    const rates = maxMinFairRates(
      [
        { uses: [{ channel: 0, weight: 2 }], capBytesPerS: Infinity },
        { uses: [{ channel: 0, weight: 1 }], capBytesPerS: Infinity },
      ],
      [9],
    );
    expect(rates).toEqual([3, 3]);
  });
});
