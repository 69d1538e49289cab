import { describe, expect, it } from 'vitest';
import { CODE_CACHES, cacheFileFor } from './cache-files.js';

describe('cacheFileFor', () => {
  it('gives simulating commands the warm-up simulate cache and every other command line the start-up one', () => {
    expect(cacheFileFor(['simulate', 's.yaml'])).toBe(CODE_CACHES.simulate.file);
    expect(cacheFileFor(['compare', 'a', 'b'])).toBe(CODE_CACHES.simulate.file);
    expect(cacheFileFor(['sweep', 's.yaml'])).toBe(CODE_CACHES.simulate.file);
    for (const argv of [[], ['--help'], ['list', 'gpus'], ['perf'], ['--simulate']]) expect(cacheFileFor(argv), argv.join(' ')).toBe(CODE_CACHES.other.file);
    expect(CODE_CACHES.simulate.warmUps.every((argv) => argv[0] === 'simulate')).toBe(true);
    expect(new Set(Object.values(CODE_CACHES).map((c) => c.file)).size).toBe(Object.keys(CODE_CACHES).length);
  });
});
