import { describe, expect, it } from 'vitest';
import { packedDoubles } from './packed-doubles.js';

describe('packedDoubles', () => {
  it('gives n independent entries of 0.5, at every size including past the template', () => {
    for (const n of [0, 1, 7, 8192, 8193, 20_000]) {
      const a = packedDoubles(n);
      expect(a.length).toBe(n);
      expect(a.every((v) => v === 0.5)).toBe(true);
      if (n > 0) {
        a[0] = 3;
        expect(packedDoubles(n)[0]).toBe(0.5); // a copy, not the template
      }
    }
  });
});
