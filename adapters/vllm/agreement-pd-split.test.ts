import { describe, expect, it } from 'vitest';
import { splitGap } from './agreement-pd.js';

describe('splitting a live - sim gap measured at two speeds', () => {
  it('recovers a model gap and a wall-clock overhead by hand', () => {
    // model gap 5 ms, overhead 40 wall-ms: speed 1 sees 5 + 40 = 45, speed 0.25 sees 5 + 10 = 15.
    const g = splitGap(1, 45, 0.25, 15);
    expect(g.modelMs).toBeCloseTo(5, 12);
    expect(g.wallOverheadMs).toBeCloseTo(40, 12);
  });
});
