import { describe, expect, it } from 'vitest';
import { HashBlockKeys } from './hash-block-keys.js';
import { chainMatchEnd } from './runs.js';

describe('chainMatchEnd', () => {
  it('finds where two chain-key arrays part, against a linear scan, for every split and range', () => {
    const base = Array.from({ length: 12 }, (_, i) => 100 + i);
    for (let split = 1; split <= 12; split++) {
      // Same keys below `split`, fresh ones from it (as two prompts sharing a prefix).
      const other = base.map((k, i) => (i < split ? k : 900 + i));
      for (let i = 0; i < split; i++) {
        for (let end = i + 1; end <= 12; end++) {
          let j = i + 1;
          while (j < end && other[j] === base[j]) j++;
          expect(chainMatchEnd(HashBlockKeys.of(other), HashBlockKeys.of(base), i, end)).toBe(j);
        }
      }
    }
    const same = HashBlockKeys.of(base);
    expect(chainMatchEnd(same, same, 3, 7)).toBe(7);
  });
});
